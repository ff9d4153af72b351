"""``keras.utils.bounding_boxes.compute_iou`` and ``compute_ciou``."""

from __future__ import annotations

import math
from typing import Any

from .... import _config
from .... import ops
from .formats import convert_format, split4

__all__ = ["compute_ciou", "compute_iou"]


def _area_yxyx(box: Any) -> Any:
    y1, x1, y2, x2 = split4(box[..., :4])
    return ops.squeeze(ops.multiply(ops.subtract(y2, y1), ops.subtract(x2, x1)), axis=-1)


def _intersection_yxyx(boxes1: Any, boxes2: Any) -> Any:
    ya1, xa1, ya2, xa2 = split4(boxes1[..., :4])
    yb1, xb1, yb2, xb2 = split4(boxes2[..., :4])
    perm = (1, 0) if len(ops.shape(boxes2)) == 2 else (0, 2, 1)
    t = lambda v: ops.transpose(v, perm)  # noqa: E731
    ih = ops.subtract(ops.minimum(ya2, t(yb2)), ops.maximum(ya1, t(yb1)))
    iw = ops.subtract(ops.minimum(xa2, t(xb2)), ops.maximum(xa1, t(xb1)))
    zero = ops.cast(0, ops.dtype(ih))
    return ops.multiply(ops.maximum(zero, ih), ops.maximum(zero, iw))


def _image_hw(image_shape: Any) -> tuple:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: int = -1,
    image_shape: Any = None,
) -> Any:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        boxes1: ``(M, 4)`` or ``(B, M, 4)`` boxes.
        boxes2: ``(N, 4)`` or ``(B, N, 4)`` boxes.
        bounding_box_format: The boxes' format (case-insensitive).
        use_masking: Whether boxes whose coordinates are all negative get ``mask_val``.
        mask_val: The value of masked entries.
        image_shape: ``(height, width, channels)``, required for relative formats.

    Returns:
        ``(M, N)`` or ``(B, M, N)`` IoUs. Masking also works for boxes of mixed ranks (Keras fails
        there).

    Raises:
        ValueError: for boxes of rank other than 2/3, or a relative format without ``image_shape``.
    """
    r1, r2 = len(ops.shape(boxes1)), len(ops.shape(boxes2))
    if r1 not in (2, 3):
        raise ValueError(
            f"compute_iou() expects boxes1 to be batched, or to be unbatched. Received "
            f"len(boxes1.shape)={r1}, len(boxes2.shape)={r2}. Expected either len(boxes1.shape)=2 AND "
            "or len(boxes1.shape)=3."
        )
    if r2 not in (2, 3):
        raise ValueError(
            f"compute_iou() expects boxes2 to be batched, or to be unbatched. Received "
            f"len(boxes1.shape)={r1}, len(boxes2.shape)={r2}. Expected either len(boxes2.shape)=2 AND "
            "or len(boxes2.shape)=3."
        )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument "
            f"must be provided.Received `image_shape`: {image_shape}"
        )
    height, width = _image_hw(image_shape)
    b1 = convert_format(boxes1, source=bounding_box_format, target="yxyx", height=height, width=width)
    b2 = convert_format(boxes2, source=bounding_box_format, target="yxyx", height=height, width=width)
    inter = _intersection_yxyx(b1, b2)
    a1 = ops.expand_dims(_area_yxyx(b1), axis=-1)
    a2 = _area_yxyx(b2)
    a2 = ops.expand_dims(a2, axis=1 if len(ops.shape(a2)) == 2 else 0)
    union = ops.subtract(ops.add(a1, a2), inter)
    res = ops.divide(inter, ops.add(union, _config.epsilon()))
    if not use_masking:
        return res
    perm = (1, 0) if r2 == 2 else (0, 2, 1)  # Keras uses boxes1's rank here, which fails for mixed ranks
    mask_t = ops.multiply(ops.cast(mask_val, ops.dtype(res)), ops.ones_like(res))
    m1 = ops.less(ops.max(b1, axis=-1, keepdims=True), 0.0)
    m2 = ops.less(ops.max(b2, axis=-1, keepdims=True), 0.0)
    return ops.where(ops.logical_or(m1, ops.transpose(m2, perm)), mask_t, res)


def compute_ciou(boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None) -> Any:
    """Complete IoU (IoU minus the normalised centre distance and an aspect-ratio term) of matching boxes.

    Args:
        boxes1: ``(..., 4)`` boxes.
        boxes2: ``(..., 4)`` boxes, broadcastable against ``boxes1``.
        bounding_box_format: The boxes' format (relative formats are rejected, as in Keras).
        image_shape: ``(height, width, channels)`` (unused for absolute formats).

    Returns:
        The CIoU, of shape ``(...)``.

    Raises:
        ValueError: for a relative format.
    """
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument "
            f"must be provided.Received `image_shape`: {image_shape}"
        )
    height, width = _image_hw(image_shape)
    b1 = convert_format(boxes1, source=bounding_box_format, target="xyxy", height=height, width=width)
    b2 = convert_format(boxes2, source=bounding_box_format, target="xyxy", height=height, width=width)
    eps = _config.epsilon()
    xa1, ya1, xa2, ya2 = split4(b1[..., :4])
    xb1, yb1, xb2, yb2 = split4(b2[..., :4])
    w1, h1 = ops.subtract(xa2, xa1), ops.add(ops.subtract(ya2, ya1), eps)
    w2, h2 = ops.subtract(xb2, xb1), ops.add(ops.subtract(yb2, yb1), eps)
    iw = ops.maximum(ops.subtract(ops.minimum(xa2, xb2), ops.maximum(xa1, xb1)), 0)
    ih = ops.maximum(ops.subtract(ops.minimum(ya2, yb2), ops.maximum(ya1, yb1)), 0)
    inter = ops.multiply(iw, ih)
    union = ops.add(ops.subtract(ops.add(ops.multiply(w1, h1), ops.multiply(w2, h2)), inter), eps)
    iou = ops.squeeze(ops.divide(inter, ops.add(union, eps)), axis=-1)
    cw = ops.subtract(ops.maximum(xa2, xb2), ops.minimum(xa1, xb1))
    ch = ops.subtract(ops.maximum(ya2, yb2), ops.minimum(ya1, yb1))
    diag = ops.squeeze(ops.add(ops.add(ops.power(cw, 2), ops.power(ch, 2)), eps), axis=-1)
    dx = ops.subtract(ops.divide(ops.add(xa1, xa2), 2), ops.divide(ops.add(xb1, xb2), 2))
    dy = ops.subtract(ops.divide(ops.add(ya1, ya2), 2), ops.divide(ops.add(yb1, yb2), 2))
    dist = ops.squeeze(ops.add(ops.power(dx, 2), ops.power(dy, 2)), axis=-1)
    v = ops.squeeze(
        ops.multiply(
            4 / math.pi**2, ops.power(ops.subtract(ops.arctan(ops.divide(w2, h2)), ops.arctan(ops.divide(w1, h1))), 2)
        ),
        axis=-1,
    )
    alpha = ops.divide(v, ops.add(ops.subtract(v, iou), 1 + eps))
    return ops.subtract(iou, ops.add(ops.divide(dist, diag), ops.multiply(v, alpha)))
