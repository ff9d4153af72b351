"""``RandomFlip`` and ``MaxNumBoundingBoxes`` (Keras 3 names and configs)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .bounding_boxes import clip_to_image_size, convert_format
from .bounding_boxes.formats import join4, split4
from .geometric_base import GeometricLayer
from .image_base import BaseImagePreprocessingLayer

__all__ = ["MaxNumBoundingBoxes", "RandomFlip"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(GeometricLayer):
    """Randomly flip images left-right and/or top-bottom in training (Keras' ``RandomFlip``).

    One draw per image decides whether it is flipped (with ``"horizontal_and_vertical"`` the same
    draw flips both axes, as in Keras). The transformation is Keras' ``{"flips", "input_shape"}``.
    Output is in the compute dtype; ``training=False`` only casts.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: Random seed.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``bounding_box_format``, ...).
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._init_seed(seed)
        self.mode = mode

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        shape = tuple(ops.shape(self._images_of(data)))
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        u = _random.uniform(flips_shape, seed=self.generator if seed is None else seed)
        return {"flips": ops.less_equal(u, 0.5), "input_shape": shape}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        flips = transformation["flips"]
        unbatched = len(ops.shape(images)) == 3
        x = ops.expand_dims(images, 0) if unbatched else images
        h_axis, w_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x = ops.where(flips, ops.flip(x, axis=w_axis), x)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x = ops.where(flips, ops.flip(x, axis=h_axis), x)
        return ops.squeeze(x, 0) if unbatched else x

    def transform_segmentation_masks(  # type: ignore[override]  # as Keras
        self,
        segmentation_masks: Any,
        transformation: Any,
        training: bool = True,
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        flips = ops.squeeze(transformation["flips"], axis=-1)
        h, w = self._hw(transformation["input_shape"])
        bb = convert_format(bounding_boxes, self._box_format, "rel_xyxy", height=h, width=w)
        boxes = bb["boxes"]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = split4(boxes)
            boxes = ops.where(flips, join4(ops.subtract(1, x2), y1, ops.subtract(1, x1), y2), boxes)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = split4(boxes)
            boxes = ops.where(flips, join4(x1, ops.subtract(1, y2), x2, ops.subtract(1, y1)), boxes)
        bb["boxes"] = boxes
        # Keras clips the relative boxes with the "xyxy" bounds (0..height/width); kept as Keras.
        bb = clip_to_image_size(bb, height=h, width=w, bounding_box_format="xyxy")
        return convert_format(bb, "rel_xyxy", self._box_format, height=h, width=w)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"seed": self.seed, "mode": self.mode, "data_format": self.data_format})
        return cfg


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pad or truncate the boxes of each image to exactly ``max_number`` (Keras' ``MaxNumBoundingBoxes``).

    Boxes and labels past ``max_number`` are dropped; missing ones are filled with ``fill_value``.
    Images, labels and masks pass through unchanged. As in Keras, ``fill_value`` is not part of
    ``get_config``.

    Args:
        max_number: The number of boxes per image in the output.
        fill_value: The value of padded box coordinates and labels.
        **kwargs: Base layer arguments (``bounding_box_format`` is required for box inputs).
    """

    def __init__(self, max_number: int, fill_value: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        return images

    def transform_labels(self, labels: Any, transformation: Any = None, training: bool = True) -> Any:
        return labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
        labels = ops.convert_to_tensor(bounding_boxes["labels"])
        n = ops.shape(boxes)[1]
        extra = max(self.max_number - n, 0)
        boxes = ops.pad(boxes[:, : self.max_number], [[0, 0], [0, extra], [0, 0]], constant_values=self.fill_value)
        labels = ops.pad(labels[:, : self.max_number], [[0, 0], [0, extra]], constant_values=self.fill_value)
        out = dict(bounding_boxes)
        out["boxes"], out["labels"] = boxes, labels
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"There are unsupported keys in `bounding_boxes`: {list(extra)}. "
                    "Only `boxes` and `labels` are supported."
                )
            input_shape = dict(input_shape)
            bshape = list(input_shape["bounding_boxes"]["boxes"])
            lshape = list(input_shape["bounding_boxes"]["labels"])
            bshape[1] = lshape[1] = self.max_number
            input_shape["bounding_boxes"] = {"boxes": bshape, "labels": lshape}
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["max_number"] = self.max_number
        return cfg
