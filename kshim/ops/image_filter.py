"""Filters of ``keras.ops.image``: Gaussian blur, Sobel edges and SSIM (depthwise convolutions)."""

from __future__ import annotations

from typing import Any

from ..backend import current
from ._dispatch import op, tensor
from .image_common import check_rank, const, float_dtype, saturate_cast, to_nhwc, tuple_ints
from .image_common import data_format as _std_df


def _kernel1d(size: int, sigma: Any, dtype: str, ssim_form: bool = False) -> Any:
    """Normalised 1-D Gaussian of ``size`` taps centred on ``(size - 1) / 2``; ``sigma`` a 0-d tensor."""
    b = current()
    x = b.subtract(b.arange(0, size, 1, dtype), const((size - 1) / 2.0, dtype))
    if ssim_form:  # exp(-x^2 / (2 sigma^2)), Keras' SSIM formula
        e = b.divide(b.negative(b.square(x)), b.multiply(const(2.0, dtype), b.square(sigma)))
    else:  # exp(-0.5 (x / sigma)^2), Keras' gaussian_blur formula
        e = b.multiply(const(-0.5, dtype), b.square(b.divide(x, sigma)))
    k = b.exp(e)
    return b.divide(k, b.sum(k, None, False))


def depthwise_separable(x: Any, k_h: Any, k_w: Any, same: bool) -> Any:
    """Filter every channel with the outer product of two 1-D kernels (two depthwise convolutions).

    Args:
        x: A float ``(N, H, W, C)`` tensor.
        k_h: The 1-D kernel along the height.
        k_w: The 1-D kernel along the width.
        same: Zero padding to the input size (the extra cell at the end for even kernels);
            otherwise ``valid``.

    Returns:
        The filtered ``(N, H', W', C)`` tensor.
    """
    b = current()
    c = b.shape(x)[-1]
    for k, axis in ((k_h, 0), (k_w, 1)):
        n = b.shape(k)[0]
        shape = (n, 1, 1, 1) if axis == 0 else (1, n, 1, 1)
        kern = b.broadcast_to(b.reshape(k, shape), shape[:3] + (c,))
        lo = (n - 1) // 2 if same else 0
        pad = (lo, n - 1 - lo) if same else (0, 0)
        pads = [pad, (0, 0)] if axis == 0 else [(0, 0), pad]
        x = b.conv(x, kern, (1, 1), pads, (1, 1), c, "channels_last")
    return x


def blur_nhwc(x: Any, kernel_size: tuple, sigma: Any) -> Any:
    """Gaussian blur of a float channels_last batch (zero padding, same size).

    Args:
        x: A float ``(N, H, W, C)`` tensor.
        kernel_size: Two ints, indexed as Keras-JAX does: entry 1 along the height, 0 along the width.
        sigma: A ``(2,)`` tensor in ``x``'s dtype, indexed the same way.

    Returns:
        The blurred tensor.
    """
    b = current()
    d = b.dtype(x)
    k_h = _kernel1d(kernel_size[1], b.getitem(sigma, (1,)), d)
    k_w = _kernel1d(kernel_size[0], b.getitem(sigma, (0,)), d)
    return depthwise_separable(x, k_h, k_w, same=True)


@op
def gaussian_blur(
    images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0), data_format: str | None = None
) -> Any:
    """Blur images with a Gaussian kernel (zero padding, output the size of the input).

    As in Keras on JAX (the reference; its torch backend agrees for square kernels), the 2-D kernel
    is ``outer(g(kernel_size[1], sigma[1]), g(kernel_size[0], sigma[0]))`` in (height, width): the
    *second* entries apply along the height. For an even size the extra padding cell is at the end.
    Keras' eager path ignores ``data_format=None`` (it then treats images as channels_first);
    kshim resolves ``None`` to ``image_data_format()`` as Keras' symbolic path does. Differentiable
    with respect to the images and ``sigma``.

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        kernel_size: Two ints (an int means both), each >= 1.
        sigma: Two positive standard deviations (a number or a tensor; a scalar means both).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The blurred images in the input dtype (integer images are computed in ``floatx``, then
        rounded and clipped back).

    Raises:
        ValueError: for a rank other than 3 or 4, or a bad ``kernel_size``/``sigma``.
    """
    b = current()
    df = _std_df(data_format)
    x = tensor(images)
    check_rank(tuple(b.shape(x)))
    ks = tuple_ints(kernel_size, 2, "kernel_size")
    if min(ks) < 1:
        raise ValueError(f"`kernel_size` entries must be >= 1. Received: kernel_size={kernel_size}")
    d = b.dtype(x)
    cd = float_dtype(d)
    s = tensor(sigma, cd)
    if len(b.shape(s)) == 0:
        s = b.broadcast_to(s, (2,))
    if tuple(b.shape(s)) != (2,):
        raise ValueError(f"`sigma` must be a number or two numbers. Received shape {tuple(b.shape(s))}")
    xn, restore = to_nhwc(x if cd == d else b.cast(x, cd), df)
    y = restore(blur_nhwc(xn, ks, s))
    return saturate_cast(y, d)


def _shift_sum(xp: Any, terms: list, h: int, w: int) -> Any:
    """Sum of ``coef * xp[u:u+h, v:v+w]`` (on axes 1, 2 of an NHWC tensor) over ``(coef, u, v)``."""
    b = current()
    d = b.dtype(xp)
    out = None
    for coef, u, v in terms:
        t = b.getitem(xp, (slice(None), slice(u, u + h), slice(v, v + w), slice(None)))
        if coef == -1:
            out = b.negative(t) if out is None else b.subtract(out, t)
            continue
        if coef != 1:
            t = b.multiply(t, b.full((), coef, d))
        out = t if out is None else b.add(out, t)
    return out


