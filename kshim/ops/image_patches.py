"""Patches, crops and pads of ``keras.ops.image`` (pure indexing: exact for every dtype)."""

from __future__ import annotations

import itertools
from typing import Any, cast

import numpy as np

from ..backend import current
from ._conv_utils import conv_padding
from ._dispatch import op, tensor
from .image_common import check_rank, tuple_ints
from .image_common import data_format as _std_df


def _patches(x: Any, size: tuple, strides: Any, dilation_rate: Any, padding: str, df: str) -> Any:
    """Patches of the ``len(size)`` spatial axes, flattened in (offset..., channel) order onto the
    channel axis, as a convolution with an identity kernel would (Keras' definition)."""
    b = current()
    nsp = len(size)
    shp = tuple(b.shape(x))
    kind = "images" if nsp == 2 else "volumes"
    check_rank(shp, kind, (nsp + 1, nsp + 2))
    unbatched = len(shp) == nsp + 1
    if unbatched:
        x = b.reshape(x, (1,) + shp)
    if df == "channels_first":
        x = b.transpose(x, (0,) + tuple(range(2, nsp + 2)) + (1,))
    s = tuple_ints(size if not strides else strides, nsp, "strides")
    d = tuple_ints(dilation_rate, nsp, "dilation_rate")
    if min(size) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(
            f"Patch size, strides and dilation_rate must be >= 1. Received: size={size}, "
            f"strides={strides}, dilation_rate={dilation_rate}"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"Invalid value for argument `padding`. Expected one of ('valid', 'same'). Received: padding={padding!r}"
        )
    spatial = tuple(b.shape(x))[1 : 1 + nsp]
    pads = conv_padding(padding, spatial, size, s, d)
    outs = [(n + lo + hi - dd * (k - 1) - 1) // ss + 1 for n, (lo, hi), k, ss, dd in zip(spatial, pads, size, s, d)]
    if min(outs) <= 0:
        raise ValueError(
            f"The patches do not fit: {kind} of spatial shape {spatial} give an empty output for "
            f"size={size}, strides={s}, dilation_rate={d}, padding={padding!r}. Use smaller patches "
            f"or padding='same'."
        )
    if any(p != (0, 0) for p in pads):
        x = b.pad(x, [(0, 0)] + list(pads) + [(0, 0)], "constant", 0)
    n, c = b.shape(x)[0], b.shape(x)[-1]
    if s == tuple(size) and d == (1,) * nsp:  # non-overlapping patches: a reshape
        x = b.getitem(x, (slice(None),) + tuple(slice(0, o * k) for o, k in zip(outs, size)) + (slice(None),))
        split = (n,) + tuple(v for o, k in zip(outs, size) for v in (o, k)) + (c,)
        x = b.reshape(x, split)
        perm = (0,) + tuple(1 + 2 * i for i in range(nsp)) + tuple(2 + 2 * i for i in range(nsp)) + (2 * nsp + 1,)
        out = b.reshape(b.transpose(x, perm), (n,) + tuple(outs) + (int(np.prod(size)) * c,))
    else:
        pieces = []
        for offs in itertools.product(*[range(k) for k in size]):
            key = tuple(slice(o * dd, o * dd + (m - 1) * ss + 1, ss) for o, dd, m, ss in zip(offs, d, outs, s))
            pieces.append(b.getitem(x, (slice(None),) + key + (slice(None),)))
        out = pieces[0] if len(pieces) == 1 else b.concatenate(pieces, nsp + 1)
    if df == "channels_first":
        out = b.transpose(out, (0, nsp + 1) + tuple(range(1, nsp + 1)))
    if unbatched:
        out = b.reshape(out, tuple(b.shape(out))[1:])
    return out


@op
def extract_patches(
    images: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    """Extract patches from image(s) (2-D ``size``) or volume(s) (3-D ``size``).

    Each output position holds its patch flattened in (row, column[, depth], channel) order, as a
    convolution with an identity kernel (Keras' definition), here computed by exact slicing.

    Args:
        images: For 2-D patches ``(H, W, C)`` or ``(N, H, W, C)`` (channels_last); for 3-D patches
            ``(D, H, W, C)`` or ``(N, D, H, W, C)``.
        size: An int or ``(patch_height, patch_width)`` for 2-D patches; ``(depth, height, width)``
            for 3-D patches.
        strides: The step between patches (int or tuple); ``None`` means ``size`` (no overlap).
        dilation_rate: The spacing of the sampled pixels inside a patch (int or tuple).
        padding: ``"valid"`` or ``"same"`` (zero padding, the extra cell at the end).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The patches: ``(N, out_h, out_w, ph * pw * C)`` (channels_last) or ``(N, ph * pw * C, out_h,
        out_w)`` (channels_first), without ``N`` for unbatched input; 3-D analogously.

    Raises:
        TypeError: if ``size`` is neither an int nor a tuple/list.
        ValueError: for a ``size`` of the wrong length, a bad rank or padding, or empty output.
    """
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    elif not isinstance(size, (tuple, list)):
        raise TypeError(
            f"Invalid `size` argument. Expected an int or a tuple. Received: size={size} of type {type(size).__name__}"
        )
    if len(size) not in (2, 3):
        raise ValueError(
            f"Invalid `size` argument. Expected a tuple of length 2 or 3. Received: size={size} with length {len(size)}"
        )
    return _patches(tensor(images), tuple(int(v) for v in size), strides, dilation_rate, padding, _std_df(data_format))


@op
def extract_patches_3d(
    volumes: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    """Extract 3-D patches from volume(s).

    Args:
        volumes: ``(D, H, W, C)`` or ``(N, D, H, W, C)`` (channels_last; channels_first analogously).
        size: An int or ``(patch_depth, patch_height, patch_width)``.
        strides: The step between patches; ``None`` means ``size``.
        dilation_rate: The spacing of the sampled voxels inside a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        ``(N, out_d, out_h, out_w, pd * ph * pw * C)`` (channels_last), without ``N`` for an
        unbatched volume.

    Raises:
        ValueError: for a bad ``size``, rank or padding, or empty output.
    """
    sz = tuple_ints(size, 3, "size")
    if strides is not None and not isinstance(strides, (int, np.integer)) and len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    return _patches(tensor(volumes), sz, strides, dilation_rate, padding, _std_df(data_format))


def _exactly_two(names: tuple, values: tuple) -> None:
    if [v is None for v in values].count(True) != 1:
        got = ", ".join(f"{n}={v}" for n, v in zip(names, values))
        raise ValueError(f"Must specify exactly two of {', '.join(names)}. Received: {got}")
    for n, v in zip(names, values):
        if v is not None and v < 0:
            raise ValueError(f"{n} must be >= 0. Received: {n}={v}")


def _hw_axes(nd: int, df: str) -> tuple:
    return (nd - 3, nd - 2) if df == "channels_last" else (nd - 2, nd - 1)


@op
def pad_images(
    images: Any,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Any:
    """Pad images with zeros to a given size.

    Exactly two of ``top_padding``, ``bottom_padding``, ``target_height`` (and of ``left_padding``,
    ``right_padding``, ``target_width``) must be given; the third follows.

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        top_padding: Rows of zeros added on top.
        left_padding: Columns of zeros added on the left.
        bottom_padding: Rows of zeros added at the bottom.
        right_padding: Columns of zeros added on the right.
        target_height: Height of the output.
        target_width: Width of the output.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The padded images, in the input dtype.

    Raises:
        ValueError: for a bad rank, not exactly two of each triple, or a negative padding.
    """
    b = current()
    df = _std_df(data_format)
    x = tensor(images)
    shp = tuple(b.shape(x))
    check_rank(shp)
    _exactly_two(("top_padding", "bottom_padding", "target_height"), (top_padding, bottom_padding, target_height))
    _exactly_two(("left_padding", "right_padding", "target_width"), (left_padding, right_padding, target_width))
    h_ax, w_ax = _hw_axes(len(shp), df)
    height, width = shp[h_ax], shp[w_ax]
    # ``_exactly_two`` checked that two of each triple are given: no None reaches the arithmetic below.
    t_h, t_w, b_p, r_p = cast(Any, (target_height, target_width, bottom_padding, right_padding))
    top = t_h - b_p - height if top_padding is None else top_padding
    bottom = t_h - top - height if bottom_padding is None else bottom_padding
    left = t_w - r_p - width if left_padding is None else left_padding
    right = t_w - left - width if right_padding is None else right_padding
    for n, v in (("top_padding", top), ("left_padding", left), ("right_padding", right), ("bottom_padding", bottom)):
        if v < 0:
            raise ValueError(
                f"{n} must be >= 0. Received: {n}={v} (the target size is smaller than the images "
                f"of shape {shp}; use crop_images to shrink them)."
            )
    pads = [(0, 0)] * len(shp)
    pads[h_ax], pads[w_ax] = (int(top), int(bottom)), (int(left), int(right))
    return b.pad(x, pads, "constant", 0)


@op
def crop_images(
    images: Any,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Any:
    """Crop images to a given size.

    Exactly two of ``top_cropping``, ``bottom_cropping``, ``target_height`` (and of
    ``left_cropping``, ``right_cropping``, ``target_width``) must be given; the third follows.
    A crop window that does not fit inside the images raises (Keras silently shifts it).

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        top_cropping: Rows removed from the top.
        left_cropping: Columns removed from the left.
        bottom_cropping: Rows removed from the bottom.
        right_cropping: Columns removed from the right.
        target_height: Height of the output.
        target_width: Width of the output.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The cropped images, in the input dtype.

    Raises:
        ValueError: for a bad rank, not exactly two of each triple, negative values, or a window
            larger than the images.
    """
    b = current()
    df = _std_df(data_format)
    x = tensor(images)
    shp = tuple(b.shape(x))
    check_rank(shp)
    _exactly_two(("top_cropping", "bottom_cropping", "target_height"), (top_cropping, bottom_cropping, target_height))
    _exactly_two(("left_cropping", "right_cropping", "target_width"), (left_cropping, right_cropping, target_width))
    h_ax, w_ax = _hw_axes(len(shp), df)
    height, width = shp[h_ax], shp[w_ax]
    top = height - target_height - bottom_cropping if top_cropping is None else top_cropping
    th = height - bottom_cropping - top if target_height is None else target_height
    left = width - target_width - right_cropping if left_cropping is None else left_cropping
    tw = width - right_cropping - left if target_width is None else target_width
    for n, v in (("top_cropping", top), ("target_height", th), ("left_cropping", left), ("target_width", tw)):
        if v < 0:
            raise ValueError(f"{n} must be >= 0. Received: {n}={v} (images of shape {shp})")
    if top + th > height or left + tw > width:
        raise ValueError(
            f"The crop window (top={top}, left={left}, height={th}, width={tw}) does not fit inside "
            f"the images of height {height} and width {width}."
        )
    key = [slice(None)] * len(shp)
    key[h_ax], key[w_ax] = slice(int(top), int(top + th)), slice(int(left), int(left + tw))
    return b.getitem(x, tuple(key))
