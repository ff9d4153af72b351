"""Affine augmentation layers: ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``, ``RandomShear``.

Each draws Keras' transformation dict and warps with ``kshim.ops.image.affine_transform`` (whose
rows give, for every output pixel, the input point it samples). The dicts have Keras' keys and
meanings, so a transformation drawn by either library can be applied by the other.
"""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .bounding_boxes import affine_transform as _box_affine
from .bounding_boxes import clip_to_image_size, convert_format
from .bounding_boxes.formats import join4, split4
from .geometric_base import GeometricLayer, check_choice, named_factor

__all__ = ["RandomRotation", "RandomShear", "RandomTranslation", "RandomZoom"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _batch_size(shape: tuple) -> int:
    return shape[0] if len(shape) == 4 else 1


def _warp_batch(images: Any, transform: Any, layer: Any, interpolation: str) -> Any:
    unbatched = len(ops.shape(images)) == 3
    x = ops.expand_dims(images, 0) if unbatched else images
    out = ops.image.affine_transform(
        x,
        transform=transform,
        interpolation=interpolation,
        fill_mode=layer.fill_mode,
        fill_value=layer.fill_value,
        data_format=layer.data_format,
    )
    return ops.squeeze(out, 0) if unbatched else out


def _apply_rows(transform: Any, x: Any, y: Any) -> tuple:
    """Keras' ``get_transformed_x_y``: the point ``(x, y)`` through each ``(B, 8)`` row (``(B, 1)`` each)."""
    a0, a1, a2, b0, b1, b2, c0, c1 = ops.split(transform, 8, axis=-1)
    k = ops.add(ops.add(ops.multiply(c0, x), ops.multiply(c1, y)), 1)
    xt = ops.divide(ops.add(ops.add(ops.multiply(a0, x), ops.multiply(a1, y)), a2), k)
    yt = ops.divide(ops.add(ops.add(ops.multiply(b0, x), ops.multiply(b1, y)), b2), k)
    return xt, yt


class _AffineLayer(GeometricLayer):
    _USE_BASE_FACTOR = False
    _FACTOR_ATTRS: tuple = ()  # the layer's factor arguments, written into its config

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({a: getattr(self, a) for a in self._FACTOR_ATTRS})
        cfg.update(
            {
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "data_format": self.data_format,
            }
        )
        return cfg

    def _setup(self, fill_mode: str, interpolation: str, fill_value: float, seed: int | None) -> None:
        check_choice("fill_mode", fill_mode, _FILL_MODES)
        check_choice("interpolation", interpolation, _INTERPOLATIONS)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)


class RandomRotation(_AffineLayer):
    """Rotate images by a random angle in training (Keras' ``RandomRotation``).

    ``factor`` is a fraction of a full turn: ``0.2`` rotates by up to ±72°, ``(-0.2, 0.3)`` by
    ``[-72°, 108°]`` (positive is counter-clockwise). One angle per image.

    Deliberate difference: Keras applies the box warp to boxes in ``bounding_box_format`` as if
    they were ``xyxy``; kshim converts to ``xyxy`` first (the same for ``"xyxy"`` boxes).

    Args:
        factor: A number ``f`` (``[-f, f]``) or a pair ``(lower, upper)``, in turns.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Random seed.
        fill_value: The value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``bounding_box_format``, ...).

    Raises:
        NotImplementedError: for an unsupported ``fill_mode`` or ``interpolation`` (as Keras).
    """

    _FACTOR_ATTRS = ("factor",)

    _USE_BASE_FACTOR = True

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        n = _batch_size(shape)
        h, w = self._hw(shape)
        angle = _random.uniform((n,), self.factor[0] * 360.0, self.factor[1] * 360.0, seed=self._seed(seed))
        z, o = ops.zeros((n,)), ops.ones((n,))
        matrix = self.compute_affine_matrix(0.5, 0.5, angle, z, z, o, z, z, h, w)
        if len(shape) == 3:
            matrix = ops.squeeze(matrix, 0)
        return {"angle": angle, "rotation_matrix": matrix, "image_height": h, "image_width": w, "batch_size": n}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        return _warp_batch(images, transformation["rotation_matrix"], self, interpolation)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        h, w, n = transformation["image_height"], transformation["image_width"], transformation["batch_size"]
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=h, width=w)
        z, o = ops.zeros((n,)), ops.ones((n,))
        bb["boxes"] = _box_affine(
            bb["boxes"],
            angle=transformation["angle"],
            translate_x=z,
            translate_y=z,
            scale=o,
            shear_x=z,
            shear_y=z,
            height=h,
            width=w,
        )
        bb = clip_to_image_size(bb, height=h, width=w, bounding_box_format="xyxy")
        return convert_format(bb, "xyxy", self._box_format, height=h, width=w)


