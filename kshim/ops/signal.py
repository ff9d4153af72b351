"""FFT and signal ops: ``fft``/``fft2``/``ifft2``/``rfft``/``irfft``, ``stft``/``istft``, window
functions, ``sinc`` and ``i0``.

As in Keras 3, the FFT ops take and return ``(real, imag)`` tuples of real float tensors (convert with
``view_as_complex``/``view_as_real``, and build complex tensors with ``polar``: the complex-number ops
are in ``numpy_complex.py``).

The DFTs are backend primitives (``fft``, ``rfft``, ``irfft`` in ``backends/_protocol.py``);
``stft``/``istft`` and the windows are composites over them. Reusable pieces (windows,
framing, overlap-add, I0) live in ``kshim/ops/_signal_utils.py``.
"""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from .._symbolic import KerasTensor
from ..backend import current
from ..variables import Variable
from . import _signal_utils as _su
from ._dispatch import constant, op, real_tensor, tensor

_FFT_DTYPES = ("float32", "float64")


# ---- (real, imag) pairs -------------------------------------------------------------------------
def _pair(x: Any, min_rank: int) -> tuple:
    """Validate and convert a ``(real, imag)`` pair of float tensors of one shape and dtype."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        got = (
            f"a {type(x).__name__} of length {len(x)}"
            if isinstance(x, (tuple, list))
            else f"a {type(x).__name__} of shape {tuple(getattr(x, 'shape', ()))}"
        )
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. "
            f"Received: {got}. Pass (real_part, imaginary_part)."
        )
    b = current()
    re, im = tensor(x[0]), tensor(x[1])
    dr, di = b.dtype(re), b.dtype(im)
    if not (_dt.is_float(dr) and _dt.is_float(di)):
        raise ValueError(
            "At least one tensor in input `x` is not of type float. Received dtypes "
            f"{dr} and {di}; cast both parts to float32 or float64."
        )
    if dr not in _FFT_DTYPES or di not in _FFT_DTYPES:
        raise TypeError(
            f"FFTs need float32 or float64 parts; got {dr} and {di}. Cast both parts to float32 (or float64) first."
        )
    if dr != di:
        raise TypeError(
            f"The real and imaginary parts must have the same dtype; got {dr} and {di}. "
            "Cast one of them so that they match."
        )
    sr, si = tuple(b.shape(re)), tuple(b.shape(im))
    if sr != si:
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. Both the "
            "real and imaginary parts should have the same shape. Received: "
            f"x[0].shape = {sr}, x[1].shape = {si}"
        )
    if len(sr) < min_rank:
        raise ValueError(f"Input should have rank >= {min_rank}. Received: input.shape = {sr}")
    return re, im


def _complex_fft(x: Any, ndim: int, inverse: bool) -> tuple:
    re, im = _pair(x, ndim)
    b = current()
    if any(n == 0 for n in b.shape(re)):  # an empty transform is empty (np.fft refuses length 0)
        return re, im
    return b.fft(re, im, ndim, inverse)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


@op
def fft(x: tuple) -> tuple:
    """Fast Fourier transform along the last axis.

    Args:
        x: Tuple ``(real, imag)`` of float32 or float64 tensors of the same shape (rank >= 1).

    Returns:
        Tuple ``(real, imag)`` of the transform, same shape and dtype as the input parts.

    Raises:
        ValueError: If ``x`` is not a pair of float tensors of one shape, or has rank 0.
        TypeError: If the parts are float16/bfloat16 or have different dtypes.
    """
    return _complex_fft(x, 1, False)


@op
def fft2(x: tuple) -> tuple:
    """2-D fast Fourier transform over the last two axes.

    Args:
        x: Tuple ``(real, imag)`` of float32 or float64 tensors of the same shape (rank >= 2).

    Returns:
        Tuple ``(real, imag)`` of the transform, same shape and dtype.

    Raises:
        ValueError: If ``x`` is not a pair of float tensors of one shape, or has rank < 2.
        TypeError: If the parts are float16/bfloat16 or have different dtypes.
    """
    return _complex_fft(x, 2, False)


@op
def ifft2(x: tuple) -> tuple:
    """2-D inverse fast Fourier transform over the last two axes (scaled by ``1 / (m * n)``).

    Args:
        x: Tuple ``(real, imag)`` of float32 or float64 tensors of the same shape (rank >= 2).

    Returns:
        Tuple ``(real, imag)`` of the inverse transform, same shape and dtype.

    Raises:
        ValueError: If ``x`` is not a pair of float tensors of one shape, or has rank < 2.
        TypeError: If the parts are float16/bfloat16 or have different dtypes.
    """
    return _complex_fft(x, 2, True)


@op
def rfft(x: Any, fft_length: int | None = None) -> tuple:
    """Real-input fast Fourier transform along the last axis.

    The last axis is cropped or zero-padded to ``fft_length`` samples, and the
    ``fft_length // 2 + 1`` non-negative frequencies are returned (the others are their complex
    conjugates).

    Args:
        x: Real tensor of rank >= 1. Integer and bool inputs are computed in ``floatx()``.
        fft_length: Number of samples to transform; defaults to the length of the last axis.

    Returns:
        Tuple ``(real, imag)`` of shape ``x.shape[:-1] + (fft_length // 2 + 1,)``.

    Raises:
        ValueError: For a rank-0 input, a non-positive ``fft_length`` (or an empty last axis
            without one), or a float16/bfloat16 input (Keras: RFFT needs float32 or float64).
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if not _dt.is_float(d):
        x = b.cast(x, _dt.config.floatx())
    elif d not in _FFT_DTYPES:
        raise ValueError(f"RFFT input must be float32 or float64, got {d}; cast it first.")
    shape = tuple(b.shape(x))
    if not shape:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {shape}")
    if fft_length is None and shape[-1] == 0:
        raise ValueError(
            f"Cannot infer `fft_length` from an empty last axis (input.shape = {shape}); "
            "pass a positive fft_length to zero-pad to."
        )
    n = _positive_int(shape[-1] if fft_length is None else fft_length, "fft_length")
    return b.rfft(x, n)


@op
def irfft(x: tuple, fft_length: int | None = None) -> Any:
    """Inverse of :func:`rfft` along the last axis.

    The last axis holds ``fft_length // 2 + 1`` bins of a Hermitian spectrum (cropped or
    zero-padded to that many); the imaginary parts of the zero-frequency bin and, for even
    ``fft_length``, of the Nyquist bin do not affect the result.

    Args:
        x: Tuple ``(real, imag)`` of float32 or float64 tensors of one shape (rank >= 1).
        fft_length: Number of output samples; defaults to ``2 * (bins - 1)`` (pass it for odd
            lengths, which cannot be inferred; with 0 or 1 bins the default gives 0 samples).

    Returns:
        Real tensor of shape ``x[0].shape[:-1] + (fft_length,)``.

    Raises:
        ValueError: If ``x`` is not a valid pair, or ``fft_length`` is not a positive integer.
        TypeError: If the parts are float16/bfloat16 or have different dtypes.
    """
    re, im = _pair(x, 1)
    b = current()
    shape = tuple(b.shape(re))
    if fft_length is None:
        if shape[-1] <= 1:  # 2 * (bins - 1) <= 0 samples: empty, as Keras returns
            return b.zeros(shape[:-1] + (0,), b.dtype(re))
        n = 2 * (shape[-1] - 1)
    else:
        n = fft_length
    n = _positive_int(n, "fft_length")
    return b.irfft(re, im, n)


# ---- short-time Fourier transform ----------------------------------------------------------------
def _check_stft_args(sequence_length: Any, sequence_stride: Any, fft_length: Any) -> tuple:
    stride = _positive_int(sequence_stride, "sequence_stride")
    seq = _positive_int(sequence_length, "sequence_length")
    nfft = _positive_int(fft_length, "fft_length")
    if nfft < seq:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={seq}, fft_length={nfft}"
        )
    return seq, stride, nfft


