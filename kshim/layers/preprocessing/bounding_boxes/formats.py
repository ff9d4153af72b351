"""Box format conversion (``keras.utils.bounding_boxes.convert_format``) and box validation.

Every format goes through ``xyxy`` (``[left, top, right, bottom]`` in pixels). Relative formats
(``rel_*``) are fractions of the image ``width``/``height``, which may be ints or tensors that
broadcast against the boxes' leading axes.
"""

from __future__ import annotations

from typing import Any, Callable

from .... import ops

__all__ = ["SUPPORTED_FORMATS", "convert_format"]

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def split4(boxes: Any) -> list:
    """The four coordinates of ``(..., 4)`` boxes, each of shape ``(..., 1)``."""
    return ops.split(boxes, 4, axis=-1)


def join4(a: Any, b: Any, c: Any, d: Any) -> Any:
    """The inverse of :func:`split4`."""
    return ops.concatenate([a, b, c, d], axis=-1)


def _half(v: Any) -> Any:
    return ops.divide(v, 2.0)


# ---- to xyxy ------------------------------------------------------------------------------------
def _from_yxyx(t: Any, h: Any, w: Any) -> Any:
    y1, x1, y2, x2 = split4(t)
    return join4(x1, y1, x2, y2)


def _from_xywh(t: Any, h: Any, w: Any) -> Any:
    x1, y1, bw, bh = split4(t)
    return join4(x1, y1, ops.add(x1, bw), ops.add(y1, bh))


def _corners(cx: Any, cy: Any, bw: Any, bh: Any) -> Any:
    hw, hh = _half(bw), _half(bh)
    return join4(ops.subtract(cx, hw), ops.subtract(cy, hh), ops.add(cx, hw), ops.add(cy, hh))


def _from_center_xywh(t: Any, h: Any, w: Any) -> Any:
    return _corners(*split4(t))


def _from_center_yxhw(t: Any, h: Any, w: Any) -> Any:
    cy, cx, bh, bw = split4(t)
    return _corners(cx, cy, bw, bh)


def _scale(x1: Any, y1: Any, x2: Any, y2: Any, h: Any, w: Any) -> Any:
    return join4(ops.multiply(x1, w), ops.multiply(y1, h), ops.multiply(x2, w), ops.multiply(y2, h))


