"""Audio preprocessing layers: ``STFTSpectrogram`` and ``MelSpectrogram`` (issue 15)."""

from .audio_mel import MelSpectrogram
from .audio_stft import STFTSpectrogram

__all__ = ["MelSpectrogram", "STFTSpectrogram"]
