"""``STFTSpectrogram``: spectrograms of 1-D signals computed with STFT convolution kernels."""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import _config, ops
from ...initializers import STFT
from ...initializers.stft import window_values
from ..input_spec import InputSpec
from .data_layer import DataLayer

__all__ = ["STFTSpectrogram"]

_MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


class STFTSpectrogram(DataLayer):
    """Short-time Fourier transform of ``(batch, time, channels)`` signals (``keras.layers.STFTSpectrogram``).

    The transform is a strided 1-D convolution of every channel with two kernels of shape
    ``(frame_length, 1, fft_length // 2 + 1)``, the weights ``real_kernel`` (cosines) and
    ``imag_kernel`` (sines) made by the :class:`kshim.initializers.STFT` initializer with the
    window and scaling. They are ordinary weights (trainable unless ``trainable=False``), so the
    layer can be fine-tuned; ``mode="real"`` has no ``imag_kernel`` and ``mode="imag"`` no
    ``real_kernel``. Unlike the other preprocessing layers, it is therefore bound to the backend its
    weights were created under.

    Args:
        mode: ``"log"`` (log magnitude, default), ``"magnitude"``, ``"psd"`` (power spectral density,
            inner bins doubled), ``"real"``, ``"imag"``, ``"angle"`` or ``"stft"`` (real then imaginary
            bins).
        frame_length: Window length in samples.
        frame_step: Hop between frames (default ``frame_length // 2``).
        fft_length: FFT size (default: the smallest power of two >= ``frame_length``).
        window: ``"hann"``, ``"hamming"`` (or another ``scipy.signal`` window name when SciPy is
            installed), or an array of ``frame_length`` values.
        periodic: Use the periodic form of a named window.
        scaling: ``"density"``, ``"spectrum"`` or None (see :class:`kshim.initializers.STFT`).
        padding: ``"valid"`` or ``"same"``.
        expand_dims: Output ``(batch, time, freq, channels)`` (channels_last) instead of
            ``(batch, time, channels * freq)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer keyword arguments.

    Raises:
        ValueError: For an invalid ``frame_step``, ``fft_length``, ``mode``, ``scaling``, ``padding``
            or window name; for inputs that are not 3-D.
        TypeError: If the input is not float16/float32/float64.
    """

    _output_shape_by_formula = True

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(
                f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}", stacklevel=2
            )
        if mode not in _MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ["density", "spectrum"]:
            raise ValueError(
                f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}"
            )
        if padding not in ["valid", "same"]:
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        if isinstance(window, str):
            window_values(window, 1, False)  # an unknown window name fails now, as in Keras
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or self.frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or (2 ** int(math.ceil(math.log2(frame_length))))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape, initializer=STFT("real", self.window, self.scaling, self.periodic)
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape, initializer=STFT("imag", self.window, self.scaling, self.periodic)
            )
        self.built = True

    # ---- call ---------------------------------------------------------------------------------------
    def _apply_conv(self, inputs: Any, kernel: Any) -> Any:
        """Convolve every channel separately: ``(batch, channels, freq, frames)``."""
        if self.data_format == "channels_last":
            _, time, channels = ops.shape(inputs)
            x = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        else:
            _, channels, time = ops.shape(inputs)
            x = ops.reshape(inputs, (-1, 1, time))
        out = ops.conv(
            x,
            ops.cast(kernel, ops.dtype(inputs)),
            strides=self._frame_step,
            padding=self.padding,
            data_format=self.data_format,
        )
        if self.data_format == "channels_last":
            _, frames, freq = ops.shape(out)
            out = ops.transpose(out, (0, 2, 1))
        else:
            _, freq, frames = ops.shape(out)
        return ops.reshape(out, (-1, channels, freq, frames))

    def _adjust_shapes(self, x: Any) -> Any:
        _, channels, freq, frames = ops.shape(x)
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(x, (0, 3, 2, 1))  # (batch, frames, freq, channels)
            return ops.transpose(ops.reshape(x, (-1, channels * freq, frames)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(x, (0, 1, 3, 2))  # (batch, channels, frames, freq)
        return ops.reshape(x, (-1, channels * freq, frames))

    def call(self, inputs: Any) -> Any:
        dtype = ops.dtype(inputs)
        if dtype not in {"float16", "float32", "float64"}:
            raise TypeError(
                f"Invalid input type. Expected `float16`, `float32` or `float64`. Received: input type={dtype}"
            )
        real = self._apply_conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._apply_conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust_shapes(real)
        if self.mode == "imag":
            return self._adjust_shapes(imag)
        if self.mode == "angle":
            return self._adjust_shapes(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust_shapes(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            inner = ops.pad(
                ops.get_item(power, (slice(None), slice(None), slice(1, -1), slice(None))),
                [[0, 0], [0, 0], [1, 1], [0, 0]],
            )
            return self._adjust_shapes(ops.add(power, inner))
        eps = _config.epsilon()
        linear = self._adjust_shapes(ops.sqrt(ops.maximum(power, eps)))
        if self.mode == "magnitude":
            return linear
        return ops.log(ops.maximum(linear, eps))

    # ---- shapes and config --------------------------------------------------------------------------
    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"STFTSpectrogram expects inputs of rank 3, received shape {input_shape}.")
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        freq = self._fft_length // 2 + 1
        if self.mode == "stft":
            freq *= 2
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = (time + self._frame_step - 1) // self._frame_step
        else:
            if time < self.frame_length:
                raise ValueError(
                    f"STFTSpectrogram: the signal length {time} is shorter than frame_length="
                    f"{self.frame_length} with padding='valid'."
                )
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, freq, channels)
            return (batch, channels, frames, freq)
        feat = None if channels is None else freq * channels
        return (batch, frames, feat) if self.data_format == "channels_last" else (batch, feat, frames)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
