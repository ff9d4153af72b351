"""Colour-space conversions of ``keras.ops.image``: grayscale, RGB <-> HSV."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from .image_common import check_rank, const, float_dtype
from .image_common import data_format as _df

_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)  # ITU-R 601 luma, as tf.image / Keras


def _channel_axis(df: str) -> int:
    return -1 if df == "channels_last" else -3


def _planes(x: Any, axis: int) -> list:
    b = current()
    nd = len(b.shape(x))
    ax = axis % nd
    out = []
    for i in range(3):
        key = tuple(slice(None) if a != ax else i for a in range(nd))
        out.append(b.getitem(x, key))
    return out


def _stack(planes: list, axis: int) -> Any:
    b = current()
    nd = len(b.shape(planes[0])) + 1
    ax = axis % nd
    shp = tuple(b.shape(planes[0]))
    shp = shp[:ax] + (1,) + shp[ax:]
    return b.concatenate([b.reshape(p, shp) for p in planes], ax)


def _check_float_rgb(x: Any, df: str) -> None:
    b = current()
    shp = tuple(b.shape(x))
    check_rank(shp)
    d = b.dtype(x)
    if not _dt.is_float(d):
        raise ValueError(
            f"Invalid images dtype: expected float dtype. Received: images.dtype={d}. "
            f"Cast the images to a float dtype (e.g. ops.cast(images, 'float32') / 255)."
        )
    c = shp[_channel_axis(df)]
    if c != 3:
        raise ValueError(
            f"Input images must have 3 channels, but received images with {c} channels "
            f"(images.shape={shp}, data_format={df!r})."
        )


@op
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Any:
    """Convert RGB images to grayscale with the weights (0.2989, 0.5870, 0.1140).

    The weights are taken exactly in the images' float dtype (Keras-JAX rounds them to float32
    first, so its float64 results differ from these by ~1e-7).

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor with 3 channels (1-channel
            images are returned unchanged).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The grayscale images, with the channel axis of size 1, in the input dtype (integer images
        are computed in ``floatx`` and truncated back, as Keras does).

    Raises:
        ValueError: for a rank other than 3 or 4, or a channel count other than 1 or 3.
    """
    b = current()
    df = _df(data_format)
    x = tensor(images)
    shp = tuple(b.shape(x))
    check_rank(shp)
    ax = _channel_axis(df)
    if shp[ax] not in (1, 3):
        raise ValueError(
            f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with shape: images.shape={shp}"
        )
    if shp[ax] == 1:
        return x
    d = b.dtype(x)
    cd = float_dtype(d)
    xf = x if cd == d else b.cast(x, cd)
    r, g, bl = _planes(xf, ax)
    w = [const(v, cd) for v in _GRAY_WEIGHTS]
    y = b.add(b.add(b.multiply(r, w[0]), b.multiply(g, w[1])), b.multiply(bl, w[2]))
    y = _stack([y], ax)
    return y if cd == d else b.cast(y, d)


@op
def rgb_to_hsv(images: Any, data_format: str | None = None) -> Any:
    """Convert RGB images to HSV; all HSV values are in ``[0, 1]`` (hue 0 is red, 1/3 green, 2/3 blue).

    The result is well defined for RGB values in ``[0, 1]``. Values within machine epsilon of 0 are
    treated as 0 (as Keras does). Differentiable.

    Args:
        images: A rank-3 or rank-4 float tensor with 3 channels.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        HSV images of the same shape and dtype.

    Raises:
        ValueError: for a rank other than 3 or 4, a non-float dtype, or not 3 channels.
    """
    b = current()
    df = _df(data_format)
    x = tensor(images)
    _check_float_rgb(x, df)
    d = b.dtype(x)
    zero, one = const(0.0, d), const(1.0, d)
    eps = const(float(np.finfo(b.numpy_dtype(d)).eps), d)
    x = b.where(b.less(b.abs(x), eps), zero, x)
    ax = _channel_axis(df)
    r, g, bl = _planes(x, ax)
    value = b.maximum(b.maximum(r, g), bl)
    minimum = b.minimum(b.minimum(r, g), bl)
    rng = b.subtract(value, minimum)
    pos_v, pos_r = b.greater(value, zero), b.greater(rng, zero)
    safe_value = b.where(pos_v, value, one)
    safe_range = b.where(pos_r, rng, one)
    saturation = b.where(pos_v, b.divide(rng, safe_value), zero)
    norm = b.divide(one, b.multiply(const(6.0, d), safe_range))
    hue = b.where(
        b.equal(value, g),
        b.add(b.multiply(norm, b.subtract(bl, r)), const(2.0 / 6.0, d)),
        b.add(b.multiply(norm, b.subtract(r, g)), const(4.0 / 6.0, d)),
    )
    hue = b.where(b.equal(value, r), b.multiply(norm, b.subtract(g, bl)), hue)
    wrap = b.cast(b.less(hue, zero), d)
    hue = b.add(b.where(pos_r, hue, zero), wrap)
    return _stack([hue, saturation, value], ax)


@op
def hsv_to_rgb(images: Any, data_format: str | None = None) -> Any:
    """Convert HSV images (values in ``[0, 1]``) to RGB. Differentiable.

    Args:
        images: A rank-3 or rank-4 float tensor with 3 channels (hue, saturation, value).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        RGB images of the same shape and dtype.

    Raises:
        ValueError: for a rank other than 3 or 4, a non-float dtype, or not 3 channels.
    """
    b = current()
    df = _df(data_format)
    x = tensor(images)
    _check_float_rgb(x, df)
    d = b.dtype(x)
    zero, one = const(0.0, d), const(1.0, d)
    ax = _channel_axis(df)
    h, s, v = _planes(x, ax)
    dh = b.multiply(b.mod(h, one), const(6.0, d))

    def clip01(t):
        return b.minimum(b.maximum(t, zero), one)

    dr = clip01(b.subtract(b.abs(b.subtract(dh, const(3.0, d))), one))
    dg = clip01(b.subtract(const(2.0, d), b.abs(b.subtract(dh, const(2.0, d)))))
    db = clip01(b.subtract(const(2.0, d), b.abs(b.subtract(dh, const(4.0, d)))))
    one_minus_s = b.subtract(one, s)
    planes = [b.multiply(v, b.add(one_minus_s, b.multiply(s, c))) for c in (dr, dg, db)]
    return _stack(planes, ax)
