"""Non-affine warps: ``RandomPerspective`` and ``RandomElasticTransform`` (Keras 3 names and configs)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from ...ops.image_common import INTERPOLATION_ORDERS, to_nhwc
from ...ops.image_filter import depthwise_separable
from ...ops.image_sample import sample
from ...ops.image_warp import compute_homography_matrix
from .bounding_boxes import clip_to_image_size, convert_format
from .bounding_boxes.formats import split4
from .geometric_base import GeometricLayer, check_choice

__all__ = ["RandomElasticTransform", "RandomPerspective"]

_INTERPOLATIONS = ("nearest", "bilinear")


def _batch_size(shape: tuple) -> int:
    return shape[0] if len(shape) == 4 else 1


class RandomPerspective(GeometricLayer):
    """Random perspective warps in training (Keras' ``RandomPerspective``).

    For each image, with probability drawn from ``factor``, the four corners move by up to
    ``scale / 2`` of their coordinates and the image is warped accordingly
    (``kshim.ops.image.perspective_transform``; zeros, or ``fill_value``, outside).

    Deliberate difference: Keras returns the warped boxes in ``xyxy`` whatever
    ``bounding_box_format`` is; kshim converts them back to ``bounding_box_format`` (the same for
    ``"xyxy"``).

    Args:
        factor: Probability range of applying the warp: a number ``f`` (``[0, f]``) or a pair, in ``[0, 1]``.
        scale: Strength of the corner displacement, in ``[0, 1]``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: The value outside the warped image.
        seed: Random seed.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for ``factor`` or ``scale`` outside ``[0, 1]``.
        NotImplementedError: for an unsupported ``interpolation``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        check_choice("interpolation", interpolation, _INTERPOLATIONS)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        n = _batch_size(shape)
        h, w = self._hw(shape)
        seed = self.generator if seed is None else seed
        prob = _random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        threshold = _random.uniform((n,), 0.0, 1.0, seed=seed)
        d = self.compute_dtype
        shift = _random.uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, dtype=d, seed=seed)
        corners = [[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1], [w - 1, h - 1]]
        start = ops.repeat(ops.convert_to_tensor([corners], dtype=d), n, axis=0)
        return {
            "apply_perspective": ops.less(threshold, prob),
            "start_points": start,
            "end_points": ops.add(start, ops.multiply(start, shift)),
            "input_shape": shape,
        }

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        unbatched = len(ops.shape(images)) == 3
        x = ops.expand_dims(images, 0) if unbatched else images
        out = ops.image.perspective_transform(
            x,
            transformation["start_points"],
            transformation["end_points"],
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        apply = ops.reshape(ops.convert_to_tensor(transformation["apply_perspective"]), (-1, 1, 1, 1))
        out = ops.where(apply, out, x)
        return ops.squeeze(out, 0) if unbatched else out

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training or transformation is None:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=h, width=w)
        d = self.compute_dtype
        hm = ops.cast(compute_homography_matrix(transformation["start_points"], transformation["end_points"]), d)
        n = ops.shape(hm)[0]
        inv = ops.linalg.inv(ops.reshape(ops.concatenate([hm, ops.ones((n, 1), d)], axis=-1), (n, 3, 3)))
        x0, y0, x1, y1 = (ops.squeeze(v, -1) for v in split4(bb["boxes"]))
        xs = ops.stack([x0, x1, x0, x1], axis=-1)  # (B, N, 4) corners
        ys = ops.stack([y0, y1, y1, y0], axis=-1)
        m = [[ops.reshape(inv[:, r, c], (-1, 1, 1)) for c in range(3)] for r in range(3)]

        def row(r: int) -> Any:
            return ops.add(ops.add(ops.multiply(m[r][0], xs), ops.multiply(m[r][1], ys)), m[r][2])

        den = row(2)
        tx, ty = ops.divide(row(0), den), ops.divide(row(1), den)
        boxes = ops.stack(
            [ops.min(tx, axis=-1), ops.min(ty, axis=-1), ops.max(tx, axis=-1), ops.max(ty, axis=-1)], axis=-1
        )
        apply = ops.reshape(ops.convert_to_tensor(transformation["apply_perspective"]), (-1, 1, 1))
        bb["boxes"] = ops.where(apply, boxes, bb["boxes"])
        bb = clip_to_image_size(bb, height=h, width=w, bounding_box_format="xyxy")
        return convert_format(bb, "xyxy", self._box_format, height=h, width=w)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
                "seed": self.seed,
            }
        )
        return cfg


