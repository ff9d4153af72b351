"""Resampling by separable weight matrices: ``resize`` and ``scale_and_translate``.

Every method except ``nearest`` is one (in, out) interpolation matrix per resized axis, applied by
``einsum``: the same construction as ``jax.image.scale_and_translate`` (half-pixel centres, the kernel
stretched by ``1 / scale`` when antialiasing a downsample, weights renormalised to sum to one over
the input pixels that exist, zero for samples outside the input). Keras-JAX is the reference:
Keras' torch backend uses ``F.interpolate``, whose bicubic kernel (a = -0.75) and antialiasing differ.
Differentiable with respect to the images (and, for ``scale_and_translate``, scale and translation).
"""

from __future__ import annotations

import math as _math
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from .image_common import check_choice, check_rank, const, float_dtype, saturate_cast
from .image_common import data_format as _std_df

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
SCALE_AND_TRANSLATE_METHODS = (
    "linear",
    "bilinear",
    "trilinear",
    "cubic",
    "bicubic",
    "tricubic",
    "lanczos3",
    "lanczos5",
)
_KERNEL_OF = {
    "linear": "linear",
    "bilinear": "linear",
    "trilinear": "linear",
    "cubic": "cubic",
    "bicubic": "cubic",
    "tricubic": "cubic",
    "lanczos3": "lanczos3",
    "lanczos5": "lanczos5",
    "area": "area",
}
_EPS_F32 = float(np.finfo(np.float32).eps)


# ---- kernels (x = |distance| >= 0, in input pixels, already divided by the kernel scale) ------------
def _triangle(x: Any) -> Any:
    b = current()
    d = b.dtype(x)
    return b.maximum(const(0.0, d), b.subtract(const(1.0, d), b.abs(x)))


def _keys_cubic(x: Any) -> Any:
    """Keys' cubic convolution kernel with a = -0.5 (Pillow, TF and JAX with antialiasing)."""
    b = current()
    d = b.dtype(x)
    c = lambda v: const(v, d)  # noqa: E731
    near = b.add(b.multiply(b.multiply(b.subtract(b.multiply(c(1.5), x), c(2.5)), x), x), c(1.0))
    far = b.add(b.multiply(b.subtract(b.multiply(b.add(b.multiply(c(-0.5), x), c(2.5)), x), c(4.0)), x), c(2.0))
    out = b.where(b.greater_equal(x, c(1.0)), far, near)
    return b.where(b.greater_equal(x, c(2.0)), c(0.0), out)


def _lanczos(radius: float):
    def kernel(x: Any) -> Any:
        b = current()
        d = b.dtype(x)
        c = lambda v: const(v, d)  # noqa: E731
        px = b.multiply(c(_math.pi), x)
        y = b.multiply(b.multiply(c(radius), b.sin(px)), b.sin(b.divide(px, c(radius))))
        den = b.where(b.not_equal(x, c(0.0)), b.multiply(c(_math.pi**2), b.square(x)), c(1.0))
        out = b.where(b.greater(x, c(1e-3)), b.divide(y, den), c(1.0))
        return b.where(b.greater(x, c(radius)), c(0.0), out)

    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


def weight_matrix(in_size: int, out_size: int, scale: Any, translation: Any, kernel: str, antialias: bool) -> Any:
    """The resampling matrix of one axis.

    Output pixel ``i`` samples the input at ``(i + 0.5 - translation) / scale - 0.5``; each column
    holds the kernel weights of the input pixels, renormalised to sum to one (zero when the
    sample lies outside the input).

    Args:
        in_size: The input length.
        out_size: The output length.
        scale: A 0-d float tensor (its dtype is the weights' dtype; may be traced).
        translation: A 0-d float tensor of the same dtype.
        kernel: ``"linear"``, ``"cubic"``, ``"lanczos3"``, ``"lanczos5"`` or ``"area"``.
        antialias: Whether to widen the kernel by ``1 / scale`` when downsampling.

    Returns:
        An ``(in_size, out_size)`` tensor.
    """
    b = current()
    d = b.dtype(scale)
    c = lambda v: const(v, d)  # noqa: E731
    inv = b.divide(c(1.0), scale)
    out_idx = b.arange(0, out_size, 1, d)
    in_idx = b.arange(0, in_size, 1, d)
    shift = b.multiply(translation, inv)
    sample = b.subtract(b.subtract(b.multiply(b.add(out_idx, c(0.5)), inv), shift), c(0.5))
    if kernel == "area":
        lo_out = b.subtract(b.multiply(out_idx, inv), shift)
        hi_out = b.add(lo_out, inv)
        lo_in = b.reshape(in_idx, (in_size, 1))
        hi_in = b.add(lo_in, c(1.0))
        w = b.maximum(
            c(0.0),
            b.subtract(
                b.minimum(b.reshape(hi_out, (1, out_size)), hi_in), b.maximum(b.reshape(lo_out, (1, out_size)), lo_in)
            ),
        )
    else:
        dist = b.abs(b.subtract(b.reshape(sample, (1, out_size)), b.reshape(in_idx, (in_size, 1))))
        if antialias:
            dist = b.divide(dist, b.maximum(inv, c(1.0)))
        w = _KERNELS[kernel](dist)
    total = b.sum(w, (0,), True)
    safe = b.where(b.not_equal(total, c(0.0)), total, c(1.0))
    w = b.where(b.greater(b.abs(total), c(1000.0 * _EPS_F32)), b.divide(w, safe), c(0.0))
    inside = b.logical_and(b.greater_equal(sample, c(-0.5)), b.less_equal(sample, c(in_size - 0.5)))
    return b.where(b.reshape(inside, (1, out_size)), w, c(0.0))