def _from_rel_xyxy(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return _scale(x1, y1, x2, y2, h, w)


def _from_rel_yxyx(t: Any, h: Any, w: Any) -> Any:
    y1, x1, y2, x2 = split4(t)
    return _scale(x1, y1, x2, y2, h, w)


def _from_rel_xywh(t: Any, h: Any, w: Any) -> Any:
    x1, y1, bw, bh = split4(t)
    return _scale(x1, y1, ops.add(x1, bw), ops.add(y1, bh), h, w)


def _from_rel_center_xywh(t: Any, h: Any, w: Any) -> Any:
    cx, cy, bw, bh = split4(t)
    hw, hh = _half(bw), _half(bh)
    return _scale(ops.subtract(cx, hw), ops.subtract(cy, hh), ops.add(cx, hw), ops.add(cy, hh), h, w)


# ---- from xyxy ----------------------------------------------------------------------------------
def _to_yxyx(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return join4(y1, x1, y2, x2)


def _to_xywh(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return join4(x1, y1, ops.subtract(x2, x1), ops.subtract(y2, y1))


def _centers(t: Any) -> tuple:
    x1, y1, x2, y2 = split4(t)
    bw, bh = ops.subtract(x2, x1), ops.subtract(y2, y1)
    return ops.add(x1, _half(bw)), ops.add(y1, _half(bh)), bw, bh


def _to_center_xywh(t: Any, h: Any, w: Any) -> Any:
    return join4(*_centers(t))


def _to_center_yxhw(t: Any, h: Any, w: Any) -> Any:
    cx, cy, bw, bh = _centers(t)
    return join4(cy, cx, bh, bw)


def _to_rel_xyxy(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return join4(ops.divide(x1, w), ops.divide(y1, h), ops.divide(x2, w), ops.divide(y2, h))


def _to_rel_yxyx(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return join4(ops.divide(y1, h), ops.divide(x1, w), ops.divide(y2, h), ops.divide(x2, w))


def _to_rel_xywh(t: Any, h: Any, w: Any) -> Any:
    x1, y1, x2, y2 = split4(t)
    return join4(
        ops.divide(x1, w), ops.divide(y1, h), ops.divide(ops.subtract(x2, x1), w), ops.divide(ops.subtract(y2, y1), h)
    )


def _to_rel_center_xywh(t: Any, h: Any, w: Any) -> Any:
    cx, cy, bw, bh = _centers(t)
    return join4(ops.divide(cx, w), ops.divide(cy, h), ops.divide(bw, w), ops.divide(bh, h))


def _identity(t: Any, h: Any, w: Any) -> Any:
    return t


_TO_XYXY: dict[str, Callable] = {
    "xyxy": _identity,
    "yxyx": _from_yxyx,
    "xywh": _from_xywh,
    "center_xywh": _from_center_xywh,
    "center_yxhw": _from_center_yxhw,
    "rel_xyxy": _from_rel_xyxy,
    "rel_yxyx": _from_rel_yxyx,
    "rel_xywh": _from_rel_xywh,
    "rel_center_xywh": _from_rel_center_xywh,
}
_FROM_XYXY: dict[str, Callable] = {
    "xyxy": _identity,
    "yxyx": _to_yxyx,
    "xywh": _to_xywh,
    "center_xywh": _to_center_xywh,
    "center_yxhw": _to_center_yxhw,
    "rel_xyxy": _to_rel_xyxy,
    "rel_yxyx": _to_rel_yxyx,
    "rel_xywh": _to_rel_xywh,
    "rel_center_xywh": _to_rel_center_xywh,
}


def convert_format(
    boxes: Any, source: str, target: str, height: Any = None, width: Any = None, dtype: str = "float32"
) -> Any:
    """Convert bounding boxes between formats.

    Formats (case-insensitive): ``"xyxy"`` ``[left, top, right, bottom]``, ``"yxyx"``, ``"xywh"``
    ``[left, top, width, height]``, ``"center_xywh"``, ``"center_yxhw"``, and the relative forms
    ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"`` (fractions of the image
    size). Unlike Keras, a dict argument is not modified in place: a new dict is returned.

    Args:
        boxes: A ``(..., 4)`` tensor/array, or a dict with ``"boxes"`` (and e.g. ``"labels"``).
        source: The format of ``boxes``.
        target: The format to convert to.
        height: Image height (needed when either format is relative).
        width: Image width (needed when either format is relative).
        dtype: The dtype of the result.

    Returns:
        The converted boxes (a dict for a dict input).

    Raises:
        ValueError: for a last dimension other than 4, an unknown format, or a relative format
            without ``height`` and ``width``.
    """
    if isinstance(boxes, dict):
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source, target, height=height, width=width, dtype=dtype)
        return out
    shape = tuple(ops.shape(boxes))
    if not shape or shape[-1] != 4:
        raise ValueError(f"`boxes` must be a tensor with the last dimension of 4. Received: boxes.shape={shape}")
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (width is None or height is None):
        raise ValueError(
            "convert_format() must receive `height` and `width` transforming between relative and "
            f"absolute formats. convert_format() received source=`{source}`, target=`{target}`, but "
            f"height={height} and width={width}."
        )
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    h = None if height is None else ops.cast(height, dtype)
    w = None if width is None else ops.cast(width, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return _FROM_XYXY[target](_TO_XYXY[source](boxes, h, w), h, w)


def validate_bounding_boxes(bounding_boxes: Any) -> None:
    """Check that ``bounding_boxes`` is a dict with ``"boxes"`` of rank 2/3 and matching ``"labels"``.

    Raises:
        ValueError: as Keras' ``validate_bounding_boxes``.
    """
    if not isinstance(bounding_boxes, dict) or "labels" not in bounding_boxes or "boxes" not in bounding_boxes:
        raise ValueError(
            "Expected `bounding_boxes` argument to be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list) != isinstance(labels, list):
        raise ValueError(
            "If `bounding_boxes['boxes']` is a list, then `bounding_boxes['labels']` must also be a "
            f"list. Received: bounding_boxes['labels']={labels}"
        )
    bshape, lshape = tuple(ops.shape(boxes)), tuple(ops.shape(labels))
    if len(bshape) == 2:
        if len(lshape) not in (1, 2):
            raise ValueError(
                f"Found bounding_boxes['boxes'].shape={bshape} and expected bounding_boxes['labels'] "
                f"to have rank 1 or 2, but received: bounding_boxes['labels'].shape={lshape} "
            )
    elif len(bshape) == 3:
        if len(lshape) not in (2, 3):
            raise ValueError(
                f"Found bounding_boxes['boxes'].shape={bshape} and expected bounding_boxes['labels'] "
                f"to have rank 2 or 3, but received: bounding_boxes['labels'].shape={lshape} "
            )
    else:
        raise ValueError(
            "Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape (num_boxes, 4) or "
            f"(batch_size, num_boxes, 4). Received: bounding_boxes['boxes'].shape={bshape}"
        )


def densify_bounding_boxes(bounding_boxes: Any) -> dict:
    """Validate and convert a bounding-box dict: ``"boxes"`` to float32, ``"labels"`` to a tensor
    (lists become tensors; kshim has no ragged tensors, so rows must already be of one length).

    Returns:
        A new dict.
    """
    validate_bounding_boxes(bounding_boxes)
    out = dict(bounding_boxes)
    out["boxes"] = ops.convert_to_tensor(bounding_boxes["boxes"], dtype="float32")
    labels = bounding_boxes["labels"]
    out["labels"] = (
        ops.convert_to_tensor(labels, dtype="int32") if isinstance(labels, list) else ops.convert_to_tensor(labels)
    )
    return out
