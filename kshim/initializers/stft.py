"""``STFT``: the initializer of the convolution kernels an ``STFTSpectrogram`` layer computes with.

The kernel of shape ``(frame_length, 1, bins)`` holds ``cos`` (``side="real"``) or ``sin``
(``side="imag"``) of ``-2 pi t f / fft_length`` for time ``t`` and frequency bin ``f``, times an
optional window normalised by its L2 (``"density"``) or L1 (``"spectrum"``) norm. The values are
host constants, computed in float64 and then cast, so they are identical on every backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from .base import Initializer

_SCALINGS = ("density", "spectrum")


def _native_names() -> tuple:
    from ..ops._signal_utils import WINDOW_NAMES

    return tuple(WINDOW_NAMES) + ("hanning",)


def _window_name(window: Any) -> tuple[str, tuple]:
    """``(name, params)`` for a window given as a name or as a ``(name, *params)`` tuple."""
    if isinstance(window, str):
        return window, ()
    return str(window[0]), tuple(window[1:])


def window_values(window: Any, length: int, periodic: bool) -> np.ndarray:
    """A window's ``length`` samples as float64, as ``scipy.signal.get_window(window, length, periodic)``.

    Hann, Hamming, Blackman, Bartlett, boxcar and Kaiser (``("kaiser", beta)``) are computed by
    kshim itself; any other ``scipy.signal.windows`` name is delegated to SciPy when it is installed.

    Args:
        window: A window name, or a ``(name, *params)`` tuple.
        length: Number of samples.
        periodic: Periodic (DFT-even, SciPy's ``fftbins=True``) instead of symmetric.

    Returns:
        A float64 array of shape ``(length,)``.

    Raises:
        ValueError: For an unknown window (or one that needs SciPy when SciPy is not installed).
    """
    name, params = _window_name(window)
    if name in _native_names() and (name == "kaiser" or not params):
        from ..ops._signal_utils import window_values as _native

        beta = float(params[0]) if params else None
        if name == "kaiser" and beta is None:
            raise ValueError("The 'kaiser' window needs its beta parameter: pass window=('kaiser', beta).")
        return _native(name, int(length), periodic, 12.0 if beta is None else beta)
    try:
        import scipy.signal
    except ImportError:
        raise ValueError(
            f"Window {window!r} is not built into kshim ({', '.join(_native_names())}); "
            "install SciPy (pip install scipy) to use the other scipy.signal.windows."
        ) from None
    return np.asarray(scipy.signal.get_window(window, int(length), fftbins=bool(periodic)), np.float64)


class STFT(Initializer):
    """Initializer of Conv kernels for the short-time Fourier transform (``keras.initializers.STFT``).

    Args:
        side: ``"real"`` (cosine kernel) or ``"imag"`` (sine kernel).
        window: A window name (``"hann"``, ``"hamming"``, ...; ``scipy.signal.windows`` names work
            when SciPy is installed), a ``(name, *params)`` tuple, an array of ``frame_length``
            values, or ``None`` for no window.
        scaling: ``"density"`` (divide by the window's L2 norm), ``"spectrum"`` (its L1 norm) or
            ``None``.
        periodic: Use the periodic (DFT-even) form of a named window instead of the symmetric one.

    Raises:
        ValueError: For an unknown ``side``, ``scaling`` or window name.
    """

    def __init__(
        self, side: str = "real", window: Any = "hann", scaling: str | None = "density", periodic: bool = False
    ):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, list) and window and isinstance(window[0], str):
            window = tuple(window)  # a ("kaiser", beta) window after a JSON round trip
        if isinstance(window, (str, tuple)):
            window_values(window, 1, False)  # refuse an unknown window now, as Keras does
        if scaling is not None and scaling not in _SCALINGS:
            raise ValueError(
                f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        """The kernel as a float64 array of ``shape`` ``(frame_length, input_channels, bins)``.

        Args:
            shape: ``(frame_length, input_channels, fft_length // 2 + 1)``.
            dtype: The requested dtype (the values are cast to it afterwards).

        Returns:
            The float64 kernel.

        Raises:
            ValueError: If ``shape`` is not 3-D, or an array window does not have ``frame_length`` values.
        """
        if len(shape) != 3:
            raise ValueError(
                f"The STFT initializer needs a shape (frame_length, input_channels, bins); received shape={shape}."
            )
        frame_length, channels, bins = shape
        t = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        f = np.arange(bins, dtype=np.float64).reshape(1, 1, bins)
        fft_length = (bins - 1) * 2
        with np.errstate(divide="ignore", invalid="ignore"):
            angle = -2.0 * np.pi * t * (f / fft_length)
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            if isinstance(self.window, (str, tuple)):
                win = window_values(self.window, frame_length, self.periodic)
            else:
                win = np.asarray(
                    current().to_numpy(self.window) if current().is_tensor(self.window) else self.window, np.float64
                )
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    f"The shape of `window` must be equal to [frame_length].Received: window shape={win.shape}"
                )
            win = win.reshape(frame_length, 1, 1)
            scale = 1.0
            if self.scaling == "density":
                scale = float(np.sqrt(np.sum(np.square(win))))
            elif self.scaling == "spectrum":
                scale = float(np.sum(np.abs(win)))
            kernel = kernel * win / scale
        return np.broadcast_to(kernel, (frame_length, channels, bins))

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        """The kernel as a tensor of the active backend.

        Args:
            shape: ``(frame_length, input_channels, bins)``.
            dtype: Float dtype (default ``floatx()``).

        Returns:
            A tensor of ``shape`` and ``dtype``.
        """
        d = _dt.standardize_dtype(dtype)
        arr = self.host_values(tuple(int(s) for s in shape), d)
        return current().convert_to_tensor(np.ascontiguousarray(arr).astype(current().numpy_dtype(d)), d)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            ``{"side", "window", "periodic", "scaling"}``.
        """
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


STFTInitializer = STFT