def _contract(x: Any, axis: int, w: Any) -> Any:
    """``x`` with axis ``axis`` (length in) replaced by ``w``'s out axis (an ``einsum``)."""
    b = current()
    nd = len(b.shape(x))
    letters = "abcdefghijklmnopqrstuvwxy"[:nd]
    out = letters[:axis] + "z" + letters[axis + 1 :]
    return b.einsum(f"{letters},{letters[axis]}z->{out}", x, w)


def _nearest(x: Any, axis: int, out_size: int) -> Any:
    """Nearest-neighbour along one axis: source index ``floor((i + 0.5) * in / out)`` in float32
    (bit-for-bit the indices ``jax.image.resize`` picks)."""
    b = current()
    n = b.shape(x)[axis]
    src = ((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(n)) / np.float32(out_size)
    idx = np.minimum(np.floor(src).astype(np.int32), n - 1)
    return b.take(x, b.convert_to_tensor(idx, "int32"), axis)


def _resample_axes(x: Any, sizes: dict, method: str, antialias: bool) -> Any:
    """Resize the axes in ``sizes`` ({axis: new length}) of a float tensor with a kernel method."""
    b = current()
    d = b.dtype(x)
    for axis, n_out in sizes.items():
        n_in = b.shape(x)[axis]
        if n_in == n_out:
            continue  # every kernel interpolates: the identity warp leaves the axis unchanged
        scale = b.full((), n_out / n_in if n_in else 1.0, "float64")
        w = weight_matrix(n_in, n_out, scale, b.zeros((), "float64"), _KERNEL_OF[method], antialias)
        x = _contract(x, axis, b.cast(w, d))
    return x


def _crop_or_pad(x: Any, target: tuple, df: str, crop: bool, fill_value: Any) -> Any:
    """Centre crop (``crop``) or symmetric pad to the aspect ratio of ``target`` (Keras' arithmetic)."""
    b = current()
    shp = tuple(b.shape(x))
    nd = len(shp)
    h_ax, w_ax = (nd - 3, nd - 2) if df == "channels_last" else (nd - 2, nd - 1)
    height, width = shp[h_ax], shp[w_ax]
    th, tw = target
    if crop:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        h0, w0 = int(float(height - ch) / 2), int(float(width - cw) / 2)
        key = [slice(None)] * nd
        key[h_ax], key[w_ax] = slice(h0, h0 + ch), slice(w0, w0 + cw)
        return b.getitem(x, tuple(key))
    ph = max(height, int(float(width * th) / tw))
    pw = max(width, int(float(height * tw) / th))
    hs, ws = int(float(ph - height) / 2), int(float(pw - width) / 2)
    if hs > 0:
        ax, n = h_ax, hs
    elif ws > 0:
        ax, n = w_ax, ws
    else:
        return x
    band = list(shp)
    band[ax] = n
    fill = b.broadcast_to(tensor(fill_value, b.dtype(x)), tuple(band))
    return b.concatenate([fill, x, fill], ax)


@op
def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Any:
    """Resize images to ``size`` with the given interpolation.

    Numerics follow Keras on JAX (``jax.image.resize``): half-pixel centres, Keys bicubic
    (a = -0.5), Lanczos of radius 3/5, and with ``antialias=True`` the kernel widened by the
    downsampling factor. ``"area"`` (box filter; Keras offers it on TensorFlow only) is computed as
    ``jax.image.resize(method="area")``. Keras' torch backend differs for bicubic and antialias.

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        size: ``(height, width)`` of the output, positive ints.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"``, ``"lanczos5"``
            or ``"area"``.
        antialias: Whether to low-pass filter when downsampling (no effect when upsampling, nor
            for ``"nearest"`` and ``"area"``).
        crop_to_aspect_ratio: Centre-crop the largest window with the target aspect ratio first.
        pad_to_aspect_ratio: Pad the short side evenly (with ``fill_value``) to the target aspect
            ratio first.
        fill_mode: Only ``"constant"`` is supported (for ``pad_to_aspect_ratio``).
        fill_value: The padding value for ``pad_to_aspect_ratio``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The resized images, in the input dtype (integer images are rounded half to even and
        clipped to their range, as Keras does).

    Raises:
        ValueError: for a bad ``size``, rank, interpolation or ``fill_mode``, or both aspect-ratio
            options at once.
    """
    b = current()
    df = _std_df(data_format)
    x = tensor(images)
    if isinstance(size, (int, np.integer)) or len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    th, tw = int(size[0]), int(size[1])
    if th <= 0 or tw <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    check_rank(tuple(b.shape(x)))
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    check_choice("interpolation", interpolation, RESIZE_INTERPOLATIONS)
    if fill_mode != "constant":
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. Received: fill_mode={fill_mode!r}"
        )
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        x = _crop_or_pad(x, (th, tw), df, crop_to_aspect_ratio, fill_value)
    nd = len(b.shape(x))
    axes = (nd - 3, nd - 2) if df == "channels_last" else (nd - 2, nd - 1)
    if interpolation == "nearest":
        for ax, n in zip(axes, (th, tw)):
            if b.shape(x)[ax] != n:
                x = _nearest(x, ax, n)
        return x
    d = b.dtype(x)
    cd = float_dtype(d)
    y = _resample_axes(x if cd == d else b.cast(x, cd), dict(zip(axes, (th, tw))), interpolation, antialias)
    return saturate_cast(y, d)