class RandomZoom(_AffineLayer):
    """Zoom images in or out by a random factor in training (Keras' ``RandomZoom``).

    A factor ``f`` scales the sampled region by ``1 + f``: negative values zoom in, positive
    values zoom out. Without ``width_factor`` both axes use the height draw (aspect preserved).

    Args:
        height_factor: A number ``f`` (``[-f, f]``) or a pair, each in ``(-1, 1]``.
        width_factor: The same for the width, or ``None``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Random seed.
        fill_value: The value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for factors outside ``(-1, 1]``.
        NotImplementedError: for an unsupported ``fill_mode`` or ``interpolation``.
    """

    _FACTOR_ATTRS = ("height_factor", "width_factor")

    _MSG = (
        "The `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) "
        "in the range (-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = named_factor(
            height_factor, "height_factor", self._MSG, -1.0, 1.0, lo_open=True
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = named_factor(
                width_factor, "width_factor", self._MSG, -1.0, 1.0, lo_open=True
            )
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        zshape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        seed = self._seed(seed)
        hz = _random.uniform(zshape, 1.0 + self.height_lower, 1.0 + self.height_upper, seed=seed)
        wz = (
            hz
            if self.width_factor is None
            else _random.uniform(zshape, 1.0 + self.width_lower, 1.0 + self.width_upper, seed=seed)
        )
        return {"height_zoom": hz, "width_zoom": wz, "input_shape": shape}

    @staticmethod
    def _zoom_matrix(zooms: Any, height: int, width: int) -> Any:
        n = ops.shape(zooms)[0]
        zx, zy = zooms[:, 0:1], zooms[:, 1:]
        x_off = ops.multiply((float(width) - 1.0) / 2.0, ops.subtract(1.0, zx))
        y_off = ops.multiply((float(height) - 1.0) / 2.0, ops.subtract(1.0, zy))
        z = ops.zeros((n, 1))
        return ops.concatenate([zx, z, x_off, z, zy, y_off, ops.zeros((n, 2))], axis=1)

    def _zooms(self, transformation: dict) -> Any:
        return ops.cast(
            ops.concatenate([transformation["width_zoom"], transformation["height_zoom"]], axis=1), "float32"
        )

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        h, w = self._hw(ops.shape(images))
        return _warp_batch(images, self._zoom_matrix(self._zooms(transformation), h, w), self, interpolation)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=h, width=w)
        m = self._zoom_matrix(self._zooms(transformation), h, w)
        w0, h0 = _apply_rows(m, 0, 0)
        w1, h1 = _apply_rows(m, w, h)
        if len(ops.shape(bb["boxes"])) == 3:
            w0, h0, w1, h1 = (ops.expand_dims(v, -1) for v in (w0, h0, w1, h1))
        x1, y1, x2, y2 = split4(bb["boxes"])
        cx = lambda v: ops.subtract(ops.clip(v, w0, w1), w0)  # noqa: E731
        cy = lambda v: ops.subtract(ops.clip(v, h0, h1), h0)  # noqa: E731
        bb["boxes"] = join4(cx(x1), cy(y1), cx(x2), cy(y2))
        th, tw = ops.subtract(h1, h0), ops.subtract(w1, w0)
        if len(ops.shape(th)) < len(ops.shape(bb["boxes"])):
            th, tw = ops.expand_dims(th, -1), ops.expand_dims(tw, -1)
        bb = convert_format(bb, "xyxy", "rel_xyxy", height=th, width=tw)
        bb = clip_to_image_size(bb, height=th, width=tw, bounding_box_format="rel_xyxy")
        return convert_format(bb, "rel_xyxy", self._box_format, height=h, width=w)


class RandomTranslation(_AffineLayer):
    """Shift images by a random fraction of their size in training (Keras' ``RandomTranslation``).

    Args:
        height_factor: A number ``f`` (``[-f, f]``) or a pair, fractions of the height in ``[-1, 1]``.
        width_factor: The same for the width.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Random seed.
        fill_value: The value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for factors outside ``[-1, 1]``.
        NotImplementedError: for an unsupported ``fill_mode`` or ``interpolation``.
    """

    _FACTOR_ATTRS = ("height_factor", "width_factor")

    _MSG = "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = named_factor(height_factor, "height_factor", self._MSG, -1.0, 1.0)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = named_factor(width_factor, "width_factor", self._MSG, -1.0, 1.0)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        n = _batch_size(shape)
        h, w = self._hw(shape)
        seed = self._seed(seed)
        ht = ops.multiply(_random.uniform((n, 1), self.height_lower, self.height_upper, seed=seed), h)
        wt = ops.multiply(_random.uniform((n, 1), self.width_lower, self.width_upper, seed=seed), w)
        return {"translations": ops.cast(ops.concatenate([wt, ht], axis=1), "float32"), "input_shape": shape}

    @staticmethod
    def _translation_matrix(t: Any) -> Any:
        n = ops.shape(t)[0]
        o, z = ops.ones((n, 1)), ops.zeros((n, 1))
        return ops.concatenate([o, z, ops.negative(t[:, 0:1]), z, o, ops.negative(t[:, 1:]), ops.zeros((n, 2))], axis=1)

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        return _warp_batch(images, self._translation_matrix(transformation["translations"]), self, interpolation)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=h, width=w)
        dx, dy = _apply_rows(self._translation_matrix(transformation["translations"]), 0, 0)
        boxes = bb["boxes"]
        d = ops.dtype(boxes)
        dx, dy = ops.cast(dx, d), ops.cast(dy, d)
        if len(ops.shape(boxes)) == 3:
            dx, dy = ops.expand_dims(dx, -1), ops.expand_dims(dy, -1)
        x1, y1, x2, y2 = split4(boxes)
        bb["boxes"] = join4(ops.subtract(x1, dx), ops.subtract(y1, dy), ops.subtract(x2, dx), ops.subtract(y2, dy))
        bb = clip_to_image_size(bb, height=h, width=w, bounding_box_format="xyxy")
        return convert_format(bb, "xyxy", self._box_format, height=h, width=w)