@op
def stft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: str | Any | None = "hann",
    center: bool = True,
) -> tuple:
    """Short-time Fourier transform along the last axis.

    Frames of ``fft_length`` samples start every ``sequence_stride`` samples; each is multiplied
    by the window (``sequence_length`` values centred in the frame, zeros around them) and
    transformed with :func:`rfft`. The result is not normalized: bin ``k`` of frame ``t`` is
    ``sum_n w[n] x[t*stride + n] exp(-2j*pi*k*n/fft_length)`` (Keras' convention).

    Args:
        x: float32 or float64 tensor of rank >= 1 (lists are converted to ``floatx()``).
        sequence_length: Window length (<= ``fft_length``).
        sequence_stride: Hop size, a positive integer.
        fft_length: Frame / FFT size.
        window: ``"hann"`` or ``"hamming"`` (periodic, as ``scipy.signal.get_window``), a 1-D
            tensor of ``sequence_length`` values, or None for no windowing (then all
            ``fft_length`` samples of a frame are used unweighted).
        center: Reflect-pad ``fft_length // 2`` samples on both sides first, so frame ``t`` is
            centred at ``t * sequence_stride``.

    Returns:
        Tuple ``(real, imag)`` of shape ``x.shape[:-1] + (frames, fft_length // 2 + 1)`` with
        ``frames = 1 + (padded_length - fft_length) // sequence_stride``.

    Raises:
        TypeError: If ``x`` is not float32 or float64.
        ValueError: For non-positive sizes, ``fft_length < sequence_length``, an unknown window
            name, a window of the wrong shape, or a signal shorter than one frame.
    """
    _positive_int(sequence_stride, "sequence_stride")  # checked first, as Keras does
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if d not in _FFT_DTYPES:
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={d}")
    seq, stride, nfft = _check_stft_args(sequence_length, sequence_stride, fft_length)
    if isinstance(window, str) and window not in ("hann", "hamming"):
        raise ValueError(
            f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. Received: window={window}'
        )
    shape = tuple(b.shape(x))
    if not shape:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {shape}")
    if center and nfft // 2:
        half = nfft // 2
        x = b.pad(x, [(0, 0)] * (len(shape) - 1) + [(half, half)], mode="reflect")
    frames = _su.frame_signal(x, nfft, stride)
    w = _su.stft_window(window, seq, nfft, d)
    if w is not None:
        frames = b.multiply(frames, w)
    return b.rfft(frames, nfft)


