"""Rectangle-mask augmentations: ``RandomErasing`` (fill a random box) and ``CutMix`` (paste a box from
another image of the batch and mix the labels by area)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .color_common import ColorLayerBase, batch_size, factor_by_name, hw_axes, images_of, mask_from_box
from .image_base import BaseImagePreprocessingLayer

__all__ = ["RandomErasing", "CutMix"]


def _crop_bounds(n: int, length: int, ratio: Any, dtype: str, seed: Any) -> tuple:
    """Start/end along one axis of a box ``ratio * length`` long at a uniform random offset."""
    crop = ops.cast(ops.multiply(ratio, float(length)), dtype)
    start = ops.multiply(_random.uniform((n,), 0.0, 1.0, dtype=dtype, seed=seed), ops.subtract(float(length), crop))
    return start, ops.add(start, crop)


class RandomErasing(ColorLayerBase):
    """Erase a random rectangle of each image, with a random probability drawn from ``factor``.

    The rectangle's sides are ``sqrt(u) * width`` and ``sqrt(v) * height`` with ``u, v`` uniform in
    ``scale``, at a uniform random position; it is filled with ``fill_value`` (default: Gaussian noise
    times ``value_range[1]``), clipped to ``value_range``.

    Args:
        factor: Erase probability: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        scale: Range of the squared side ratios: a number (meaning ``(0, scale)``) or a pair in ``[0, 1]``.
        fill_value: ``None`` (noise), a number, or three numbers (one per channel, channels_last).
        value_range: The ``(min, max)`` range of the input values.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``factor``, ``scale`` or ``fill_value``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = factor_by_name(scale, "scale", self._FACTOR_BOUNDS)
        self.fill_value = fill_value
        self.value_range = value_range
        self._init_seed(seed)

    def _fill(self, images: Any, shape: tuple, seed: Any) -> Any:
        cd = self.compute_dtype
        fill = self.fill_value
        if fill is None:
            fill = ops.multiply(_random.normal(shape, dtype=cd, seed=seed), float(self.value_range[1]))
        else:
            msg = "The `fill_value` argument should be a number (or a list of three numbers) "
            if isinstance(fill, (tuple, list)):
                if len(fill) != 3:
                    raise ValueError(msg)
                fill = ops.broadcast_to(ops.convert_to_tensor(list(fill), dtype=cd), shape)
            elif isinstance(fill, (int, float)) and not isinstance(fill, bool):
                fill = ops.full(shape, fill, dtype=cd)
            else:
                raise ValueError(msg)
        return ops.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = images_of(data)
        n = batch_size(images)
        shape = tuple(ops.shape(images))
        batch_shape = shape if len(shape) == 4 else (1,) + shape
        h_ax, w_ax, _ = hw_axes(self.data_format)
        seed = self._seed(seed)
        cd = self.compute_dtype
        ratios = ops.sqrt(_random.uniform((n, 2), self.scale[0], self.scale[1], dtype=cd, seed=seed))
        x0, x1 = _crop_bounds(n, batch_shape[w_ax], ratios[:, 0], cd, seed)
        y0, y1 = _crop_bounds(n, batch_shape[h_ax], ratios[:, 1], cd, seed)
        masks = mask_from_box(batch_shape, self.data_format, cd, x0, x1, y0, y1)
        prob = _random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        threshold = _random.uniform((n,), 0.0, 1.0, seed=seed)
        return {
            "apply_erasing": ops.less(threshold, prob),
            "batch_masks": masks,
            "fill_value": self._fill(images, shape, seed),
        }

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training or transformation is None:
            return x
        erased = ops.where(transformation["batch_masks"], ops.cast(transformation["fill_value"], cd), x)
        apply = ops.reshape(transformation["apply_erasing"], (-1, 1, 1, 1))
        return ops.where(apply, erased, x)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class CutMix(BaseImagePreprocessingLayer):
    """Paste a random rectangle of another image of the batch into each image and mix the labels.

    ``alpha`` is drawn uniformly from ``factor`` (plus 1e-6) once per call; each image draws a mixing
    weight ``w ~ Beta(alpha, alpha)``, takes a box with sides ``sqrt(1 - w)`` times its width and
    height from its partner in a random permutation of the batch, and its labels become
    ``a * labels + (1 - a) * partner_labels`` with ``a`` the share of the image left untouched.
    Single images (rank 3) pass through unchanged; segmentation masks are cut and pasted like the
    images (and returned as floats, as in Keras). Bounding boxes are not supported (as in Keras).

    Args:
        factor: Range of ``alpha``: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = images_of(data)
        shape = tuple(ops.shape(images))
        if len(shape) == 3:
            return None
        n = shape[0]
        h_ax, w_ax, _ = hw_axes(self.data_format)
        height, width = shape[h_ax], shape[w_ax]
        seed = self.generator if seed is None else seed
        cd = self.compute_dtype
        alpha = ops.add(_random.uniform((), self.factor[0], self.factor[1], dtype=cd, seed=seed), 1e-6)
        weight = _random.beta((n,), alpha, alpha, dtype=cd, seed=seed)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        x0, x1 = _crop_bounds(n, width, ratio, cd, seed)
        y0, y1 = _crop_bounds(n, height, ratio, cd, seed)
        masks = mask_from_box(shape, self.data_format, cd, x0, x1, y0, y1)
        area = ops.divide(ops.multiply(ops.subtract(x1, x0), ops.subtract(y1, y0)), float(width * height))
        order = _random.shuffle(ops.arange(0, n, dtype="int32"), seed=seed)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": ops.subtract(1.0, area)}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        x = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return x
        partner = ops.take(x, transformation["permutation_order"], axis=0)
        return ops.where(transformation["batch_masks"], partner, x)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if not training or transformation is None:
            return labels
        partner = ops.take(labels, transformation["permutation_order"], axis=0)
        weight = ops.reshape(transformation["mix_weight"], (-1, 1))
        return ops.add(ops.multiply(weight, labels), ops.multiply(ops.subtract(1.0, weight), partner))

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