@op
def scale_and_translate(
    images: Any,
    output_shape: Sequence[int],
    scale: Any,
    translation: Any,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> Any:
    """Resample ``images`` to ``output_shape`` under the map ``x_out = x_in * scale + translation``.

    Pixel ``i`` has its centre at ``i + 0.5``; output samples that fall outside the input are 0.
    Computed as ``jax.image.scale_and_translate`` (Keras-JAX, the reference).

    Args:
        images: A tensor of any rank.
        output_shape: The output shape, one int per dimension of ``images``.
        scale: ``K`` scales, one per entry of ``spatial_dims`` (a tensor or a sequence).
        translation: ``K`` translations, one per entry of ``spatial_dims``.
        spatial_dims: The ``K`` axes that are resampled.
        method: ``"linear"``/``"bilinear"``/``"trilinear"``, ``"cubic"``/``"bicubic"``/``"tricubic"``
            (Keys, a = -0.5), ``"lanczos3"`` or ``"lanczos5"``.
        antialias: Whether to widen the kernel when downsampling (no effect when upsampling).

    Returns:
        The resampled tensor, of shape ``output_shape``; float inputs keep their dtype, integer
        inputs give ``floatx`` (Keras-JAX promotes them to a float).

    Raises:
        ValueError: for an unknown ``method``, or shapes that do not fit together.
    """
    b = current()
    check_choice("method", method, SCALE_AND_TRANSLATE_METHODS)
    x = tensor(images)
    shp = tuple(b.shape(x))
    out_shape = tuple(int(s) for s in output_shape)
    if len(out_shape) != len(shp):
        raise ValueError(
            f"`output_shape` must have one entry per dimension of images: {out_shape} vs images.shape={shp}"
        )
    dims = [int(a) % len(shp) for a in spatial_dims]
    for a in range(len(shp)):
        if a not in dims and out_shape[a] != shp[a]:
            raise ValueError(
                f"Axis {a} is not in spatial_dims={tuple(spatial_dims)}, so output_shape[{a}] must "
                f"equal images.shape[{a}]={shp[a]}. Received output_shape={out_shape}"
            )
    s, t = tensor(scale), tensor(translation)
    wd = _dt.result_type(float_dtype(b.dtype(s)), float_dtype(b.dtype(t)))
    s, t = b.cast(s, wd), b.cast(t, wd)
    for name, v in (("scale", s), ("translation", t)):
        if tuple(b.shape(v)) != (len(dims),):
            raise ValueError(
                f"`{name}` must have one entry per spatial dim ({len(dims)}). Received shape {tuple(b.shape(v))}"
            )
    d = float_dtype(b.dtype(x))
    if b.dtype(x) != d:
        x = b.cast(x, d)
    for i, a in enumerate(dims):
        w = weight_matrix(shp[a], out_shape[a], b.getitem(s, (i,)), b.getitem(t, (i,)), _KERNEL_OF[method], antialias)
        x = _contract(x, a, b.cast(w, d))
    return x
