"""``MelSpectrogram``: raw audio to (decibel) mel spectrograms, on any backend."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ops
from .data_layer import DataLayer

__all__ = ["MelSpectrogram", "mel_weight_matrix"]

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(f: np.ndarray) -> np.ndarray:
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + f / _MEL_BREAK_FREQUENCY_HERTZ)


def mel_weight_matrix(
    num_mel_bins: int, num_spectrogram_bins: int, sampling_rate: float, lower_edge_hertz: float, upper_edge_hertz: float
) -> np.ndarray:
    """The HTK-convention matrix ``(num_spectrogram_bins, num_mel_bins)`` that maps a linear
    spectrogram's bins (``0 .. sampling_rate / 2``) to triangular mel bands with peak 1 (the DC bin
    gets no weight), computed on the host in float64.

    Args:
        num_mel_bins: Number of mel bands.
        num_spectrogram_bins: Number of linear bins (``fft_length // 2 + 1``).
        sampling_rate: Samples per second of the signal.
        lower_edge_hertz: Lower edge of the lowest band.
        upper_edge_hertz: Upper edge of the highest band.

    Returns:
        A float64 NumPy array.
    """
    linear = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = np.linspace(
        _hertz_to_mel(np.float64(lower_edge_hertz)), _hertz_to_mel(np.float64(upper_edge_hertz)), num_mel_bins + 2
    )
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        lower_slopes = (bins_mel - lower) / (center - lower)
        upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [[1, 0], [0, 0]])


class MelSpectrogram(DataLayer):
    """Mel spectrograms of raw audio (``keras.layers.MelSpectrogram``).

    ``|STFT(x)| ** mag_exp`` (centred frames, reflect padding) projected on ``num_mel_bins``
    triangular mel bands, then, with ``power_to_db``, ``10 * log10(max(S, min_power) / ref_power)``
    floored at ``max - top_db`` (the maximum over the whole batch, as Keras). A data layer: it runs
    on the active backend in a model and on NumPy in a pipeline, without TensorFlow.

    Differences from Keras: the mel matrix is computed on the host in float64 (then cast), and
    ``compute_output_shape`` gives the number of frames the layer really returns
    (``1 + (samples + 2 * (fft_length // 2) - fft_length) // sequence_stride``), where Keras'
    formula ``(samples + sequence_stride + 1) // sequence_stride`` is one too many when ``samples + 1``
    is a multiple of the stride.

    Args:
        fft_length: FFT size (frame length).
        sequence_stride: Samples between successive frames.
        sequence_length: Window length (default ``fft_length``; at most ``fft_length``).
        window: ``"hann"``, ``"hamming"``, a tensor of ``sequence_length`` values, or None.
        sampling_rate: Sample rate of the signal.
        num_mel_bins: Number of mel bands.
        min_freq: Lower edge of the lowest band (Hz).
        max_freq: Upper edge of the highest band (default ``sampling_rate / 2``).
        power_to_db: Convert to decibels.
        top_db: Dynamic range kept below the maximum (decibels).
        mag_exp: Exponent of the magnitude (1: magnitude, 2: power).
        min_power: Floor of the power and of ``ref_power``.
        ref_power: Reference power of 0 dB.
        **kwargs: Base layer keyword arguments.

    Input shape: ``(samples,)`` or ``(batch, samples)``. Output shape: ``(num_mel_bins, frames)``
    or ``(batch, num_mel_bins, frames)``.

    Raises:
        ValueError: If ``fft_length < sequence_length``.
    """

    _output_shape_by_formula = True

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: Any = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to   `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = ops.cast(ops.convert_to_tensor(inputs), dtype)
        real, imag = ops.stft(
            x,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        spec = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))), self.mag_exp)
        matrix = self.linear_to_mel_weight_matrix(
            num_mel_bins=self.num_mel_bins,
            num_spectrogram_bins=ops.shape(spec)[-1],
            sampling_rate=self.sampling_rate,
            lower_edge_hertz=self.min_freq,
            upper_edge_hertz=self.max_freq,
            dtype=dtype,
        )
        out = ops.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            out = self._dbscale(out)
        out = ops.swapaxes(out, -1, -2)  # (..., num_mel_bins, frames)
        return ops.cast(out, self.compute_dtype)

    def _dbscale(self, x: Any) -> Any:
        log_spec = ops.multiply(10.0, ops.log10(ops.maximum(x, self.min_power)))
        ref = 10.0 * float(np.log10(max(abs(float(self.ref_power)), self.min_power)))
        log_spec = ops.subtract(log_spec, ref)
        return ops.maximum(log_spec, ops.subtract(ops.max(log_spec), self.top_db))

    def linear_to_mel_weight_matrix(
        self,
        num_mel_bins: int = 20,
        num_spectrogram_bins: int = 129,
        sampling_rate: float = 8000,
        lower_edge_hertz: float = 125.0,
        upper_edge_hertz: float = 3800.0,
        dtype: str = "float32",
    ) -> Any:
        """The mel weight matrix ``(num_spectrogram_bins, num_mel_bins)`` as a tensor of ``dtype``
        (see :func:`mel_weight_matrix`).

        Args:
            num_mel_bins: Number of mel bands.
            num_spectrogram_bins: Number of linear bins.
            sampling_rate: Sample rate of the signal.
            lower_edge_hertz: Lower edge of the lowest band.
            upper_edge_hertz: Upper edge of the highest band.
            dtype: Float dtype of the result.

        Returns:
            A tensor of the active backend.
        """
        m = mel_weight_matrix(
            num_mel_bins,
            int(num_spectrogram_bins),
            float(sampling_rate),
            float(lower_edge_hertz),
            float(upper_edge_hertz),
        )
        return ops.convert_to_tensor(m.astype(dtype), dtype=dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)

        def frames(n: int | None) -> int | None:
            if n is None:
                return None
            half = self.fft_length // 2
            return 1 + (n + 2 * half - self.fft_length) // self.sequence_stride

        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