@op
def istft(
    x: tuple,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: str | Any | None = "hann",
    center: bool = True,
) -> Any:
    """Inverse short-time Fourier transform: rebuilds the signal :func:`stft` analysed.

    Each frame is inverted with :func:`irfft`, multiplied by the window and overlap-added; the
    sum is divided by the overlap-added squared window where that exceeds 1e-10 (Keras' and
    SciPy's least-squares inverse). With ``window=None`` frames are unweighted and the sum is
    scaled by ``fft_length / (sequence_stride * overlapping frames)``, as Keras does.

    kshim differs from Keras 3.15 in two corners: with ``center=True`` and ``fft_length=1``
    (no centre padding) Keras returns an empty tensor, kshim the signal; and ``window`` names are
    the two :func:`stft` accepts (Keras' JAX backend takes any SciPy window name here, names its
    own ``stft`` refuses).

    Args:
        x: Tuple ``(real, imag)`` of float32/float64 tensors of shape ``(..., frames, bins)``.
        sequence_length: Window length used by the STFT.
        sequence_stride: Hop size used by the STFT (a positive integer).
        fft_length: FFT size used by the STFT.
        length: If given, the output is sliced to this many samples (after the centre padding is
            dropped); it is never padded.
        window: ``"hann"``, ``"hamming"``, a tensor of ``sequence_length`` values, or None; the
            same as given to the STFT.
        center: Whether the STFT centre-padded the signal (then ``fft_length // 2`` samples are
            dropped at each end).

    Returns:
        Real tensor of shape ``x[0].shape[:-2] + (samples,)``.

    Raises:
        ValueError: For an invalid pair, rank < 2, non-positive sizes, ``fft_length <
            sequence_length``, an unknown window name or a window of the wrong shape.
        TypeError: If the parts are float16/bfloat16 or have different dtypes.
    """
    _positive_int(sequence_stride, "sequence_stride")  # checked first, as Keras does
    re, im = _pair(x, 2)
    seq, stride, nfft = _check_stft_args(sequence_length, sequence_stride, fft_length)
    b = current()
    d = b.dtype(re)
    count = b.shape(re)[-2]
    w = _su.stft_window(window, seq, nfft, d)
    frames = b.irfft(re, im, nfft)  # (..., count, nfft)
    if w is not None:
        frames = b.multiply(frames, w)
    out = b.divide(_su.overlap_add(frames, stride), _su.istft_denominator(window, w, seq, nfft, count, stride, d))
    start = nfft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center and start:
        end = -start
    else:
        end = None
    return b.getitem(out, (Ellipsis, slice(start, end)))


# ---- window functions -----------------------------------------------------------------------------
def _window_length(x: Any, name: str) -> int:
    """The window length a Keras window function was given (scalar int-like, concrete)."""
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"{name} does not support symbolic tensors (the window length must be a "
            f"concrete value). Received x = {x} of type {type(x)}"
        )
    b = current()
    if isinstance(x, Variable):
        v = np.asarray(x.numpy())
    elif b.is_tensor(x):
        v = np.asarray(b.to_numpy(x))
    else:
        v = np.asarray(x)
    if v.size != 1 or v.dtype.kind not in "iuf":
        raise ValueError(f"{name}: the window length must be a scalar integer, got {x!r}.")
    m = v.reshape(()).item()
    if not float(m).is_integer() or m < 0:
        raise ValueError(f"{name}: the window length must be a non-negative integer, got {m!r}.")
    return int(m)


