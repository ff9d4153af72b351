"""Building blocks of the signal ops, shared with the STFT initializer and spectrogram layers.

Everything here runs on the active backend's primitives (so it is differentiable and jit-safe
wherever the inputs are), except :func:`window_values`, which returns a host ``np.ndarray``
(computed with the same formulas on the NumPy backend) for code that draws constants on the host.

* :func:`window` / :func:`window_values`: Hann, Hamming, Blackman, Bartlett, Kaiser and boxcar
  windows, symmetric (``np.hanning`` etc.) or periodic (``scipy.signal.get_window``'s default,
  ``fftbins=True``: the symmetric window of length ``M + 1`` without its last sample).
* :func:`stft_window`: the window ``keras.ops.stft``/``istft`` apply, resolved from a name, a
  tensor or None and centred in ``fft_length`` samples.
* :func:`frame_signal` / :func:`overlap_add`: split the last axis into overlapping frames, and
  the adjoint (sum overlapping frames back into a signal).
* :func:`bessel_i0`: the modified Bessel function of order 0 (``keras.ops.i0``'s kernel).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..backend import current
from ._dispatch import constant, tensor

__all__: list[str] = []  # internal helpers: nothing is re-exported into kshim.ops

#: Window names :func:`window` understands (``"hanning"`` is an alias of ``"hann"``).
WINDOW_NAMES = ("hann", "hamming", "blackman", "bartlett", "kaiser", "boxcar")

_COSINE_TERMS = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46), "blackman": (0.42, 0.5, 0.08)}

# I0 on [0, 20]: sum_k (x/2)^(2k) / (k!)^2 as a polynomial in z = (x/20)^2 with coefficients
# 100^k / (k!)^2 (all of them normal float32 numbers; 41 terms reach float64 round-off at x = 20).
_I0_SERIES = tuple(100.0**k / math.factorial(k) ** 2 for k in range(41))
# I0 above 20: e^x / sqrt(2 pi x) * sum_k c_k / x^k, c_k = ((2k-1)!!)^2 / (k! 8^k); 17 terms give
# float64 round-off for x >= 20.
_I0_ASYMPTOTIC_LIST = [1.0]
for _k in range(1, 17):
    _I0_ASYMPTOTIC_LIST.append(_I0_ASYMPTOTIC_LIST[-1] * (2 * _k - 1) ** 2 / (8.0 * _k))
_I0_ASYMPTOTIC = tuple(_I0_ASYMPTOTIC_LIST)
del _I0_ASYMPTOTIC_LIST
_I0_SPLIT = 20.0


def _c(b: Any, value: float, dtype: str) -> Any:
    return constant(b, float(value), dtype)


def _horner(b: Any, coeffs: tuple, z: Any, dtype: str) -> Any:
    acc = b.full(b.shape(z), coeffs[-1], dtype)
    for a in reversed(coeffs[:-1]):
        acc = b.add(b.multiply(acc, z), _c(b, a, dtype))
    return acc


def bessel_i0(x: Any) -> Any:
    """Modified Bessel function of the first kind of order 0 of a float32/float64 tensor.

    A power series on ``|x| <= 20`` and the asymptotic expansion above (relative error ~1e-15 in
    float64, ~1e-6 in float32); each branch sees its inputs clamped to its own range, so
    gradients (``I1(x)``) stay finite. Overflows to ``inf`` only where ``I0`` itself does.

    Args:
        x: A float32 or float64 tensor of the active backend.

    Returns:
        ``I0(x)``, same shape and dtype.
    """
    b = current()
    d = b.dtype(x)
    ax = b.abs(x)
    split = _c(b, _I0_SPLIT, d)
    small = b.minimum(ax, split)
    z = b.square(b.divide(small, split))
    series = _horner(b, _I0_SERIES, z, d)
    big = b.maximum(ax, split)
    asym = _horner(b, _I0_ASYMPTOTIC, b.reciprocal(big), d)
    half = b.exp(b.multiply(big, _c(b, 0.5, d)))  # e^x as e^(x/2)^2: finite while I0 is
    scale = b.sqrt(b.multiply(big, _c(b, 2 * math.pi, d)))
    asym = b.multiply(b.multiply(half, b.divide(asym, scale)), half)
    return b.where(b.less_equal(ax, split), series, asym)


def window(name: str, length: int, periodic: bool = False, beta: float = 12.0, dtype: str = "float64") -> Any:
    """A named window of ``length`` samples as a 1-D tensor of the active backend.

    Computed in float64 and cast to ``dtype``. Symmetric windows match ``np.hanning``,
    ``np.hamming``, ``np.blackman``, ``np.bartlett`` and ``np.kaiser``; periodic ones match
    ``scipy.signal.get_window(name, length)`` (``fftbins=True``). Length 1 gives ``[1.]``.

    Args:
        name: One of :data:`WINDOW_NAMES` (or ``"hanning"``).
        length: Number of samples, a non-negative int.
        periodic: Periodic (for spectral analysis, as STFTs use) instead of symmetric.
        beta: Shape parameter of the Kaiser window (ignored by the others).
        dtype: Result dtype.

    Returns:
        A tensor of shape ``(length,)``.

    Raises:
        ValueError: For an unknown name or a negative length.
    """
    b = current()
    name = "hann" if name == "hanning" else name
    if name not in WINDOW_NAMES:
        raise ValueError(f"Unknown window {name!r}; expected one of {', '.join(WINDOW_NAMES)}.")
    m = int(length)
    if m < 0:
        raise ValueError(f"The window length must be a non-negative integer, got {length}.")
    f64 = "float64"
    if m <= 1 or name == "boxcar":
        return b.ones((m,), dtype)
    u = b.divide(b.arange(0, m, 1, f64), _c(b, m if periodic else m - 1, f64))  # n / N in [0, 1]
    if name in _COSINE_TERMS:
        w = None
        for k, a in enumerate(_COSINE_TERMS[name]):
            term = (
                _c(b, a, f64)
                if k == 0
                else b.multiply(_c(b, a, f64), b.cos(b.multiply(u, _c(b, 2 * math.pi * k, f64))))
            )
            w = term if w is None else (b.subtract(w, term) if k % 2 else b.add(w, term))
    else:
        r = b.subtract(b.multiply(u, _c(b, 2.0, f64)), _c(b, 1.0, f64))  # -1 .. 1
        if name == "bartlett":
            w = b.subtract(_c(b, 1.0, f64), b.abs(r))
        else:  # kaiser
            beta_t = tensor(beta, f64)
            arg = b.multiply(beta_t, b.sqrt(b.maximum(b.subtract(_c(b, 1.0, f64), b.square(r)), _c(b, 0.0, f64))))
            w = b.divide(bessel_i0(arg), bessel_i0(b.abs(beta_t)))
    return w if dtype == f64 else b.cast(w, dtype)


def window_values(name: str, length: int, periodic: bool = False, beta: float = 12.0) -> np.ndarray:
    """:func:`window` as a float64 ``np.ndarray`` computed on the host (the NumPy backend).

    Args:
        name: One of :data:`WINDOW_NAMES` (or ``"hanning"``).
        length: Number of samples.
        periodic: Periodic instead of symmetric.
        beta: Kaiser shape parameter.

    Returns:
        An array of shape ``(length,)``.
    """
    from .. import backend as _backend

    with _backend.use("numpy"):
        return np.asarray(current().to_numpy(window(name, length, periodic, beta)), np.float64)


@functools.lru_cache(maxsize=128)
def _named_stft_window(name: str, sequence_length: int, fft_length: int) -> np.ndarray:
    w = window_values(name, sequence_length, periodic=True)
    lo = (fft_length - sequence_length) // 2
    w = np.pad(w, (lo, fft_length - sequence_length - lo))
    w.flags.writeable = False
    return w


def _check_window_name(win: str) -> None:
    if win not in ("hann", "hamming"):
        raise ValueError(
            f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. Received: window={win}'
        )


def stft_window(win: Any, sequence_length: int, fft_length: int, dtype: str) -> Any | None:
    """The window ``keras.ops.stft``/``istft`` multiply each frame by, ``fft_length`` long.

    A name (``"hann"`` or ``"hamming"``, periodic as ``scipy.signal.get_window``) or a tensor of
    ``sequence_length`` values is cast to ``dtype`` and zero-padded on both sides to
    ``fft_length`` (the extra sample on the right when the padding is odd). ``None`` means no
    windowing: the result is None and frames keep all ``fft_length`` samples. Named windows are
    computed once on the host in float64 (cached) and converted.

    Args:
        win: ``"hann"``, ``"hamming"``, a 1-D tensor-like of length ``sequence_length``, or None.
        sequence_length: Window length before padding.
        fft_length: Frame length after padding.
        dtype: Result dtype (the signal's).

    Returns:
        A tensor of shape ``(fft_length,)``, or None.

    Raises:
        ValueError: For another window name or a window of the wrong shape.
    """
    if win is None:
        return None
    if isinstance(win, str):
        _check_window_name(win)
        return tensor(_named_stft_window(win, sequence_length, fft_length).astype(dtype))
    b = current()
    w = tensor(win, dtype)
    if tuple(b.shape(w)) != (sequence_length,):
        raise ValueError(
            "The shape of `window` must be equal to [sequence_length]. Received: "
            f"window shape={tuple(b.shape(w))}, sequence_length={sequence_length}"
        )
    lo = (fft_length - sequence_length) // 2
    hi = fft_length - sequence_length - lo
    return b.pad(w, [(lo, hi)]) if lo or hi else w


@functools.lru_cache(maxsize=128)
def _named_istft_denominator(
    name: str | None, sequence_length: int, fft_length: int, frames: int, frame_step: int
) -> np.ndarray:
    from .. import backend as _backend

    w = np.ones(fft_length) if name is None else _named_stft_window(name, sequence_length, fft_length)
    with _backend.use("numpy"):
        norm = np.asarray(overlap_add(np.broadcast_to(w * w, (frames, fft_length)), frame_step))
    den = np.where(norm > 1e-10, norm, 1.0)
    if name is None:  # Keras scales the unwindowed sum by fft_length / sequence_stride
        den = den * (frame_step / fft_length)
    den.flags.writeable = False
    return den


def istft_denominator(
    win: Any, padded_window: Any | None, sequence_length: int, fft_length: int, frames: int, frame_step: int, dtype: str
) -> Any:
    """What ``keras.ops.istft`` divides the overlap-added windowed frames by.

    The overlap-added squared window where it exceeds 1e-10 (1 elsewhere); for ``win=None``
    (unit window) also times ``sequence_stride / fft_length``, Keras' scaling. Host-computed and
    cached for a named window or None; built from backend ops for a window tensor.

    Args:
        win: The ``window`` argument (name, tensor-like or None).
        padded_window: ``stft_window(win, ...)`` (None when ``win`` is None).
        sequence_length: Window length before padding.
        fft_length: Frame length.
        frames: Number of frames.
        frame_step: Hop size.
        dtype: Result dtype.

    Returns:
        A tensor of shape ``((frames - 1) * frame_step + fft_length,)``.
    """
    if win is None or isinstance(win, str):
        return tensor(_named_istft_denominator(win, sequence_length, fft_length, frames, frame_step).astype(dtype))
    b = current()
    norm = overlap_add(b.broadcast_to(b.square(padded_window), (frames, fft_length)), frame_step)
    return b.where(b.greater(norm, constant(b, 1e-10, dtype)), norm, b.ones((), dtype))


def frame_signal(x: Any, frame_length: int, frame_step: int) -> Any:
    """Overlapping frames of the last axis: ``(..., n) -> (..., frames, frame_length)``.

    Frame ``t`` is ``x[..., t*frame_step : t*frame_step + frame_length]``; there are
    ``1 + (n - frame_length) // frame_step`` of them (the tail that fills no frame is dropped).
    Built from ``ceil(frame_length / frame_step)`` strided slices (no gather).

    Args:
        x: Tensor with at least one axis, ``n >= frame_length``.
        frame_length: Samples per frame (>= 1).
        frame_step: Hop between frame starts (>= 1).

    Returns:
        The framed tensor.

    Raises:
        ValueError: When the signal is shorter than one frame.
    """
    b = current()
    shape = tuple(b.shape(x))
    n = shape[-1]
    if n < frame_length:
        raise ValueError(
            f"The signal ({n} samples after padding) is shorter than one frame "
            f"({frame_length} samples); pass a longer signal, a smaller fft_length, "
            "or center=True."
        )
    count = 1 + (n - frame_length) // frame_step
    reps = -(-frame_length // frame_step)
    total = (count + reps - 1) * frame_step
    lead = [(0, 0)] * (len(shape) - 1)
    x = b.pad(x, lead + [(0, total - n)]) if total > n else b.getitem(x, (Ellipsis, slice(0, total)))
    x = b.reshape(x, shape[:-1] + (count + reps - 1, frame_step))
    pieces = [b.getitem(x, (Ellipsis, slice(r, r + count), slice(None))) for r in range(reps)]
    out = pieces[0] if reps == 1 else b.concatenate(pieces, len(shape))
    if reps * frame_step != frame_length:
        out = b.getitem(out, (Ellipsis, slice(0, frame_length)))
    return out


def overlap_add(frames: Any, frame_step: int) -> Any:
    """Sum overlapping frames into a signal: ``(..., frames, L) -> (..., (frames-1)*step + L)``.

    The adjoint of :func:`frame_signal`: frame ``t`` is added at offset ``t * frame_step``.

    Args:
        frames: Tensor with at least two axes.
        frame_step: Hop between frame starts (>= 1).

    Returns:
        The overlap-added signal.
    """
    b = current()
    shape = tuple(b.shape(frames))
    count, length = shape[-2], shape[-1]
    reps = -(-length // frame_step)
    lead = [(0, 0)] * (len(shape) - 2)
    if reps * frame_step != length:
        frames = b.pad(frames, lead + [(0, 0), (0, reps * frame_step - length)])
    frames = b.reshape(frames, shape[:-1] + (reps, frame_step))
    out = None
    for r in range(reps):
        piece = b.getitem(frames, (Ellipsis, slice(None), r, slice(None)))  # (..., count, step)
        piece = b.pad(piece, lead + [(r, reps - 1 - r), (0, 0)]) if reps > 1 else piece
        out = piece if out is None else b.add(out, piece)
    out = b.reshape(out, shape[:-2] + ((count + reps - 1) * frame_step,))
    return b.getitem(out, (Ellipsis, slice(0, (count - 1) * frame_step + length)))
