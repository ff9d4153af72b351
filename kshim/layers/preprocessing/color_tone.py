"""Tone and detail augmentations: posterization, sharpness, Gaussian blur, solarization and
auto-contrast (Keras 3's ``RandomPosterization``, ``RandomSharpness``, ``RandomGaussianBlur``,
``Solarization`` and ``AutoContrast``)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .color_common import ColorLayerBase, batch_size, checked_value_range, factor_by_name, images_of

__all__ = ["RandomPosterization", "RandomSharpness", "RandomGaussianBlur", "Solarization", "AutoContrast"]


class RandomPosterization(ColorLayerBase):
    """Reduce each image to a random number of bits per channel.

    The number of kept bits is drawn per image from ``[lower, upper)`` (``lower`` itself when both
    are equal); images are mapped from ``value_range`` to ``[0, 255]``, truncated to uint8 and
    have their low bits cleared.

    Args:
        factor: Bits to keep: an int in ``[1, 8]`` (meaning ``(1, factor)``) or a pair.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor`` or ``value_range``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

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
        lo, hi = self.factor
        if lo != hi:
            bits = _random.randint((n,), int(lo), int(hi), dtype="uint8", seed=self._seed(seed))
        else:
            bits = ops.full((n,), int(lo), dtype="uint8")
        return {"shift_factor": ops.subtract(ops.full((n,), self._MAX_FACTOR, dtype="uint8"), bits)}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        if not training:
            return images
        cd = self.compute_dtype
        shift = ops.reshape(ops.cast(transformation["shift_factor"], "uint8"), (-1, 1, 1, 1))
        x = self._transform_value_range(images, self.value_range, (0, 255), dtype=cd)
        x = ops.cast(x, "uint8")
        x = ops.left_shift(ops.right_shift(x, shift), shift)
        return self._transform_value_range(ops.cast(x, cd), (0, 255), self.value_range, dtype=cd)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomSharpness(ColorLayerBase):
    """Randomly sharpen or soften each image.

    Blends each image with a 3x3 smoothed copy (centre weight 5/13, neighbours 1/13, zero padding):
    ``x + (1 - 2u) * (smooth(x) - x)``, ``u`` uniform in ``factor`` per image (``u = 0.5`` keeps the
    image, ``0`` smooths it, ``1`` sharpens it), clipped to ``value_range``.

    Args:
        factor: A number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair ``(lower, upper)``.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor`` or ``value_range``.
    """

    _USE_BASE_FACTOR = False
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
        self.value_range = checked_value_range(value_range)
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        return {"factor": _random.uniform((n,), self.factor[0], self.factor[1], seed=self._seed(seed))}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training:
            return x
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        sharp = ops.reshape(ops.cast(ops.multiply(transformation["factor"], 2.0), cd), (-1, 1, 1, 1))
        a, b = 1.0 / 13.0, 5.0 / 13.0
        channels = ops.shape(x)[-1]
        kernel = ops.convert_to_tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=cd)
        kernel = ops.tile(ops.reshape(kernel, (3, 3, 1, 1)), (1, 1, channels, 1))
        smooth = ops.depthwise_conv(x, kernel, strides=1, padding="same", data_format="channels_last")
        x = ops.add(x, ops.multiply(ops.subtract(1.0, sharp), ops.subtract(smooth, x)))
        x = ops.clip(x, self.value_range[0], self.value_range[1])
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomGaussianBlur(ColorLayerBase):
    """Blur images with a Gaussian kernel, each with probability drawn from ``factor``.

    One pair of standard deviations (height, width) uniform in ``sigma`` is drawn per call and
    shared by the batch; each image is blurred with probability ``p`` drawn uniformly in ``factor``.

    Args:
        factor: Blur probability: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        kernel_size: An odd int or a pair of odd ints.
        sigma: Standard deviation: a number in ``[0, 1]`` (meaning ``(0, sigma)``) or a pair.
        value_range: The ``(min, max)`` range of the input values; outputs are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor``, ``sigma`` or an even ``kernel_size``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._checked_kernel_size(kernel_size)
        self.sigma = factor_by_name(sigma, "sigma", self._FACTOR_BOUNDS)
        self.value_range = value_range
        self._init_seed(seed)

    @staticmethod
    def _checked_kernel_size(size: Any) -> tuple:
        msg = f"kernel_size must be an odd number. Received: kernel_size={size}"
        if isinstance(size, (tuple, list)):
            if len(size) != 2:
                raise ValueError(
                    "The `kernel_size` argument should be a number (or a list of two numbers) "
                    f"Received: kernel_size={size}"
                )
            if size[0] % 2 == 0 or size[1] % 2 == 0:
                raise ValueError(msg)
            return (size[0], size[1])
        if isinstance(size, (int, float)) and not isinstance(size, bool):
            if size % 2 == 0:
                raise ValueError(msg)
            return (size, size)
        raise ValueError(msg)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        n = batch_size(images_of(data))
        seed = self._seed(seed)
        prob = _random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        threshold = _random.uniform((n,), 0.0, 1.0, seed=seed)
        sigma = _random.uniform((2,), self.sigma[0], self.sigma[1], dtype=self.compute_dtype, seed=seed)
        return {"should_apply_blur": ops.less(threshold, prob), "blur_factor": ops.add(sigma, 1e-6)}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training or transformation is None:
            return x
        blurred = ops.image.gaussian_blur(
            x,
            kernel_size=tuple(int(k) for k in self.kernel_size),
            sigma=transformation["blur_factor"],
            data_format=self.data_format,
        )
        apply = ops.reshape(transformation["should_apply_blur"], (-1, 1, 1, 1))
        x = ops.where(apply, blurred, x)
        return ops.cast(ops.clip(x, self.value_range[0], self.value_range[1]), cd)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class Solarization(ColorLayerBase):
    """Invert the pixels above a random threshold, after adding a random offset.

    On the ``[0, 255]`` scale: ``y = clip(x + a, 0, 255)``, then ``255 - y`` where ``y >= t``; ``a``
    and ``t`` are drawn per image uniformly from ``[lower, upper * 255]`` of ``addition_factor`` and
    ``threshold_factor`` (as in Keras, only the upper end is scaled by 255). Outputs are floats.

    Args:
        addition_factor: A number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        threshold_factor: A number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``, ...).

    Raises:
        ValueError: For a bad factor or ``value_range``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_ERROR = (
        "The `addition_factor` and `threshold_factor` arguments should be a number "
        "(or a list of two numbers) in the range [0, 1]. "
    )

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._init_seed(seed)
        self.addition_factor = self._checked_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._checked_factor(threshold_factor, "threshold_factor")
        self.value_range = checked_value_range(value_range)

    def _checked_factor(self, factor: Any, name: str) -> tuple:
        def check(v):
            if v > 1.0 or v < 0:
                raise ValueError(self._FACTOR_ERROR + f"Received: input_number={v}")

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            lower, upper = sorted(factor)
            return (lower, upper)
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            check(factor)
            return (0, factor)
        raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = images_of(data)
        rank = len(ops.shape(images))
        shape = (batch_size(images), 1, 1, 1) if rank == 4 else (1, 1, 1)
        seed = self._seed(seed)
        cd = self.compute_dtype
        add = _random.uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255, dtype=cd, seed=seed)
        thr = _random.uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255, dtype=cd, seed=seed)
        return {"additions": add, "thresholds": thr}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training or transformation is None:
            return x
        x = self._transform_value_range(x, self.value_range, (0, 255), dtype=cd)
        y = ops.clip(ops.add(x, ops.cast(transformation["additions"], cd)), 0, 255)
        y = ops.where(ops.less(y, ops.cast(transformation["thresholds"], cd)), y, ops.subtract(255.0, y))
        return ops.cast(self._transform_value_range(y, (0, 255), self.value_range, dtype=cd), cd)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }


