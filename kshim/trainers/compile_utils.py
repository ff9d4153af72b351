"""Resolving ``compile(loss=..., metrics=...)`` against the model's outputs."""

from __future__ import annotations

from typing import Any

import optree

from .. import ops
from ..metrics.metric import Metric


def _flat(x: Any) -> list:
    return optree.tree_leaves(x, namespace="kshim")


def match_outputs(spec: Any, output_names: list[str], what: str) -> list:
    """Per-output list from a single object, a list/tuple, or a dict keyed by output names."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"compile({what}=...): keys {unknown} do not match the model's output names {output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ValueError(
                f"compile({what}=...): got {len(spec)} entries for a model with {n} outputs {output_names}."
            )
        return list(spec)
    if isinstance(spec, (list, tuple)) and n == 1 and what == "loss" and len(spec) == 1:
        return list(spec)
    return [spec] * n


def _as_loss(identifier: Any) -> Any:
    """A Loss object; plain functions (e.g. from the string "mse") get Keras' wrapper. ``"crossentropy"``
    / ``"ce"`` (any case) pick binary, sparse categorical or categorical crossentropy from the shapes of
    the first batch, as Keras' ``compile`` does (``losses.get`` refuses them, in Keras too)."""
    from .. import losses

    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        return _AutoCrossentropy(identifier)
    fn = losses.get(identifier)
    assert fn is not None  # identifier is not None here (outputs without a loss are skipped before)
    if isinstance(fn, losses.Loss):
        return fn
    name = identifier if isinstance(identifier, str) else getattr(fn, "__name__", "loss")
    return losses.LossFunctionWrapper(fn, name=name)


def _crossentropy_for(y_true: Any, y_pred: Any) -> Any:
    """Keras' choice for ``loss="crossentropy"``: binary when ``y_pred`` has one unit, sparse
    categorical when the labels have a lower rank (or one column against several), else categorical."""
    from .. import losses

    ts, ps = ops.shape(y_true), ops.shape(y_pred)
    if ps[-1] == 1:
        return losses.binary_crossentropy
    if len(ts) < len(ps) or ts[-1] == 1 and ps[-1] > 1:
        return losses.sparse_categorical_crossentropy
    return losses.categorical_crossentropy


class _AutoCrossentropy:
    """``loss="crossentropy"``: the crossentropy the first batch's shapes call for (see above), wrapped
    as Keras wraps a loss function; the choice is kept for later batches."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loss: Any = None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if self._loss is None:
            from .. import losses

            self._loss = losses.LossFunctionWrapper(_crossentropy_for(y_true, y_pred), name=self.name)
        return self._loss(y_true, y_pred, sample_weight=sample_weight)


class CompileLoss:
    """Weighted sum of one loss per output; also reports per-output losses."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]):
        self.output_names = output_names
        per = match_outputs(loss, output_names, "loss")
        self.losses = [None if l is None else _as_loss(l) for l in per]
        if all(l is None for l in self.losses):
            raise ValueError("compile(loss=...) is required to train: pass a loss name, function or object.")
        if loss_weights is None:
            self.weights = [1.0] * len(output_names)
        else:
            self.weights = [
                1.0 if w is None else float(w) for w in match_outputs(loss_weights, output_names, "loss_weights")
            ]
        self.spec = loss

    def __call__(self, y_true: list, y_pred: list, sample_weight: list) -> tuple[Any, list]:
        total = None
        parts: list[Any] = []
        for fn, w, yt, yp, sw in zip(self.losses, self.weights, y_true, y_pred, sample_weight):
            if fn is None or yt is None:
                parts.append(None)
                continue
            value = fn(yt, yp, sample_weight=sw)
            if len(ops.shape(value)) != 0:
                raise ValueError(
                    f"The loss {getattr(fn, 'name', fn)!r} returned a tensor of shape "
                    f"{ops.shape(value)}; a loss must reduce to a scalar."
                )
            parts.append(value)
            value = ops.multiply(value, w) if w != 1.0 else value
            total = value if total is None else ops.add(total, value)
        return total, parts


