"""Shared machinery of the geometric image layers (Keras' base-class behaviour they rely on).

:class:`GeometricLayer` adds to :class:`BaseImagePreprocessingLayer` what Keras' base class does
for these layers: ``transform_images`` casts to the compute dtype and, in training, calls
``_transform_images(images, transformation, self.interpolation)``; segmentation masks go through
the same warp with ``"nearest"`` interpolation; labels pass through. Also the affine matrix of
Keras' ``_compute_affine_matrix`` and the named-factor validation of the zoom/translation/shear
layers.
"""

from __future__ import annotations

import math
from typing import Any

from ... import ops
from ..._symbolic import KerasTensor
from .bounding_boxes import densify_bounding_boxes
from .image_base import BaseImagePreprocessingLayer

__all__ = ["GeometricLayer", "check_choice", "named_factor"]


def check_choice(kind: str, value: Any, supported: tuple) -> None:
    """Keras raises ``NotImplementedError`` for an unsupported ``fill_mode``/``interpolation``."""
    if value not in supported:
        raise NotImplementedError(f"Unknown `{kind}` {value}. Expected of one {supported}.")


def named_factor(factor: Any, name: str, message: str, lo: float, hi: float, lo_open: bool = False) -> tuple:
    """``(lower, upper)`` from a number ``f`` (``(-f, f)``) or a pair, each inside ``[lo, hi]``
    (``(lo, hi]`` when ``lo_open``), as Keras' zoom/translation/shear layers validate them."""

    def check(v: Any) -> None:
        if v > hi or (v <= lo if lo_open else v < lo):
            raise ValueError(message + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        f = abs(factor)
        lower, upper = -f, f
    else:
        raise ValueError(message + f"Received: {name}={factor}")
    return lower, upper


class GeometricLayer(BaseImagePreprocessingLayer):
    """Base of the geometric layers: Keras' image/mask/label dispatch and shape helpers."""

    interpolation = "bilinear"

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not transform images.")

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        images = ops.cast(images, self.compute_dtype)
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        if training:
            segmentation_masks = self._transform_images(segmentation_masks, transformation, "nearest")
        return segmentation_masks

    def transform_labels(self, labels: Any, transformation: Any = None, training: bool = True) -> Any:
        return labels

    def _hw(self, shape: Any) -> tuple:
        """``(height, width)`` of an image shape (rank 3 or 4) in this layer's data format."""
        shape = tuple(shape)
        if self.data_format == "channels_first":
            return shape[-2], shape[-1]
        return shape[-3], shape[-2]

    @staticmethod
    def _images_of(data: Any) -> Any:
        return data["images"] if isinstance(data, dict) else data

    def _output_dtype(self, input_dtype: str) -> str:
        return self.compute_dtype

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Image inputs: the shape from ``compute_output_shape`` and the output dtype, without
        running the augmentation on probe arrays; dict inputs are probed as usual."""
        if len(args) == 1 and isinstance(args[0], KerasTensor):
            return KerasTensor(self.compute_output_shape(args[0].shape), self._output_dtype(args[0].dtype))
        return super().compute_output_spec(*args, **kwargs)

    def call(self, data: Any, training: bool = True) -> Any:
        if isinstance(data, dict) and "bounding_boxes" in data:
            data = dict(data)
            data["bounding_boxes"] = densify_bounding_boxes(data["bounding_boxes"])
        return super().call(data, training=training)

    def compute_affine_matrix(
        self,
        center_x: float,
        center_y: float,
        angle: Any,
        translate_x: Any,
        translate_y: Any,
        scale: Any,
        shear_x: Any,
        shear_y: Any,
        height: int,
        width: int,
    ) -> Any:
        """``(B, 8)`` affine rows (``kshim.ops.image.affine_transform``'s inverse-warp form) for a
        rotation by ``angle`` degrees about the centre ``(center_x, center_y)`` (fractions of
        ``width - 1``/``height - 1``), with scale, shear (degrees) and translation (pixels): the
        matrix of Keras' ``_compute_affine_matrix``. ``angle`` sets the batch size and dtype."""
        rad = ops.convert_to_tensor(math.pi / 180.0)
        angle = ops.multiply(angle, rad)
        d = ops.dtype(angle)
        n = ops.shape(angle)[0]
        shear_x = ops.tan(ops.multiply(shear_x, rad))
        shear_y = ops.tan(ops.multiply(shear_y, rad))
        cx = ops.multiply(center_x, ops.subtract(ops.cast(width, d), 1))
        cy = ops.multiply(center_y, ops.subtract(ops.cast(height, d), 1))
        cos, sin = ops.cos(angle), ops.sin(angle)
        a0 = ops.multiply(scale, ops.add(cos, ops.multiply(shear_x, sin)))
        a1 = ops.multiply(scale, ops.add(ops.negative(sin), ops.multiply(shear_x, cos)))
        a2 = ops.subtract(ops.subtract(ops.add(translate_x, cx), ops.multiply(cx, a0)), ops.multiply(cy, a1))
        b0 = ops.multiply(scale, ops.add(ops.multiply(shear_y, cos), sin))
        b1 = ops.multiply(scale, ops.add(ops.multiply(shear_y, ops.negative(sin)), cos))
        b2 = ops.subtract(ops.subtract(ops.add(translate_y, cy), ops.multiply(cx, b0)), ops.multiply(cy, b1))
        cols = [ops.expand_dims(v, 1) for v in (a0, a1, a2, b0, b1, b2)]
        return ops.concatenate(cols + [ops.zeros((n, 2), d)], axis=1)