class AutoContrast(ColorLayerBase):
    """Stretch each image's channels to the full ``value_range`` (deterministic).

    Per image and channel, ``(x - min) * 255 / (max - min)`` on the ``[0, 255]`` scale, mapped back
    to ``value_range``; a constant channel is returned unchanged. As in Keras, min and max are taken
    over axes 1 and 2 (height and width for ``channels_last``). Runs the same with ``training=False``.

    Args:
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``, ...).

    Raises:
        ValueError: For a bad ``value_range``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any):
        super().__init__(**kwargs)
        self.value_range = checked_value_range(value_range)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        cd = self.compute_dtype
        original = images
        x = ops.cast(self._transform_value_range(images, self.value_range, (0, 255), dtype=cd), cd)
        low = ops.min(x, axis=(1, 2), keepdims=True)
        high = ops.max(x, axis=(1, 2), keepdims=True)
        flat = ops.equal(high, low)  # Keras gets NaN there (0 * inf) and returns the input
        scale = ops.divide(255.0, ops.where(flat, ops.ones_like(high), ops.subtract(high, low)))
        offset = ops.multiply(ops.negative(low), scale)
        y = ops.clip(ops.add(ops.multiply(x, scale), offset), 0.0, 255.0)
        y = self._transform_value_range(y, (0, 255), self.value_range, dtype=cd)
        keep = ops.logical_or(flat, ops.isnan(y))
        return ops.where(keep, ops.cast(original, ops.dtype(y)), y)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": self.value_range}
