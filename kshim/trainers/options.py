"""The arguments of one ``fit``/``evaluate``/``predict`` call as one value.

``Trainer.fit`` binds Keras' signature once and hands the loop a :class:`FitOptions`; the loops read
fields by name instead of a long positional list that repeats the signature.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FitOptions:
    """Everything ``Model.fit`` was called with (Keras 3's parameters and defaults)."""

    x: Any = None
    y: Any = None
    batch_size: int | None = None
    epochs: int = 1
    verbose: Any = "auto"
    callbacks: Any = None
    validation_split: float = 0.0
    validation_data: Any = None
    shuffle: Any = True
    class_weight: dict | None = None
    sample_weight: Any = None
    initial_epoch: int = 0
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    validation_batch_size: int | None = None
    validation_freq: int = 1


@dataclass
class EvaluateOptions:
    """Everything ``Model.evaluate`` was called with."""

    x: Any = None
    y: Any = None
    batch_size: int | None = None
    verbose: Any = "auto"
    sample_weight: Any = None
    steps: int | None = None
    callbacks: Any = None
    return_dict: bool = False


@dataclass
class PredictOptions:
    """Everything ``Model.predict`` was called with."""

    x: Any = None
    batch_size: int | None = None
    verbose: Any = "auto"
    steps: int | None = None
    callbacks: Any = None