class RandomElasticTransform(GeometricLayer):
    """Random elastic deformations in training (Keras' ``RandomElasticTransform``).

    Per call, a distortion strength ``s`` is drawn from ``scale`` and each image is deformed with
    probability drawn from ``factor``, by ``kshim.ops.image.elastic_transform`` with
    ``alpha = 0.1 s max(H, W)`` and ``sigma = 0.05 s min(H, W)``; the result is clipped to
    ``value_range``. The transformation holds the field's seed (Keras: the layer's generator;
    kshim: the ``(2,)`` key drawn for this call), so applying one transformation twice gives one
    result. The Gaussian kernel is Keras' (``int(6 sigma) | 1`` taps) laid out over the widest
    kernel ``scale`` allows, so ``sigma`` may be a traced value in jitted steps. The random field
    is kshim's (Keras' backends each draw their own).

    Args:
        factor: Probability range of applying the deformation, in ``[0, 1]``.
        scale: Range of the distortion strength ``s``, in ``[0, 1]``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value outside the image for ``fill_mode="constant"``.
        value_range: ``(min, max)`` the output is clipped to.
        seed: Random seed.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for ``factor`` or ``scale`` outside ``[0, 1]``.
        NotImplementedError: for an unsupported ``interpolation`` or ``fill_mode``.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _SUPPORTED_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = self._scale_range(scale)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self._init_seed(seed)
        check_choice("interpolation", interpolation, _INTERPOLATIONS)
        check_choice("fill_mode", fill_mode, self._SUPPORTED_FILL_MODES)

    def _scale_range(self, factor: Any) -> tuple:
        saved = self.__dict__.get("factor")
        try:
            self._set_factor(factor)
        except ValueError:
            raise ValueError(
                "The `scale` argument should be a number (or a list of two numbers) in the range "
                f"[0, 1]. Received: factor={factor}"
            ) from None
        out, self.factor = self.factor, saved
        return out

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n = _batch_size(tuple(ops.shape(self._images_of(data))))
        gen = self.generator if seed is None else seed
        prob = _random.uniform((n,), self.factor[0], self.factor[1], seed=gen)
        threshold = _random.uniform((n,), 0.0, 1.0, seed=gen)
        strength = _random.uniform((), self.scale[0], self.scale[1], dtype=self.compute_dtype, seed=gen)
        field_seed = gen.next() if isinstance(gen, _random.SeedGenerator) else gen
        return {"apply_transform": ops.less(threshold, prob), "distortion_factor": strength, "seed": field_seed}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        h, w = self._hw(ops.shape(images))
        s = transformation["distortion_factor"]
        alpha = ops.multiply(max(h, w), ops.multiply(0.1, s))
        sigma = ops.multiply(min(h, w), ops.multiply(0.05, s))
        max_sigma = min(h, w) * (0.05 * float(self.scale[1]))
        out = elastic_warp(
            images,
            alpha,
            sigma,
            int(6 * max_sigma) | 1,
            transformation["seed"],
            interpolation,
            self.fill_mode,
            self.fill_value,
            self.data_format,
        )
        apply = ops.reshape(
            ops.convert_to_tensor(transformation["apply_transform"]), (-1,) + (1,) * (len(ops.shape(images)) - 1)
        )
        out = ops.clip(ops.where(apply, out, images), self.value_range[0], self.value_range[1])
        return ops.cast(out, self.compute_dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
                "seed": self.seed,
            }
        )
        return cfg


def _masked_gaussian(size: int, sigma: Any, dtype: str) -> Any:
    """The normalised Gaussian of ``int(6 sigma) | 1`` taps, zero-extended to ``size`` (odd) taps."""
    x = ops.subtract(ops.arange(size, dtype=dtype), (size - 1) / 2.0)
    radius = ops.floor(ops.divide(ops.floor(ops.multiply(sigma, 6.0)), 2.0))
    safe = ops.maximum(sigma, 1e-12)
    k = ops.where(ops.less_equal(ops.abs(x), radius), ops.exp(ops.multiply(-0.5, ops.square(ops.divide(x, safe)))), 0.0)
    return ops.divide(k, ops.sum(k))


def elastic_warp(
    images: Any,
    alpha: Any,
    sigma: Any,
    kernel_size: int,
    seed: Any,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
    data_format: str,
) -> Any:
    """``kshim.ops.image.elastic_transform`` with a possibly traced ``sigma``: the same normal draw,
    blurred with the Gaussian of ``int(6 sigma) | 1`` taps inside a ``kernel_size`` window (which
    must be at least that wide), then the same resampling.

    Args:
        images: A rank-3 or rank-4 float tensor.
        alpha: Displacement scale (0-d).
        sigma: Smoothing standard deviation (0-d, may be traced).
        kernel_size: A concrete odd window size ``>= int(6 sigma) | 1``.
        seed: The draw's seed (an int, a ``SeedGenerator`` or a ``(2,)`` key).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: A ``kshim.ops.image.map_coordinates`` fill mode.
        fill_value: The value outside the image for ``"constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The deformed images.
    """
    xn, restore = to_nhwc(ops.convert_to_tensor(images), data_format)
    n, h, w, _ = ops.shape(xn)
    d = ops.dtype(xn)
    sigma = ops.cast(sigma, d)
    field = ops.multiply(_random.normal((2, n, h, w), dtype=d, seed=seed), sigma)
    field = ops.transpose(field, (1, 2, 3, 0))
    kern = _masked_gaussian(kernel_size, sigma, d)
    field = depthwise_separable(field, kern, kern, same=True)
    a = ops.cast(alpha, d)
    ys = ops.reshape(ops.arange(h, dtype=d), (1, h, 1))
    xs = ops.reshape(ops.arange(w, dtype=d), (1, 1, w))
    x_in = ops.add(xs, ops.multiply(a, field[..., 0]))
    y_in = ops.add(ys, ops.multiply(a, field[..., 1]))
    return restore(sample(xn, [y_in, x_in], INTERPOLATION_ORDERS[interpolation], fill_mode, fill_value, batched=True))