class RandomShear(_AffineLayer):
    """Shear images by random amounts along x and/or y in training (Keras' ``RandomShear``).

    Each image gets ``(shear_x, shear_y)`` drawn from the factor ranges, both negated with
    probability 1/2. Boxes follow Keras' formula (in relative coordinates, exact for square images).

    Deliberate difference: ``get_config`` records a number ``f`` as ``(-f, f)`` (as Keras), which
    Keras' own ``from_config`` then rejects; kshim's ``from_config`` reads such a pair back as ``f``.

    Args:
        x_factor: A number ``f`` (``[-f, f]``) or a pair, in ``[0, 1]``.
        y_factor: The same for the y direction.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: The value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Random seed.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for factors outside ``[0, 1]``.
        NotImplementedError: for an unsupported ``fill_mode`` or ``interpolation``.
    """

    _FACTOR_ATTRS = ("x_factor", "y_factor")

    _MSG = "The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = named_factor(x_factor, "x_factor", self._MSG, 0.0, 1.0)
        self.y_factor = named_factor(y_factor, "y_factor", self._MSG, 0.0, 1.0)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        n = _batch_size(shape)
        seed, d = self._seed(seed), self.compute_dtype
        u = _random.uniform((n, 1), 0.0, 1.0, dtype=d, seed=seed)
        invert = ops.where(ops.greater(u, 0.5), ops.cast(-1.0, d), ops.cast(1.0, d))
        sy = _random.uniform((n, 1), self.y_factor[0], self.y_factor[1], dtype=d, seed=seed)
        sx = _random.uniform((n, 1), self.x_factor[0], self.x_factor[1], dtype=d, seed=seed)
        return {"shear_factor": ops.multiply(ops.concatenate([sx, sy], axis=1), invert), "input_shape": shape}

    @classmethod
    def from_config(cls, config: dict) -> "RandomShear":
        config = dict(config)
        for key in ("x_factor", "y_factor"):
            v = config.get(key)
            if isinstance(v, (list, tuple)) and len(v) == 2 and v[0] < 0:  # the stored (-f, f) of a number f
                config[key] = float(v[1])
        return super().from_config(config)

    @staticmethod
    def _shear_matrix(s: Any) -> Any:
        n = ops.shape(s)[0]
        o, z = ops.ones((n,)), ops.zeros((n,))
        return ops.stack([o, ops.cast(s[:, 0], "float32"), z, ops.cast(s[:, 1], "float32"), o, z, z, z], axis=1)

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        return _warp_batch(images, self._shear_matrix(transformation["shear_factor"]), self, interpolation)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        d = self.compute_dtype
        bb = convert_format(bounding_boxes, self._box_format, "rel_xyxy", height=h, width=w, dtype=d)
        sx, sy = ops.split(ops.cast(transformation["shear_factor"], d), 2, axis=-1)
        x1, y1, x2, y2 = (ops.squeeze(v, -1) for v in split4(bb["boxes"]))
        x1 = ops.where(ops.less(sx, 0), ops.subtract(x1, ops.multiply(sx, y1)), ops.subtract(x1, ops.multiply(sx, y2)))
        x2 = ops.where(ops.less(sx, 0), ops.subtract(x2, ops.multiply(sx, y2)), ops.subtract(x2, ops.multiply(sx, y1)))
        y1 = ops.where(
            ops.greater(sy, 0), ops.subtract(y1, ops.multiply(sy, x2)), ops.subtract(y1, ops.multiply(sy, x1))
        )
        y2 = ops.where(
            ops.greater(sy, 0), ops.subtract(y2, ops.multiply(sy, x1)), ops.subtract(y2, ops.multiply(sy, x2))
        )
        bb["boxes"] = ops.stack([x1, y1, x2, y2], axis=-1)
        bb = clip_to_image_size(bb, height=h, width=w, bounding_box_format="rel_xyxy")
        return convert_format(bb, "rel_xyxy", self._box_format, height=h, width=w, dtype=d)
