"""The arguments of one ``compile``/``fit``/``evaluate``/``predict`` call as one value.

``Trainer.fit`` binds Keras' signature once and hands the loop a :class:`FitOptions`; the loops read
fields by name instead of a long positional list that repeats the signature. ``Trainer.compile``
hands its :class:`CompileOptions` to the model's ``TrainingEngine`` (``engine.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CompileOptions:
    """Everything ``Model.compile`` was called with (Keras 3's parameters and defaults), as given
    (``optimizer``, ``loss`` and the metrics may be names, objects or configs)."""

    optimizer: Any = "rmsprop"
    loss: Any = None
    loss_weights: Any = None
    metrics: Any = None
    weighted_metrics: Any = None
    run_eagerly: bool = False
    steps_per_execution: int = 1
    jit_compile: Any = "auto"
    auto_scale_loss: bool = True

    def validate(self) -> None:
        """Raise ``ValueError`` for a ``steps_per_execution`` below 1 or a ``jit_compile`` other
        than ``"auto"``, ``True`` or ``False``."""
        if int(self.steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be >= 1, got {self.steps_per_execution}.")
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(f"jit_compile must be 'auto', True or False, got {self.jit_compile!r}.")

    def config(self) -> dict:
        """The arguments ``get_compile_config`` serializes (all but ``auto_scale_loss``, as before)."""
        return {
            "optimizer": self.optimizer,
            "loss": self.loss,
            "loss_weights": self.loss_weights,
            "metrics": self.metrics,
            "weighted_metrics": self.weighted_metrics,
            "run_eagerly": self.run_eagerly,
            "steps_per_execution": self.steps_per_execution,
            "jit_compile": self.jit_compile,
        }


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
