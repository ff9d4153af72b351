"""Random colour adjustments: contrast, brightness, hue, saturation, colour degeneration, grayscale and
inversion (Keras 3's layers of the same names).

Each layer draws its per-image parameters in ``get_random_transformation`` from ``kshim.random`` with
the layer's seed generator (the same seed gives the same augmentation on every backend) and applies
them in ``transform_images``; labels, bounding boxes and segmentation masks pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from ... import _config
from ... import dtypes as _dt
from ... import ops
from ... import random as _random
from .color_common import ColorLayerBase, batch_size, checked_value_range, hw_axes, images_of

__all__ = [
    "RandomContrast",
    "RandomBrightness",
    "RandomHue",
    "RandomSaturation",
    "RandomColorDegeneration",
    "RandomGrayscale",
    "RandomInvert",
]


class RandomContrast(ColorLayerBase):
    """Randomly scale each image's deviation from its per-channel mean.

    Each image gets a factor drawn uniformly from ``[1 - lower, 1 + upper]``; the output is
    ``(x - mean) * factor + mean`` (mean over height and width), clipped to ``value_range``.

    Args:
        factor: A number ``f`` in ``[0, 1]`` (meaning ``(0, f)``, as Keras reads it: factors in
            ``[1, 1 + f]``) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values; outputs are clipped to it.
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``, ...).
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = images_of(data)
        rank = len(ops.shape(images))
        n = batch_size(images)
        shape = (1, 1, 1) if rank == 3 else (n, 1, 1, 1)
        if not training:
            return {"contrast_factor": ops.zeros(shape)}
        factor = _random.uniform(
            shape, 1.0 - self.factor[0], 1.0 + self.factor[1], dtype=self.compute_dtype, seed=self._seed(seed)
        )
        return {"contrast_factor": factor}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        h_ax, w_ax, _ = hw_axes(self.data_format)
        x = images if _dt.is_float(ops.dtype(images)) else ops.cast(images, self.compute_dtype)
        mean = ops.mean(ops.mean(x, axis=h_ax, keepdims=True), axis=w_ax, keepdims=True)
        factor = ops.cast(transformation["contrast_factor"], ops.dtype(x))
        out = ops.add(ops.multiply(ops.subtract(x, mean), factor), mean)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomBrightness(ColorLayerBase):
    """Randomly add a brightness offset to each image.

    The offset is drawn uniformly from ``factor`` and scaled by the width of ``value_range``; the
    result is clipped to ``value_range``.

    kshim differs for integer images: the offset is truncated to an integer and added without
    wrapping around (Keras adds it in the image dtype, so uint8 values wrap past 255 before clipping).

    Args:
        factor: A number ``f`` in ``[-1, 1]`` (meaning ``(-f, f)``) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``, ...).

    Raises:
        ValueError: For a bad ``factor`` or ``value_range``.
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(factor=factor, **kwargs)
        self._init_seed(seed)
        self.value_range = checked_value_range(value_range)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = images_of(data)
        rank = len(ops.shape(images))
        n = batch_size(images)
        shape = (1, 1, 1) if rank == 3 else (n, 1, 1, 1)
        if not training:
            return {"rgb_delta": ops.zeros(shape)}
        delta = _random.uniform(shape, self.factor[0], self.factor[1], seed=self._seed(seed))
        return {"rgb_delta": ops.multiply(delta, float(self.value_range[1] - self.value_range[0]))}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        d = ops.dtype(images)
        delta = transformation["rgb_delta"]
        if _dt.is_float(d):
            out = ops.add(images, ops.cast(delta, d))
            return ops.clip(out, self.value_range[0], self.value_range[1])
        wide = "int64" if d in ("int64", "uint64", "uint32") else "int32"
        out = ops.add(ops.cast(images, wide), ops.cast(ops.trunc(delta), wide))
        return ops.cast(ops.clip(out, self.value_range[0], self.value_range[1]), d)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


def _replace_channel(images: Any, index: int, plane: Any, data_format: str) -> Any:
    ax = 1 if data_format == "channels_first" else -1
    planes = [ops.take(images, i, axis=ax) for i in range(3)]
    planes[index] = plane
    return ops.stack(planes, axis=ax)


class RandomHue(ColorLayerBase):
    """Randomly rotate the hue of each image.

    Each image's hue moves by ``± u / 2`` of a full turn, ``u`` uniform in ``factor`` and the sign
    random; the images are converted to HSV in ``[0, 1]`` and back to ``value_range``.

    Args:
        factor: A number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        seed = self._seed(seed)
        invert = _random.uniform((n,), seed=seed)
        sign = ops.where(ops.greater(invert, 0.5), -1.0, 1.0)
        factor = _random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        return {"factor": ops.multiply(ops.multiply(ops.cast(sign, ops.dtype(factor)), factor), 0.5)}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        if not training:
            return images
        cd = self.compute_dtype
        x = self._transform_value_range(ops.cast(images, cd), self.value_range, (0, 1), dtype=cd)
        shift = ops.reshape(ops.cast(transformation["factor"], ops.dtype(x)), (-1, 1, 1))
        hsv = ops.image.rgb_to_hsv(x, data_format=self.data_format)
        ax = 1 if self.data_format == "channels_first" else -1
        hue = ops.add(ops.take(hsv, 0, axis=ax), shift)
        hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
        hue = ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)
        rgb = ops.image.hsv_to_rgb(_replace_channel(hsv, 0, hue, self.data_format), data_format=self.data_format)
        rgb = ops.clip(rgb, 0.0, 1.0)
        return ops.cast(self._transform_value_range(rgb, (0, 1), self.value_range, dtype=cd), cd)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomSaturation(ColorLayerBase):
    """Randomly scale the saturation of each image.

    A value ``u`` uniform in ``factor`` becomes the multiplier ``u / (1 - u + epsilon)`` of the HSV
    saturation (``0.5`` keeps the image, ``0`` makes it gray, ``1`` fully saturates it); as in Keras,
    the saturation is clipped to ``value_range`` and the images are converted to HSV without rescaling.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` (meaning ``(-f, f)``, as in Keras; draws below 0 act
            as 0) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor`` or ``value_range``.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = checked_value_range(value_range)
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        u = _random.uniform((n,), self.factor[0], self.factor[1], seed=self._seed(seed))
        return {"factor": ops.divide(u, ops.add(ops.subtract(1.0, u), _config.epsilon()))}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        if not training:
            return images
        factor = ops.reshape(ops.cast(transformation["factor"], self.compute_dtype), (-1, 1, 1))
        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        ax = 1 if self.data_format == "channels_first" else -1
        sat = ops.clip(ops.multiply(ops.take(hsv, 1, axis=ax), factor), self.value_range[0], self.value_range[1])
        return ops.image.hsv_to_rgb(_replace_channel(hsv, 1, sat, self.data_format), data_format=self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomColorDegeneration(ColorLayerBase):
    """Randomly blend each image with its grayscale version.

    ``x + u * (gray(x) - x)`` with ``u`` uniform in ``factor`` per image, clipped to ``value_range``.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` (meaning ``(-f, f)``) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor`` or ``value_range``, or images without 3 channels.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = checked_value_range(value_range)
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        return {"factor": _random.uniform((n, 1, 1, 1), self.factor[0], self.factor[1], seed=self._seed(seed))}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        if not training:
            return images
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        factor = ops.cast(transformation["factor"], cd)
        gray = ops.image.rgb_to_grayscale(x, data_format=self.data_format)
        out = ops.add(x, ops.multiply(factor, ops.subtract(gray, x)))
        return ops.cast(ops.clip(out, self.value_range[0], self.value_range[1]), cd)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                f"Received: input_shape={input_shape}"
            )
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(f"Input images must have 3 channels, but received images with {channels} channels.")
        return input_shape


class RandomGrayscale(ColorLayerBase):
    """Convert each image to grayscale with probability ``factor`` (keeping its channel count).

    As in Keras, the config holds only ``factor`` (not the seed).

    Args:
        factor: Probability in ``[0, 1]`` that an image becomes grayscale.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: If ``factor`` is outside ``[0, 1]``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor: float = 0.5, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        u = _random.uniform((n,), 0.0, 1.0, seed=self._seed(seed))
        return ops.reshape(ops.less(u, self.factor), (n, 1, 1, 1))

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        apply = transformation if transformation is not None else self.get_random_transformation(images)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(apply, gray, images)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomInvert(ColorLayerBase):
    """Invert each image (``value_range[1] - x``) with a random probability drawn from ``factor``.

    Args:
        factor: Probability of inverting: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``, a
            probability drawn uniformly in it per image) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        n = batch_size(images_of(data))
        seed = self._seed(seed)
        prob = _random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        threshold = _random.uniform((n,), 0.0, 1.0, seed=seed)
        return {"apply_inversion": ops.less(threshold, prob)}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        x = ops.cast(images, self.compute_dtype)
        apply = ops.reshape(transformation["apply_inversion"], (-1, 1, 1, 1))
        return ops.where(apply, ops.subtract(self.value_range[1], x), x)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}