_SOBEL_X = [(-1, 0, 0), (1, 0, 2), (-2, 1, 0), (2, 1, 2), (-1, 2, 0), (1, 2, 2)]
_SOBEL_Y = [(-1, 0, 0), (-2, 0, 1), (-1, 0, 2), (1, 2, 0), (2, 2, 1), (1, 2, 2)]


@op
def sobel_edges(images: Any, data_format: str | None = None) -> Any:
    """Sobel gradients of each channel (3x3 kernels, zero padding).

    Args:
        images: A rank-4 batch of images.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        ``(batch, height, width, channels, 2)`` for channels_last or ``(batch, channels, height,
        width, 2)`` for channels_first, in the input dtype; the last axis holds ``[dy, dx]``.

    Raises:
        ValueError: if ``images`` is not rank 4.
    """
    b = current()
    df = _std_df(data_format)
    x = tensor(images)
    shp = tuple(b.shape(x))
    check_rank(shp, ranks=(4,))
    if df == "channels_first":
        x = b.transpose(x, (0, 2, 3, 1))
    _, h, w, _ = b.shape(x)
    xp = b.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], "constant", 0)
    dy, dx = _shift_sum(xp, _SOBEL_Y, h, w), _shift_sum(xp, _SOBEL_X, h, w)
    if df == "channels_first":
        dy, dx = b.transpose(dy, (0, 3, 1, 2)), b.transpose(dx, (0, 3, 1, 2))
    shp = tuple(b.shape(dy)) + (1,)
    return b.concatenate([b.reshape(dy, shp), b.reshape(dx, shp)], len(shp) - 1)


def _mean(x: Any, axes: tuple) -> Any:
    b = current()
    n = 1
    for a in axes:
        n *= b.shape(x)[a]
    return b.divide(b.sum(x, axes, False), const(float(n), b.dtype(x)))


@op
def ssim(
    image1: Any,
    image2: Any,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> Any:
    """Structural similarity (Wang et al. 2004) with a Gaussian window and ``valid`` filtering.

    The SSIM map is averaged over the spatial positions of each channel, then over the channels.
    Differentiable with respect to both images.

    Args:
        image1: A rank-3 (single image) or rank-4 (batch) tensor.
        image2: A tensor of the same shape.
        max_val: The dynamic range of the pixel values (1.0 for [0, 1] images, 255.0 for 8-bit).
        filter_size: The Gaussian window size, an int >= 1 (at most the image height and width).
        filter_sigma: The Gaussian window's standard deviation.
        k1: Luminance stabilisation constant.
        k2: Contrast stabilisation constant.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        One SSIM value per image pair (shape ``(batch,)``), or a scalar for unbatched inputs, in
        ``image1``'s dtype. Integer images give ``floatx`` (Keras casts the value back to the
        integer dtype, which truncates it to 0 or 1; kshim does not).

    Raises:
        ValueError: for a rank other than 3 or 4, different shapes, or a window larger than the images.
    """
    b = current()
    df = _std_df(data_format)
    x1, x2 = tensor(image1), tensor(image2)
    for name, t in (("image1", x1), ("image2", x2)):
        check_rank(tuple(b.shape(t)), name)
    if tuple(b.shape(x1)) != tuple(b.shape(x2)):
        raise ValueError(
            f"image1 and image2 must have the same shape. Received image1.shape={tuple(b.shape(x1))}, "
            f"image2.shape={tuple(b.shape(x2))}"
        )
    fs = int(filter_size)
    if fs < 1:
        raise ValueError(f"`filter_size` must be an int >= 1. Received: filter_size={filter_size}")
    d = b.dtype(x1)
    cd = float_dtype(d)
    x1n, _ = to_nhwc(b.cast(x1, cd) if d != cd else x1, df)
    x2n, _ = to_nhwc(b.cast(x2, cd) if b.dtype(x2) != cd else x2, df)
    _, h, w, _ = b.shape(x1n)
    if h < fs or w < fs:
        raise ValueError(
            f"ssim: the images ({h}x{w}) are smaller than the Gaussian window (filter_size={fs}); "
            f"pass a smaller filter_size or larger images."
        )
    g = _kernel1d(fs, tensor(filter_sigma, cd), cd, ssim_form=True)

    def filt(t):
        return depthwise_separable(t, g, g, same=False)

    mv = tensor(max_val, cd)
    c1 = b.square(b.multiply(tensor(k1, cd), mv))
    c2 = b.square(b.multiply(tensor(k2, cd), mv))
    mu1, mu2 = filt(x1n), filt(x2n)
    mu11, mu22, mu12 = b.multiply(mu1, mu1), b.multiply(mu2, mu2), b.multiply(mu1, mu2)
    s11 = b.subtract(filt(b.multiply(x1n, x1n)), mu11)
    s22 = b.subtract(filt(b.multiply(x2n, x2n)), mu22)
    s12 = b.subtract(filt(b.multiply(x1n, x2n)), mu12)
    two = const(2.0, cd)
    num = b.multiply(b.add(b.multiply(two, mu12), c1), b.add(b.multiply(two, s12), c2))
    den = b.multiply(b.add(b.add(mu11, mu22), c1), b.add(b.add(s11, s22), c2))
    per_channel = _mean(b.divide(num, den), (1, 2))
    out = _mean(per_channel, (1,))
    if len(b.shape(x1)) == 3:
        out = b.reshape(out, ())
    return out  # float images: already image1's dtype; integer images: floatx