def _symmetric_window(kind: str, x: Any, name: str, beta: float = 12.0) -> Any:
    return _su.window(kind, _window_length(x, name), periodic=False, beta=beta, dtype=_dt.config.floatx())


def bartlett(x: Any) -> Any:
    """Bartlett (triangular) window, ``np.bartlett``: ``1 - |2n / (M - 1) - 1|``.

    Args:
        x: Window length ``M``: a non-negative integer scalar (Python or tensor).

    Returns:
        1-D ``floatx()`` tensor of ``M`` values.

    Raises:
        TypeError: For a symbolic (KerasTensor) length.
        ValueError: For a length that is not a non-negative integer.
    """
    return _symmetric_window("bartlett", x, "bartlett")


def blackman(x: Any) -> Any:
    """Blackman window, ``np.blackman``: ``0.42 - 0.5 cos(2 pi n / (M-1)) + 0.08 cos(4 pi n / (M-1))``.

    Args:
        x: Window length ``M``: a non-negative integer scalar (Python or tensor).

    Returns:
        1-D ``floatx()`` tensor of ``M`` values.

    Raises:
        TypeError: For a symbolic (KerasTensor) length.
        ValueError: For a length that is not a non-negative integer.
    """
    return _symmetric_window("blackman", x, "blackman")


def hamming(x: Any) -> Any:
    """Hamming window, ``np.hamming``: ``0.54 - 0.46 cos(2 pi n / (M - 1))``.

    Args:
        x: Window length ``M``: a non-negative integer scalar (Python or tensor).

    Returns:
        1-D ``floatx()`` tensor of ``M`` values.

    Raises:
        TypeError: For a symbolic (KerasTensor) length.
        ValueError: For a length that is not a non-negative integer.
    """
    return _symmetric_window("hamming", x, "hamming")


def hanning(x: Any) -> Any:
    """Hann window, ``np.hanning``: ``0.5 - 0.5 cos(2 pi n / (M - 1))``.

    Args:
        x: Window length ``M``: a non-negative integer scalar (Python or tensor).

    Returns:
        1-D ``floatx()`` tensor of ``M`` values.

    Raises:
        TypeError: For a symbolic (KerasTensor) length.
        ValueError: For a length that is not a non-negative integer.
    """
    return _symmetric_window("hann", x, "hanning")


def kaiser(x: Any, beta: float) -> Any:
    """Kaiser window, ``np.kaiser``: ``I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)``.

    Args:
        x: Window length ``M``: a non-negative integer scalar (Python or tensor).
        beta: Shape parameter (float).

    Returns:
        1-D ``floatx()`` tensor of ``M`` values.

    Raises:
        TypeError: For a symbolic (KerasTensor) length.
        ValueError: For a length that is not a non-negative integer.
    """
    return _symmetric_window("kaiser", x, "kaiser", beta=beta)


# ---- sinc, i0 (real input; the complex-number ops are in numpy_complex.py) ------------------------
def _float_result(x: Any, name: str) -> Any:
    """Keras' ``result_type(x.dtype, float)`` with int64 mapped to floatx (sinc); complex input is
    refused (TypeError naming ``name``)."""
    b = current()
    x = real_tensor(x, name)
    d = b.dtype(x)
    out = _dt.config.floatx() if d == "int64" else _dt.weak_result(d, 1.0)
    return x if out == d else b.cast(x, out)


@op
def sinc(x: Any) -> Any:
    """Normalized sinc, ``sin(pi x) / (pi x)`` with ``sinc(0) = 1`` (gradient 0 there).

    Args:
        x: Input tensor (integers and bool give ``floatx()``).

    Returns:
        Float tensor of ``x``'s shape.
    """
    b = current()
    x = _float_result(x, "sinc")
    d = b.dtype(x)
    nz = b.not_equal(x, b.zeros((), d))
    one = b.ones((), d)
    px = b.where(nz, b.multiply(x, constant(b, _math.pi, d)), one)
    return b.where(nz, b.divide(b.sin(px), px), one)


@op
def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind of order 0 (``np.i0``).

    Args:
        x: Input tensor. Result dtype as in Keras: float64 for int64/float64, float16/bfloat16
            kept (computed in float32), ``floatx()`` otherwise.

    Returns:
        Float tensor of ``x``'s shape.
    """
    b = current()
    x = real_tensor(x, "i0")
    d = b.dtype(x)
    out = "float64" if d in ("int64", "float64") else d if d in ("float16", "bfloat16") else _dt.config.floatx()
    work = "float32" if out in ("float16", "bfloat16") else out
    y = _su.bessel_i0(x if d == work else b.cast(x, work))
    return y if work == out else b.cast(y, out)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
