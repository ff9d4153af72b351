"""AUC, F-beta / F1 and R2 score metrics (Keras 3 semantics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .. import _config as config, ops
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric
from .metrics_utils import AUCCurve, AUCSummationMethod
from .metrics import is_evenly_distributed_thresholds, update_confusion_matrix

if TYPE_CHECKING:
    from ..variables import Variable


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at ``num_thresholds`` thresholds.

    The counts are kept at thresholds evenly spaced over ``[0, 1]`` (the end points moved out by
    ``epsilon``) or at the given ``thresholds``, and the curve is summed as a Riemann sum (PR with
    ``"interpolation"`` uses Davis & Goadrich's interpolation).

    Args:
        num_thresholds: The number of thresholds (default 200), > 1; ignored when ``thresholds`` is given.
        curve: ``"ROC"`` (the default), ``"PR"`` or ``"PRGAIN"`` (case-insensitive), or an ``AUCCurve``;
            stored as ``self.curve``, an ``AUCCurve`` member (as in Keras; it also equals its string).
        summation_method: ``"interpolation"`` (the default: the mean of adjacent heights), ``"minoring"`` (the
            lower of them) or ``"majoring"`` (the higher), or an ``AUCSummationMethod``; stored as an
            ``AUCSummationMethod`` member.
        name: The metric's name (default: ``"auc"``, made unique).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        thresholds: Optional explicit thresholds in ``[0, 1]``; ``0 - epsilon`` and ``1 + epsilon`` are added
            at the ends, so ``num_thresholds`` becomes ``len(thresholds) + 2``.
        multi_label: If True, keep the counts per label (inputs of shape ``(batch, labels)``) and average the
            per-label AUCs; if False (the default), pool all labels into one curve.
        num_labels: The number of labels, to create the state at once with ``multi_label``; otherwise the
            state is created on the first update.
        label_weights: Optional per-label weights: with ``multi_label`` they weight the average of the
            per-label AUCs, otherwise they weight the counts.
        from_logits: Whether ``y_pred`` holds logits (a sigmoid is applied first).

    Raises:
        ValueError: For an unknown ``curve`` or ``summation_method``, ``num_thresholds <= 1``, or
            ``num_labels`` without ``multi_label``.
    """

    if TYPE_CHECKING:  # state variables, created (with setattr) once the input shape is known
        true_positives: Variable
        false_positives: Variable
        true_negatives: Variable
        false_negatives: Variable

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: str | None = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        curve = AUCCurve.from_str(curve)
        summation_method = AUCSummationMethod.from_str(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps] + list(thresholds) + [1.0 + eps])
        self.curve, self.summation_method = curve, summation_method
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = (
            None if label_weights is None else ops.convert_to_tensor(np.asarray(label_weights), self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}.")
            var_shape: tuple[int, ...] = (self.num_thresholds, int(shape[1]))
        else:
            var_shape = (self.num_thresholds,)
        for n in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, n, self.add_variable(var_shape, "zeros", name=n))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = ops.convert_to_tensor(y_pred)
        if not self._built:
            self._build(ops.shape(y_pred))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def _by_label(self, terms: Any) -> Any:
        if not self.multi_label:
            return ops.sum(terms)
        by_label = ops.sum(terms, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label)
        return ops.divide_no_nan(ops.sum(ops.multiply(by_label, self.label_weights)), ops.sum(self.label_weights))

    def interpolate_pr_auc(self) -> Any:
        """PR-AUC with Davis & Goadrich's interpolation between thresholds."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = ops.subtract(tp[: n - 1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[: n - 1], p[1:])
        slope = ops.divide_no_nan(dtp, ops.maximum(dp, 0))
        intercept = ops.subtract(tp[1:], ops.multiply(slope, p[1:]))
        ratio = ops.where(
            ops.logical_and(ops.greater(p[: n - 1], 0), ops.greater(p[1:], 0)),
            ops.divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0)),
            ops.ones_like(p[1:]),
        )
        inc = ops.divide_no_nan(
            ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0),
        )
        return self._by_label(inc)

    def result(self) -> Any:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = ops.divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = ops.divide_no_nan(fp, ops.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, ops.divide_no_nan(tp, ops.add(tp, fp))
        else:
            scale = ops.divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            rg = ops.subtract(1.0, ops.multiply(scale, ops.divide_no_nan(fn, tp)))
            pg = ops.subtract(1.0, ops.multiply(scale, ops.divide_no_nan(fp, tp)))
            zero = ops.equal(tp, 0.0)
            x = ops.maximum(ops.where(zero, ops.zeros_like(rg), rg), 0.0)
            y = ops.where(zero, ops.ones_like(pg), pg)
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[: n - 1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        return self._by_label(ops.multiply(ops.subtract(x[: n - 1], x[1:]), heights))

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        lw = self.label_weights
        cfg = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if lw is None else ops.convert_to_numpy(lw).tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            cfg["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return cfg


class FBetaScore(Metric):
    """F-beta score over (batch, classes) inputs; ``average`` None/"micro"/"macro"/"weighted".

    Per class, ``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``, from weighted true
    positive, false positive and false negative counts. Inputs must be 2-D, ``(batch_size, num_classes)``.

    Args:
        average: None (the default) for one score per class; ``"micro"`` pools the counts of all classes;
            ``"macro"`` averages the per-class scores; ``"weighted"`` averages them weighted by each class's
            number of true instances.
        beta: The weight of recall relative to precision; a Python float > 0 (default 1.0).
        threshold: Predictions above it count as positive; None (the default) takes each sample's highest
            prediction (ties included) as its positive class. A Python float in ``(0, 1]``.
        name: The metric's name (default ``"fbeta_score"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an invalid ``average``, ``beta`` or ``threshold`` (and, on the first update,
            inputs that are not 2-D).
    """

    if TYPE_CHECKING:  # state variables, created (with setattr) once the input shape is known
        true_positives: Variable
        false_positives: Variable
        false_negatives: Variable
        intermediate_weights: Variable

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: str | None = None,
    ):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if not 0.0 < threshold <= 1.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        super().__init__(name=name, dtype=dtype)
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape: tuple, pred_shape: tuple) -> None:
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim), with "
                f"output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        shape = () if self.average == "micro" else (int(pred_shape[-1]),)
        for n in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, n, self.add_variable(shape, "zeros", self.dtype, name=n))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        if not self._built:
            self._build(ops.shape(y_true), ops.shape(y_pred))
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            y_pred = ops.logical_and(ops.greater_equal(y_pred, top), ops.greater(ops.abs(y_pred), 1e-9))
        else:
            y_pred = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.expand_dims(ops.convert_to_tensor(sample_weight, self.dtype), 1)

        def wsum(val: Any) -> Any:
            if sample_weight is not None:
                val = ops.multiply(val, sample_weight)
            return ops.sum(val, axis=self.axis)

        self.true_positives.assign_add(wsum(ops.multiply(y_pred, y_true)))
        self.false_positives.assign_add(wsum(ops.multiply(y_pred, ops.subtract(1, y_true))))
        self.false_negatives.assign_add(wsum(ops.multiply(ops.subtract(1, y_pred), y_true)))
        self.intermediate_weights.assign_add(wsum(y_true))

    def result(self) -> Any:
        eps = config.epsilon()
        tp = self.true_positives.value
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives.value), eps))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives.value), eps))
        b2 = self.beta**2
        mean = ops.divide(ops.multiply(precision, recall), ops.add(ops.add(ops.multiply(b2, precision), recall), eps))
        f = ops.multiply(mean, 1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.value
            f = ops.sum(ops.multiply(f, ops.divide(w, ops.add(ops.sum(w), eps))))
        elif self.average is not None:
            f = ops.mean(f)
        return f

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F-1 score (``FBetaScore`` with ``beta=1``).

    Args:
        average: None (the default) for one score per class, or ``"micro"``, ``"macro"`` or ``"weighted"``
            (see :class:`FBetaScore`).
        threshold: Predictions above it count as positive; None (the default) takes each sample's highest
            prediction as its positive class. A Python float in ``(0, 1]``.
        name: The metric's name (default ``"f1_score"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an invalid ``average`` or ``threshold``.
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: str | None = None,
    ):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("beta", None)
        return cfg


class R2Score(Metric):
    """Coefficient of determination over (batch, outputs) inputs.

    Per output, ``1 - SS_res / SS_tot`` from weighted sums over all samples seen. kshim decides the
    ``num_regressors`` adjustment inside the computation rather than in Python as Keras does, so the result
    stays traceable (the values are the same, without Keras' warnings).

    Args:
        class_aggregation: How to combine the per-output scores: ``"uniform_average"`` (the default, their
            mean), ``"variance_weighted_average"`` (weighted by each output's variance) or None (one score per
            output).
        num_regressors: The number of independent regressors, for the adjusted R2 (default 0: unadjusted).
            The adjustment is skipped while the sample count is not larger than ``num_regressors + 1``.
        name: The metric's name (default ``"r2_score"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an invalid ``class_aggregation`` or a negative ``num_regressors`` (and, on the first
            update, inputs that are not 2-D).
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: str | None = None,
    ):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                "(None, 'uniform_average', 'variance_weighted_average'). "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, true_shape: tuple, pred_shape: tuple) -> None:
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim fully "
                f"defined (not None). Received input shapes: y_pred.shape={pred_shape} and "
                f"y_true.shape={true_shape}."
            )
        n = (int(pred_shape[-1]),)
        self.squared_sum = self.add_variable(n, "zeros", name="squared_sum")
        self.sum = self.add_variable(n, "zeros", name="sum")
        self.total_mse = self.add_variable(n, "zeros", name="residual")
        self.count = self.add_variable(n, "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(ops.shape(y_true), ops.shape(y_pred))
        sw = ops.convert_to_tensor(1 if sample_weight is None else sample_weight, self.dtype)
        if len(ops.shape(sw)) == 1:
            sw = ops.expand_dims(sw, 1)
        sw = ops.broadcast_to(sw, ops.shape(y_true))
        wy = ops.multiply(y_true, sw)
        self.sum.assign_add(ops.sum(wy, axis=0))
        self.squared_sum.assign_add(ops.sum(ops.multiply(y_true, wy), axis=0))
        self.total_mse.assign_add(ops.sum(ops.multiply(ops.square(ops.subtract(y_true, y_pred)), sw), axis=0))
        self.count.assign_add(ops.sum(sw, axis=0))
        self.num_samples.assign_add(ops.cast(ops.size(y_true), self.dtype))

    def result(self) -> Any:
        mean = ops.divide(self.sum.value, self.count.value)
        total = ops.subtract(self.squared_sum.value, ops.multiply(self.sum.value, mean))
        raw = ops.subtract(1, ops.divide(self.total_mse.value, total))
        raw = ops.where(ops.isinf(raw), ops.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = ops.divide(ops.sum(ops.multiply(total, raw)), ops.sum(total))
        else:
            r2 = raw
        if self.num_regressors != 0:
            # NOTE: Keras compares against num_samples in Python (a host sync); here the check is traceable.
            n = ops.cast(self.num_samples.value, "float32")
            p = float(self.num_regressors)
            adjusted = ops.subtract(
                1.0,
                ops.divide(
                    ops.multiply(ops.subtract(1.0, r2), ops.subtract(n, 1.0)), ops.subtract(ops.subtract(n, p), 1.0)
                ),
            )
            r2 = ops.where(
                ops.greater(p, ops.subtract(n, 1.0)), r2, ops.where(ops.equal(p, ops.subtract(n, 1.0)), r2, adjusted)
            )
        return r2

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
