"""``MonitorCallback``: shared "is this an improvement?" logic (mode, min_delta, best)."""

from __future__ import annotations

import operator
import warnings
from typing import Any, Callable

from .callback import Callback

# Metric names (without ``val_`` / output prefixes) that go up as the model improves,
# used in ``mode="auto"`` when the model's metric objects do not say (``_direction``).
_UP_SUFFIXES = (
    "accuracy",
    "acc",
    "auc",
    "precision",
    "recall",
    "f1_score",
    "fbeta_score",
    "r2_score",
    "iou",
    "cosine_similarity",
    "at_precision",
    "at_recall",
    "at_specificity",
    "at_sensitivity",
)
_DOWN_SUFFIXES = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "divergence",
    "mse",
    "mae",
    "mape",
    "msle",
    "poisson",
    "logcosh",
    "log_cosh",
)


def _flatten_metrics(metrics) -> list:
    out = []
    for m in metrics or []:
        inner = getattr(m, "metrics", None)
        if isinstance(inner, (list, tuple)) and inner and inner is not metrics:
            out.extend(_flatten_metrics(inner))
        out.append(m)
    return out


class MonitorCallback(Callback):
    """Base for callbacks that watch one logged quantity (``EarlyStopping``,
    ``ModelCheckpoint``, ``ReduceLROnPlateau``).

    Args:
        monitor: Log key to watch (``"val_loss"`` by default).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``loss``-like names are minimized;
            otherwise the model's metric ``_direction`` or the metric name decides,
            and a ``ValueError`` asks for an explicit mode when neither does).
        baseline: Initial ``best`` value (``None``: the first value seen).
        min_delta: Changes smaller than ``|min_delta|`` do not count as improvement.
    """

    def __init__(
        self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None, min_delta: float = 0
    ):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[Any, Any], Any] | None = None

    def _infer_direction(self) -> str | None:
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss":
            return "down"
        model = self._model
        for m in _flatten_metrics(getattr(model, "metrics", None) if model is not None else None):
            if getattr(m, "name", None) == name and hasattr(m, "_direction"):
                return "up" if m._direction == "up" else "down"
        if name.endswith(_UP_SUFFIXES):
            return "up"
        if name.endswith(_DOWN_SUFFIXES):
            return "down"
        return None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            direction = self._infer_direction()
            if direction is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but kshim "
                    "isn't able to automatically determine whether that metric should be maximized "
                    "or minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                    "value, or pass `mode='min'` in order to use the lowest value."
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        assert self.monitor_op is not None, "_set_monitor_op() runs first"
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
