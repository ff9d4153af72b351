"""Thresholded confusion-matrix metrics of Keras 3: the four counts (``TruePositives``, ...) and the
operating-point metrics (``PrecisionAtRecall``, ``SensitivityAtSpecificity``, ...).

All of them accumulate weighted counts with :func:`kshim.metrics.metrics.update_confusion_matrix`,
the machinery ``Precision``, ``Recall`` and ``AUC`` use, so they trace under ``jax.jit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ops
from .metric import Metric
from .metrics import _parse_thresholds, is_evenly_distributed_thresholds, update_confusion_matrix

if TYPE_CHECKING:
    from ..variables import Variable


class _ConfusionCount(Metric):
    """One weighted confusion count (key ``_key``) at each threshold, in a variable ``accumulator``."""

    _key = ""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: str | None = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the batch's weighted count at each threshold.

        Args:
            y_true: Labels (nonzero is positive).
            y_pred: Scores in [0, 1], the shape of ``y_true``.
            sample_weight: Optional weights, broadcastable to ``y_true``.
        """
        update_confusion_matrix(
            {self._key: self.accumulator},
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def result(self) -> Any:
        """The count: a scalar for one threshold, else one value per threshold."""
        acc = self.accumulator.value
        return acc[0] if len(self.thresholds) == 1 else acc

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """Weighted count of positives predicted positive (``y_pred > threshold``).

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5); one count per threshold.
        name: Metric name.
        dtype: State dtype (default ``floatx()``).

    Raises:
        ValueError: a threshold outside [0, 1].
    """

    _key = "tp"


class FalsePositives(_ConfusionCount):
    """Weighted count of negatives predicted positive (``y_pred > threshold``).

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5); one count per threshold.
        name: Metric name.
        dtype: State dtype (default ``floatx()``).

    Raises:
        ValueError: a threshold outside [0, 1].
    """

    _key = "fp"


class TrueNegatives(_ConfusionCount):
    """Weighted count of negatives predicted negative (``y_pred <= threshold``).

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5); one count per threshold.
        name: Metric name.
        dtype: State dtype (default ``floatx()``).

    Raises:
        ValueError: a threshold outside [0, 1].
    """

    _key = "tn"


class FalseNegatives(_ConfusionCount):
    """Weighted count of positives predicted negative (``y_pred <= threshold``).

    Args:
        thresholds: A float or list of floats in [0, 1] (default 0.5); one count per threshold.
        name: Metric name.
        dtype: State dtype (default ``floatx()``).

    Raises:
        ValueError: a threshold outside [0, 1].
    """

    _key = "fn"


class _AtOperatingPoint(Metric):
    """The four confusion counts at ``num_thresholds`` evenly spaced thresholds in [0, 1] (one
    threshold, 0.5, when ``num_thresholds == 1``); subclasses read one rate at the best threshold
    whose other rate reaches ``value``."""

    if TYPE_CHECKING:  # state variables, created (with setattr) once the input shape is known
        true_positives: Variable
        false_positives: Variable
        true_negatives: Variable
        false_negatives: Variable

    _constraint = ""  # the name of the constrained argument, for messages and configs

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._constraint}` must be in the range [0, 1]. Received: {self._constraint}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._constraint, value)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds, self._thresholds_distributed_evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._thresholds_distributed_evenly = [0.0] + inner + [1.0], True
        n = (len(self.thresholds),)
        for key in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, key, self.add_variable(n, "zeros", name=key))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the batch's weighted confusion counts at every threshold.

        Args:
            y_true: Labels (nonzero is positive).
            y_pred: Scores in [0, 1], the shape of ``y_true``.
            sample_weight: Optional weights, broadcastable to ``y_true``.

        Raises:
            ValueError: ``class_id`` with 1-D predictions.
        """
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self.thresholds,
            class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def _rates(self) -> dict:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = ops.divide_no_nan(tp, ops.add(tp, fn))
        return {
            "recall": recall,
            "sensitivity": recall,
            "precision": ops.divide_no_nan(tp, ops.add(tp, fp)),
            "specificity": ops.divide_no_nan(tn, ops.add(tn, fp)),
        }

    def _best(self, constrained: str, dependent: str) -> Any:
        """Max of rate ``dependent`` over the thresholds where rate ``constrained`` >= ``value`` (0 if none)."""
        rates = self._rates()
        feasible = ops.greater_equal(rates[constrained], ops.cast(self.value, ops.dtype(rates[constrained])))
        dep = rates[dependent]
        return ops.maximum(ops.max(ops.where(feasible, dep, ops.zeros_like(dep))), ops.cast(0, ops.dtype(dep)))

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._constraint: self.value,
        }


_ARGS = """
    Args:
        {c}: The {c} to reach, in [0, 1].
        num_thresholds: Number of evenly spaced thresholds in [0, 1] (1: the single threshold 0.5).
        class_id: Evaluate only this class (last axis index) of ``(batch, classes)`` inputs.
        name: Metric name.
        dtype: State dtype (default ``floatx()``).

    Raises:
        ValueError: ``{c}`` outside [0, 1] or ``num_thresholds < 1``.
"""


class PrecisionAtRecall(_AtOperatingPoint):
    __doc__ = "Best precision over the thresholds whose recall is at least ``recall``.\n" + _ARGS.format(c="recall")
    _constraint = "recall"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> Any:
        """The best precision where recall >= ``recall`` (0 if no threshold reaches it)."""
        return self._best("recall", "precision")


class RecallAtPrecision(_AtOperatingPoint):
    __doc__ = "Best recall over the thresholds whose precision is at least ``precision``.\n" + _ARGS.format(
        c="precision"
    )
    _constraint = "precision"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> Any:
        """The best recall where precision >= ``precision`` (0 if no threshold reaches it)."""
        return self._best("precision", "recall")


class SensitivityAtSpecificity(_AtOperatingPoint):
    __doc__ = (
        "Best sensitivity (recall) over the thresholds whose specificity is at least ``specificity``.\n"
        + _ARGS.format(c="specificity")
    )
    _constraint = "specificity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> Any:
        """The best sensitivity where specificity >= ``specificity`` (0 if no threshold reaches it)."""
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtOperatingPoint):
    __doc__ = (
        "Best specificity over the thresholds whose sensitivity (recall) is at least ``sensitivity``.\n"
        + _ARGS.format(c="sensitivity")
    )
    _constraint = "sensitivity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> Any:
        """The best specificity where sensitivity >= ``sensitivity`` (0 if no threshold reaches it)."""
        return self._best("sensitivity", "specificity")