def resolve_metric(identifier: Any, loss_fn: Any, y_true: Any, y_pred: Any) -> Any:
    """Turn a metric identifier into a Metric, resolving "accuracy"/"crossentropy" like Keras."""
    from .. import metrics

    if isinstance(identifier, str) and identifier in ("accuracy", "acc", "crossentropy", "ce"):
        loss_name = getattr(loss_fn, "name", None) or getattr(loss_fn, "__name__", "") or ""
        yt_shape, yp_shape = ops.shape(y_true), ops.shape(y_pred)
        is_binary = (yp_shape[-1] == 1 if yp_shape else True) or "binary" in loss_name
        is_sparse = (
            len(yt_shape) < len(yp_shape)
            or (yt_shape and yt_shape[-1] == 1 and yp_shape[-1] > 1)
            or "sparse" in loss_name
        )
        if identifier in ("accuracy", "acc"):
            cls = (
                metrics.BinaryAccuracy
                if is_binary
                else (metrics.SparseCategoricalAccuracy if is_sparse else metrics.CategoricalAccuracy)
            )
        else:
            cls = (
                metrics.BinaryCrossentropy
                if is_binary
                else (metrics.SparseCategoricalCrossentropy if is_sparse else metrics.CategoricalCrossentropy)
            )
        return cls(name=identifier)
    m = metrics.get(identifier)
    assert m is not None  # identifier is not None here (metrics.get(None) is the only None)
    if isinstance(m, metrics.Metric):
        if isinstance(identifier, str):
            m.name = identifier
        return m
    name = identifier if isinstance(identifier, str) else getattr(m, "__name__", "metric")
    return metrics.MeanMetricWrapper(m, name=name)


class CompileMetrics(Metric):
    """The metrics of ``compile(metrics=..., weighted_metrics=...)`` as one metric named
    ``compile_metrics`` (as in Keras 3): per-output metric objects, built on the first batch
    (shapes decide what "accuracy" means); ``result()`` is a dict keyed by log names."""

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: list[str]):
        super().__init__(name="compile_metrics")
        self.output_names = output_names
        self.spec = metrics
        self.weighted_spec = weighted_metrics
        self.built = False
        self.entries: list[tuple[int, Any, bool, str]] = []  # (output index, metric, weighted, log name)

    def build(self, y_true: list, y_pred: list, loss_fns: list) -> None:
        multi = len(self.output_names) > 1
        for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
            if spec is None:
                continue
            per = match_outputs(spec, self.output_names, "metrics")
            for i, ms in enumerate(per):
                if ms is None:
                    continue
                ms = ms if isinstance(ms, (list, tuple)) else [ms]
                for m in ms:
                    metric = resolve_metric(m, loss_fns[i], y_true[i], y_pred[i])
                    name = metric.name if not weighted or not isinstance(m, str) else f"weighted_{metric.name}"
                    if multi:
                        name = f"{self.output_names[i]}_{name}"
                    self.entries.append((i, metric, weighted, name))
        self._metrics = [m for _, m, _, _ in self.entries]
        self.built = True

    @property
    def metrics(self) -> list:
        return [m for _, m, _, _ in self.entries]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Update every compiled metric from the model's targets and predictions (any structure)."""
        yt, yp, sws = align_outputs(self.output_names, y_pred, y_true, sample_weight)
        if not self.built:  # a custom step's first (eager) call; no loss to guide "accuracy"
            self.build(yt, yp, [None] * len(yp))
        self.update_aligned(yt, yp, sws)

    def update_aligned(self, yt: list, yp: list, sws: list) -> None:
        """``update_state`` on per-output lists."""
        for i, metric, weighted, _ in self.entries:
            if yt[i] is None:
                continue
            metric.update_state(yt[i], yp[i], sample_weight=sws[i] if weighted else None)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def result(self) -> dict:
        out = {}
        for _, metric, _, name in self.entries:
            r = metric.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[name] = r
        return out


def _as_list(struct: Any, n: int) -> list:
    if struct is None:
        return [None] * n
    if n == 1 and not (isinstance(struct, (list, tuple)) and len(struct) == 1):
        return [struct]
    if isinstance(struct, dict):
        return list(struct.values())
    return list(struct)


def align_outputs(names: list[str], y_pred: Any, y: Any, sw: Any) -> tuple[list, list, list]:
    """Per-output lists ``(y_true, y_pred, sample_weight)`` in the order of ``names``."""
    if isinstance(y_pred, dict):
        yp = [y_pred[k] for k in names]
    else:
        yp = _as_list(y_pred, len(names))
    yt = [y.get(k) for k in names] if isinstance(y, dict) else _as_list(y, len(names))
    if isinstance(sw, dict):
        sws = [sw.get(k) for k in names]
    elif isinstance(sw, (list, tuple)) and len(names) > 1:
        sws = list(sw)
    else:
        sws = [sw] * len(names)
    return yt, yp, sws
