"""Colour, intensity and mixing augmentation layers (Keras 3 names), and ``Pipeline``.

The classes live in ``color_*.py``, ``mixing_*.py`` and ``pipeline.py``; this module gathers them
for ``kshim.layers``.
"""

from .color_adjust import (
    RandomBrightness,
    RandomColorDegeneration,
    RandomContrast,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomSaturation,
)
from .color_histogram import ContrastLimitedAdaptiveHistogramEqualization, Equalization
from .color_jitter import RandomColorJitter
from .color_tone import AutoContrast, RandomGaussianBlur, RandomPosterization, RandomSharpness, Solarization
from .mixing_chains import AugMix, RandAugment
from .mixing_masks import CutMix, RandomErasing
from .mixing_mixup import MixUp
from .pipeline import Pipeline

__all__ = [
    "RandomContrast",
    "RandomBrightness",
    "RandomHue",
    "RandomSaturation",
    "RandomColorJitter",
    "RandomGrayscale",
    "RandomInvert",
    "RandomPosterization",
    "RandomSharpness",
    "RandomErasing",
    "RandomGaussianBlur",
    "RandomColorDegeneration",
    "AutoContrast",
    "Equalization",
    "Solarization",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "MixUp",
    "CutMix",
    "Pipeline",
    "AugMix",
    "RandAugment",
]
