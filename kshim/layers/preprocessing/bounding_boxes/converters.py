"""``keras.utils.bounding_boxes``: clipping, affine warps, crop/pad offsets and anchor deltas.

Written over ``kshim.ops``, so every function runs on numpy, jax and torch with one numerical
behaviour (Keras' formulas).
"""

from __future__ import annotations

import math
from typing import Any

from .... import _config
from .... import ops
from .formats import convert_format, join4, split4

__all__ = ["affine_transform", "clip_to_image_size", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]


def _require_xyxy(fmt: str) -> None:
    if fmt != "xyxy":
        raise NotImplementedError(f"Only bounding_box_format='xyxy' is supported (as in Keras). Received: {fmt!r}")


def _area_xyxy(boxes: Any) -> Any:
    x1, y1, x2, y2 = split4(boxes)
    return ops.squeeze(ops.multiply(ops.subtract(x2, x1), ops.subtract(y2, y1)), axis=-1)


def clip_to_image_size(
    bounding_boxes: dict, height: Any = None, width: Any = None, bounding_box_format: str = "xyxy"
) -> dict:
    """Clip boxes to the image; boxes left with no area get label ``-1``.

    Args:
        bounding_boxes: A dict with ``"boxes"`` (``(N, 4)`` or ``(B, N, 4)``) and optionally
            ``"labels"`` (``(N,)`` or ``(B, N)``).
        height: Image height (required for ``"xyxy"``; ints or tensors that broadcast).
        width: Image width (required for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` or ``"rel_xyxy"`` (clipped to ``[0, 1]``).

    Returns:
        A new dict with the clipped ``"boxes"`` (and updated ``"labels"``).

    Raises:
        NotImplementedError: for another format (as Keras).
        ValueError: for ``"xyxy"`` without ``height``/``width``.
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"clip_to_image_size supports 'xyxy' and 'rel_xyxy'. Received: bounding_box_format={bounding_box_format!r}"
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    d = ops.dtype(boxes)
    if bounding_box_format == "xyxy":
        hi_x, hi_y = ops.cast(width, d), ops.cast(height, d)
    else:
        hi_x = hi_y = ops.cast(1.0, d)
    zero = ops.cast(0.0, d)
    x1, y1, x2, y2 = split4(boxes)
    boxes = join4(
        ops.clip(x1, zero, hi_x), ops.clip(y1, zero, hi_y), ops.clip(x2, zero, hi_x), ops.clip(y2, zero, hi_y)
    )
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        labels = ops.convert_to_tensor(labels)
        result["labels"] = ops.where(ops.greater(_area_xyxy(boxes), 0), labels, ops.cast(-1, ops.dtype(labels)))
    return result


def _as_batch(v: Any, n: int, dtype: str) -> Any:
    v = ops.cast(ops.convert_to_tensor(v), dtype)
    return (
        ops.broadcast_to(ops.reshape(v, (-1,)), (n,))
        if len(ops.shape(v)) == 0 or ops.shape(v)[0] == 1
        else ops.reshape(v, (n,))
    )


def inverse_affine_matrix(
    center_x: Any,
    center_y: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
) -> Any:
    """The ``(B, 3, 3)`` matrices taking input points to output points for the image warp that
    Keras' affine image layers apply (angles in degrees, translations as fractions).
    ``angle`` sets the batch size and the dtype."""
    angle = ops.convert_to_tensor(angle)
    d = ops.dtype(angle) if "float" in ops.dtype(angle) else "float32"
    angle = ops.cast(ops.reshape(angle, (-1,)), d)
    n = ops.shape(angle)[0]
    translate_x, translate_y, scale, shear_x, shear_y = (
        _as_batch(v, n, d) for v in (translate_x, translate_y, scale, shear_x, shear_y)
    )
    rad = 1.0 / 180.0 * math.pi
    cx = ops.multiply(ops.cast(center_x, d), ops.subtract(ops.cast(width, d), 1.0))
    cy = ops.multiply(ops.cast(center_y, d), ops.subtract(ops.cast(height, d), 1.0))
    rot = ops.multiply(ops.negative(angle), rad)
    tx = ops.multiply(translate_x, ops.subtract(ops.cast(width, d), 1.0))
    ty = ops.multiply(translate_y, ops.subtract(ops.cast(height, d), 1.0))
    tx, ty = ops.negative(tx), ops.negative(ty)
    sx = ops.multiply(ops.negative(shear_x), rad)
    sy = ops.multiply(ops.negative(shear_y), rad)
    cos_sy, tan_sx = ops.cos(sy), ops.tan(sx)
    rot_minus_sy = ops.subtract(rot, sy)
    cx_tx, cy_ty = ops.add(cx, tx), ops.add(cy, ty)
    a = ops.divide(ops.cos(rot_minus_sy), cos_sy)
    b = ops.add(ops.multiply(a, tan_sx), ops.sin(rot))
    c = ops.negative(ops.divide(ops.sin(rot_minus_sy), cos_sy))
    dd = ops.subtract(ops.cos(rot), ops.multiply(c, tan_sx))
    a0, a1 = ops.multiply(dd, scale), ops.multiply(ops.negative(b), scale)
    b0, b1 = ops.multiply(ops.negative(c), scale), ops.multiply(a, scale)
    a2 = ops.subtract(ops.subtract(cx, ops.multiply(a0, cx_tx)), ops.multiply(a1, cy_ty))
    b2 = ops.subtract(ops.subtract(cy, ops.multiply(b0, cx_tx)), ops.multiply(b1, cy_ty))
    zeros, ones = ops.zeros((n,), d), ops.ones((n,), d)
    m = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros, ones], axis=-1)
    return ops.reshape(m, (n, 3, 3))


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
    center_x: Any = None,
    center_y: Any = None,
    bounding_box_format: str = "xyxy",
) -> Any:
    """Move boxes by the affine warp of Keras' image layers; each result is the axis-aligned hull
    of the four transformed corners.

    Args:
        boxes: ``(B, N, 4)`` boxes in ``xyxy`` (``(N, 4)`` is taken as one image; Keras needs a batch).
        angle: ``(B,)`` rotation angles in degrees.
        translate_x: ``(B,)`` horizontal translations (fractions of the width).
        translate_y: ``(B,)`` vertical translations (fractions of the height).
        scale: ``(B,)`` scale factors.
        shear_x: ``(B,)`` shear angles in degrees.
        shear_y: ``(B,)`` shear angles in degrees.
        height: Image height.
        width: Image width.
        center_x: Transformation centre as a fraction of the width (default 0.5).
        center_y: Transformation centre as a fraction of the height (default 0.5).
        bounding_box_format: Only ``"xyxy"``.

    Returns:
        The transformed boxes, the shape of ``boxes``.

    Raises:
        NotImplementedError: for a format other than ``"xyxy"``.
    """
    _require_xyxy(bounding_box_format)
    m = inverse_affine_matrix(
        0.5 if center_x is None else center_x,
        0.5 if center_y is None else center_y,
        angle,
        translate_x,
        translate_y,
        scale,
        shear_x,
        shear_y,
        height,
        width,
    )
    boxes = ops.cast(ops.convert_to_tensor(boxes), ops.dtype(m))
    unbatched = len(ops.shape(boxes)) == 2
    if unbatched:
        boxes = ops.expand_dims(boxes, 0)
    x1, y1, x2, y2 = (ops.squeeze(v, -1) for v in split4(boxes))
    xs = ops.stack([x1, x2, x2, x1], axis=-1)  # (B, N, 4) corners
    ys = ops.stack([y1, y1, y2, y2], axis=-1)
    mi = [[ops.reshape(m[:, r, c], (-1, 1, 1)) for c in range(3)] for r in range(2)]
    tx = ops.add(ops.add(ops.multiply(xs, mi[0][0]), ops.multiply(ys, mi[0][1])), mi[0][2])
    ty = ops.add(ops.add(ops.multiply(xs, mi[1][0]), ops.multiply(ys, mi[1][1])), mi[1][2])
    out = ops.stack(
        [ops.amin(tx, axis=-1), ops.amin(ty, axis=-1), ops.amax(tx, axis=-1), ops.amax(ty, axis=-1)], axis=-1
    )
    return ops.squeeze(out, 0) if unbatched else out


def crop(boxes: Any, top: Any, left: Any, height: Any, width: Any, bounding_box_format: str = "xyxy") -> Any:
    """Shift boxes into a crop window starting at ``(left, top)`` and clip them to ``width x height``.

    Args:
        boxes: ``(N, 4)`` or ``(B, N, 4)`` boxes in ``xyxy``.
        top: Vertical offset of the window.
        left: Horizontal offset of the window.
        height: Window height.
        width: Window width.
        bounding_box_format: Only ``"xyxy"``.

    Returns:
        The cropped boxes.

    Raises:
        NotImplementedError: for a format other than ``"xyxy"``.
    """
    _require_xyxy(bounding_box_format)
    x1, y1, x2, y2 = split4(ops.convert_to_tensor(boxes))
    d = ops.dtype(x1)
    top, left = ops.cast(top, d), ops.cast(left, d)
    hi_y, hi_x, zero = ops.cast(height, d), ops.cast(width, d), ops.cast(0, d)
    return join4(
        ops.clip(ops.subtract(x1, left), zero, hi_x),
        ops.clip(ops.subtract(y1, top), zero, hi_y),
        ops.clip(ops.subtract(x2, left), zero, hi_x),
        ops.clip(ops.subtract(y2, top), zero, hi_y),
    )


def pad(
    boxes: Any, top: Any, left: Any, height: Any = None, width: Any = None, bounding_box_format: str = "xyxy"
) -> Any:
    """Shift boxes by ``left``/``top`` pixels of padding (``height``/``width`` unused, as in Keras).

    Args:
        boxes: ``(N, 4)`` or ``(B, N, 4)`` boxes in ``xyxy``.
        top: Padding added above.
        left: Padding added on the left.
        height: Unused.
        width: Unused.
        bounding_box_format: Only ``"xyxy"``.

    Returns:
        The shifted boxes.

    Raises:
        NotImplementedError: for a format other than ``"xyxy"``.
    """
    _require_xyxy(bounding_box_format)
    x1, y1, x2, y2 = split4(ops.convert_to_tensor(boxes))
    d = ops.dtype(x1)
    top, left = ops.cast(top, d), ops.cast(left, d)
    return join4(ops.add(x1, left), ops.add(y1, top), ops.add(x2, left), ops.add(y2, top))


def _check_variance(variance: Any) -> Any:
    if variance is None:
        return None
    v = ops.convert_to_tensor(variance, dtype="float32")
    if tuple(ops.shape(v))[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return v


def _hw(image_shape: Any) -> tuple:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """Encode boxes as deltas from anchors: ``((centre - anchor centre) / anchor size,
    log(size / anchor size))`` in ``encoding_format``, divided by ``variance`` if given.

    Args:
        anchors: ``(N, 4)`` anchors in ``anchor_format``.
        boxes: ``(N, 4)`` or ``(B, N, 4)`` boxes in ``box_format``.
        anchor_format: Format of ``anchors``.
        box_format: Format of ``boxes``.
        encoding_format: ``"center_yxhw"`` or ``"center_xywh"``.
        variance: Four scale factors, or ``None``.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        The deltas, the shape of ``boxes``.

    Raises:
        ValueError: for a ``variance`` not of length 4 or an unknown ``encoding_format``.
    """
    variance = _check_variance(variance)
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`encoding_format` should be one of 'center_xywh' or 'center_yxhw', got {encoding_format}")
    height, width = _hw(image_shape)
    a = convert_format(anchors, source=anchor_format, target=encoding_format, height=height, width=width)
    b = convert_format(boxes, source=box_format, target=encoding_format, height=height, width=width)
    eps = _config.epsilon()
    a_dim = ops.maximum(a[..., 2:], eps)
    b_dim = ops.maximum(b[..., 2:], eps)
    delta = ops.concatenate(
        [ops.divide(ops.subtract(b[..., :2], a[..., :2]), a_dim), ops.log(ops.divide(b_dim, a_dim))], axis=-1
    )
    return delta if variance is None else ops.divide(delta, variance)


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """Invert :func:`encode_box_to_deltas`: apply deltas to anchors and return boxes in ``box_format``.

    Args:
        anchors: ``(N, 4)`` anchors, or a dict of them per feature level.
        boxes_delta: Deltas of the same structure (``(N, 4)`` or ``(B, N, 4)`` per level).
        anchor_format: Format of ``anchors``.
        box_format: Format of the returned boxes.
        encoded_format: ``"center_yxhw"`` or ``"center_xywh"``.
        variance: Four scale factors the deltas are multiplied by, or ``None``.
        image_shape: ``(height, width, channels)``, for relative formats.

    Returns:
        The decoded boxes (a dict per level for dict inputs).

    Raises:
        ValueError: for a ``variance`` not of length 4 or an unknown ``encoded_format``.
    """
    variance = _check_variance(variance)
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`encoded_format` should be 'center_xywh' or 'center_yxhw', but got '{encoded_format}'.")
    height, width = _hw(image_shape)

    def one_level(anchor: Any, delta: Any) -> Any:
        a = convert_format(anchor, source=anchor_format, target=encoded_format, height=height, width=width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = ops.multiply(delta, variance)
        box = ops.concatenate(
            [
                ops.add(ops.multiply(delta[..., :2], a[..., 2:]), a[..., :2]),
                ops.multiply(ops.exp(delta[..., 2:]), a[..., 2:]),
            ],
            axis=-1,
        )
        return convert_format(box, source=encoded_format, target=box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {lvl: one_level(anchor, boxes_delta[lvl]) for lvl, anchor in anchors.items()}
    return one_level(anchors, boxes_delta)
