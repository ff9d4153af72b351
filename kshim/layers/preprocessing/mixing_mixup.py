"""``MixUp``: blend each image (and its labels) with a partner from the same batch."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .color_common import batch_size, images_of
from .image_base import BaseImagePreprocessingLayer

__all__ = ["MixUp"]


class MixUp(BaseImagePreprocessingLayer):
    """MixUp augmentation (Zhang et al., 2017).

    Each call draws a permutation of the batch and per-image weights ``w ~ Beta(alpha, alpha)``;
    images become ``w * x + (1 - w) * x[perm]``, labels and segmentation masks are mixed with the
    same weights, and bounding boxes (with their labels) of the partner image are appended along
    the box axis.

    kshim differs from Keras 3 in two places where Keras is inconsistent: segmentation masks are
    gathered along the batch axis (Keras gathers from the flattened masks), and box labels are
    concatenated along the box axis like the boxes (Keras concatenates them along the batch axis).
    The permutation is int32 (Keras: int64).

    Args:
        alpha: Concentration of the Beta distribution of the weights.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        seed: Integer seed of the layer's random draws.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha: float = 0.2, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self._init_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        n = batch_size(images_of(data))
        seed = self.generator if seed is None else seed
        order = _random.shuffle(ops.arange(0, n, dtype="int32"), seed=seed)
        weight = _random.beta((n,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": weight, "permutation_order": order}

    @staticmethod
    def _mix(values: Any, transformation: Any, weight_shape: tuple) -> Any:
        weight = ops.reshape(transformation["mix_weight"], weight_shape)
        partner = ops.take(values, transformation["permutation_order"], axis=0)
        return ops.add(ops.multiply(weight, values), ops.multiply(ops.subtract(1.0, weight), partner))

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        if not training:
            return images
        cd = self.compute_dtype
        t = dict(transformation)
        t["mix_weight"] = ops.cast(t["mix_weight"], cd)
        return self._mix(ops.cast(images, cd), t, (-1, 1, 1, 1))

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return labels
        return self._mix(labels, transformation, (-1, 1))

    def transform_bounding_boxes(self, bounding_boxes: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return bounding_boxes
        order = transformation["permutation_order"]
        out = dict(bounding_boxes)
        for key in ("boxes", "labels"):
            value = bounding_boxes[key]
            out[key] = ops.concatenate([value, ops.take(value, order, axis=0)], axis=1)
        return out

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return segmentation_masks
        return self._mix(segmentation_masks, transformation, (-1, 1, 1, 1))

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
