"""Reading ``.wav`` files with the standard library's ``wave`` module and NumPy.

:func:`read_wav` returns what ``tf.audio.decode_wav`` returns: float32 samples in ``[-1, 1)`` of
shape ``(samples, channels)`` and the sample rate, optionally cut or zero-padded to a length.
"""

from __future__ import annotations

import wave

import numpy as np

__all__ = ["read_wav", "resample"]


def read_wav(path: str, desired_samples: int | None = None) -> tuple[np.ndarray, int]:
    """Decode an uncompressed PCM ``.wav`` file.

    Args:
        path: The file (8-bit unsigned, or 16-, 24- or 32-bit signed PCM, any number of channels).
        desired_samples: Cut or zero-pad to this many samples (``None``: the file's length).

    Returns:
        ``(audio, sample_rate)``: float32 ``(samples, channels)`` scaled to ``[-1, 1)``.

    Raises:
        ValueError: the file is not PCM of a supported sample width.
    """
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate, frames = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            raw = f.readframes(frames)
    except wave.Error as e:
        raise ValueError(f"Cannot decode {path} as PCM WAV: {e}") from e
    if width == 1:
        audio = (np.frombuffer(raw, np.uint8).astype("float32") - 128.0) / 128.0
    elif width == 2:
        audio = np.frombuffer(raw, "<i2").astype("float32") / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        audio = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype("float32") / float(1 << 23)
    elif width == 4:
        audio = (np.frombuffer(raw, "<i4").astype("float64") / float(1 << 31)).astype("float32")
    else:
        raise ValueError(f"Cannot decode {path}: unsupported sample width of {width} bytes.")
    audio = audio[: (len(audio) // channels) * channels].reshape(-1, channels)
    if desired_samples is not None and desired_samples >= 0:
        audio = fit_length(audio, desired_samples)
    return audio, rate


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Cut ``audio`` (``(samples, channels)``) to ``length`` samples or pad it with zeros."""
    if len(audio) >= length:
        return audio[:length]
    return np.concatenate([audio, np.zeros((length - len(audio),) + audio.shape[1:], audio.dtype)])


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited (FFT) resampling of ``(samples, channels)`` audio from ``rate_in`` to ``rate_out``.

    Keras resamples with ``tensorflow_io``, whose filter differs; the output length is
    ``round(samples * rate_out / rate_in)`` here.
    """
    if rate_in == rate_out or len(audio) == 0:
        return audio
    n = len(audio)
    m = max(1, int(round(n * rate_out / rate_in)))
    spectrum = np.fft.rfft(audio.astype("float64"), axis=0)
    keep = min(spectrum.shape[0], m // 2 + 1)
    out_spec = np.zeros((m // 2 + 1,) + audio.shape[1:], dtype=complex)
    out_spec[:keep] = spectrum[:keep]
    return (np.fft.irfft(out_spec, n=m, axis=0) * (m / n)).astype("float32")
