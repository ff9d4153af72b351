"""``TrainingEngine``: the trainer object a model owns (``model._engine``).

What owns what. ``Model`` (through the ``Trainer`` mixin) keeps Keras' public surface and the
settings users read and set on it: ``compile``/``fit``/``evaluate``/``predict``, the ``*_on_batch``
methods, the overridable ``train_step``/``test_step``/``predict_step``/``compute_loss``/
``compute_metrics``, ``metrics``, ``compiled``, ``history``, ``stop_training``, ``run_eagerly``,
``jit_compile`` and ``steps_per_execution``; it delegates everything else here. ``Model.compile``
builds a new ``TrainingEngine`` from the model, its ``CompileLoss``, ``CompileMetrics``, optimizer
and ``CompileOptions`` (the compile call's arguments as one value); the engine creates the loss
trackers. A model that was never compiled holds an engine without them (``predict`` runs through
it). ``model.optimizer`` reads and sets the engine's optimizer. The engine owns the cache of
compiled step functions (``fns``), the variable lists of a loop call (``state_lists``), writing step
results back (always through :func:`~kshim.trainers.write_back.write_values`), building the model,
optimizer and metrics on the first batch (``build_for``), the dispatch to a model's own step
(``custom``, :class:`~kshim.trainers.custom_step.CustomStep`) and the three pure steps, built by
:class:`~kshim.trainers.step.StepFunctions` from the engine. ``fit_loop.py`` runs the epoch and
batch loops and calls the engine's ``train_batch``/``test_batch``/``predict_batch``. The
distribution runtime (``kshim.distribution.runtime``) takes over a batch when a distribution is
set, using the same engine members. This engine is also the seam for custom-step work: a model's
own step is one of its per-mode entries (``custom_steps``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optree

from .. import ops
from .._scope import StatelessScope
from ..backend import current
from ..backends._base import DTYPES
from ..distribution import runtime as dist_runtime
from ..distribution.strategies import distribution
from ..layers.layer import Layer
from .compile_utils import CompileLoss, CompileMetrics
from .custom_step import CustomStep, pack_x_y_sample_weight, uses_builtin_steps
from .options import CompileOptions
from .step import StepFunctions
from .write_back import write_values


def _is_text(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "USO"  # raw strings stay on the host


def _to_tensors(struct: Any) -> Any:
    return optree.tree_map(
        lambda a: a if _is_text(a) else ops.convert_to_tensor(a), struct, none_is_leaf=False, namespace="kshim"
    )


def _host_or_tensor(a: Any) -> Any:
    return a if type(a) is np.ndarray and (a.dtype.name in DTYPES or _is_text(a)) else ops.convert_to_tensor(a)


def _step_inputs(struct: Any, jitted: bool) -> Any:
    """Batch leaves for a step function. A jitted step of a backend whose compiled functions take
    NumPy arrays directly (``jit_takes_host_arrays``: jax, which transfers them inside its C++
    dispatch) gets them unconverted -- a separate conversion per leaf costs more than a tiny step."""
    if jitted and current().jit_takes_host_arrays:
        return optree.tree_map(_host_or_tensor, struct, none_is_leaf=False, namespace="kshim")
    return _to_tensors(struct)


def _trainer_base() -> type:
    from .trainer import Trainer  # the mixin whose step hooks are the built-in ones

    return Trainer


class TrainingEngine:
    """The compile state and batch runners of one model (see the module docstring).

    Args:
        model: The model this engine trains.
        loss: Its compiled loss (``None``: no loss given to ``compile``, or not compiled).
        metrics: Its compiled metrics (``None`` when not compiled).
        optimizer: Its optimizer instance (``None`` when not compiled).
        options: The ``compile`` call's arguments; ``None`` for a model that was never compiled
            (then no loss trackers are created).
    """

    def __init__(
        self,
        model: Any,
        loss: CompileLoss | None = None,
        metrics: CompileMetrics | None = None,
        optimizer: Any = None,
        options: CompileOptions | None = None,
    ) -> None:
        self.model = model
        self.compile_loss = loss
        self.compile_metrics = metrics
        self.optimizer = optimizer
        self.options = options
        self.loss_tracker: Any = None
        self.output_loss_trackers: list = []
        if options is not None:
            from .. import metrics as metrics_mod

            names = model._output_names()
            self.loss_tracker = metrics_mod.Mean(name="loss")
            if len(names) > 1:
                self.output_loss_trackers = [metrics_mod.Mean(name=f"{n}_loss") for n in names]
        self.fns: dict[tuple, Any] = {}  # compiled step functions, by (kind, backend, jit[, plan])
        self.state_cache: tuple | None = None  # the variable lists of the current loop call
        self.custom_steps: dict[str, CustomStep] = {}
        self.builtin_steps: bool | None = None  # whether the model runs the built-in steps (per loop call)
        self.layers_support_jit: bool | None = None
        self.last_logs: Any = None  # what a model's own step returned last (None: built-in steps)

    # ---- settings ------------------------------------------------------------------------
    def use_jit(self) -> bool:
        """Whether steps are compiled: the model's ``run_eagerly``/``jit_compile`` on this backend."""
        m = self.model
        if m.run_eagerly:
            return False
        b = current()
        if m.jit_compile == "auto":
            # Keras: a layer with ``supports_jit = False`` (the string preprocessing layers) turns "auto" off
            layers_ok = self.layers_support_jit
            if layers_ok is None:  # walked once per compile
                layers_ok = self.layers_support_jit = all(getattr(l, "supports_jit", True) for l in m._flatten_layers())
            return b.supports_jit and layers_ok
        return bool(m.jit_compile)

    # ---- variable groups -----------------------------------------------------------------
    def state_lists(self) -> tuple:
        """(trainable, non-trainable, optimizer, metric) variable lists, cached during a loop call
        (walking the layer tree on every step is measurable per-step overhead)."""
        c = self.state_cache
        if c is None:
            m = self.model
            opt = self.optimizer
            ov = list(opt.variables) if opt is not None and getattr(opt, "built", False) else []
            c = self.state_cache = (
                m.trainable_variables,
                m.non_trainable_variables,
                ov,
                m.metrics_variables if m.compiled else [],
            )
        return c

    def invalidate_state(self) -> None:
        self.state_cache = None
        self.builtin_steps = None

    def apply_constraints(self, values: list) -> list:
        tv = self.state_lists()[0]
        out = []
        for v, val in zip(tv, values):
            c = getattr(v, "constraint", None)
            out.append(c(val) if c is not None else val)
        return out

    # ---- building ------------------------------------------------------------------------
    def build_for(self, x: Any, y: Any) -> None:
        """Create variables (forward pass on the first batch) and resolve compiled metrics.
        Does nothing once the model, optimizer and metrics are built."""
        m = self.model
        cm = self.compile_metrics
        metrics_pending = cm is not None and not cm.built and y is not None
        opt_pending = m.compiled and self.optimizer is not None and not getattr(self.optimizer, "built", False)
        if m.built and not metrics_pending and not opt_pending:
            return
        self.invalidate_state()
        y_pred = None
        if type(m).call is Layer.call and not uses_builtin_steps(m, _trainer_base()):
            # A model with its own step and no `call` (a GAN holding its sub-models) is not run
            # here: its step runs eagerly first and builds what it uses.
            m.built = m.built or all(l.built for l in m._flatten_layers(include_self=False))
            metrics_pending = False
        if not m.built or metrics_pending:
            with StatelessScope(record_all=True, collect_losses=True):
                y_pred = m(_to_tensors(x), training=False)
        if opt_pending:
            self.optimizer.build(m.trainable_variables)
        if metrics_pending and cm is not None:  # (metrics_pending implies cm is not None)
            steps = StepFunctions(self)
            yt, yp, _ = steps._outputs(y_pred, _to_tensors(y), None)
            cm.build(yt, yp, self.compile_loss.losses if self.compile_loss else [None] * len(yp))
            # Some metrics (R2Score, F1Score, ...) create their state on the first update: do it
            # eagerly here, outside any traced step, then reset.
            for i, metric, _, _ in cm.entries:
                if yt[i] is not None:
                    metric.update_state(yt[i], yp[i])
                    metric.reset_state()
        self.invalidate_state()

    def fn(self, kind: str) -> Any:
        """The (compiled) pure step for ``kind`` (``"train"``, ``"test"``, ``"predict"``), cached."""
        m = self.model
        dplan = dist_runtime.plan(m)  # kshim.distribution: the sharded jit (jax), eager steps (torch)
        key: tuple = (kind, current().name, self.use_jit())
        if dplan is not None:
            key += (id(dplan),)
        fn = self.fns.get(key)  # read after `plan`, which empties the cache when it makes a new plan
        if fn is None:
            steps = StepFunctions(self)
            raw = {"train": steps.train_step, "test": steps.test_step, "predict": steps.predict_step}[kind]
            donate = (0,) if kind == "train" else ()
            if dplan is not None:  # kshim.distribution hook
                fn = dplan.jit(m, kind, raw, donate) if self.use_jit() and hasattr(dplan, "jit") else raw
            else:
                fn = current().jit(raw, donate_argnums=donate) if self.use_jit() else raw
            self.fns[key] = fn
        return fn

    # ---- single steps ---------------------------------------------------------------------
    def custom(self, kind: str) -> CustomStep | None:
        """The model's own step for ``kind`` when it overrides a step hook, else None (decided
        once per loop call: the check walks the layers)."""
        builtin = self.builtin_steps
        if builtin is None:
            builtin = self.builtin_steps = uses_builtin_steps(self.model, _trainer_base())
        if builtin:
            return None
        step = self.custom_steps.get(kind)
        if step is None:
            step = self.custom_steps[kind] = CustomStep(self.model, kind)
        return step

    def train_batch(self, batch: tuple) -> Any:
        """One training step on ``(x, y, sample_weight)``; writes the new state back, returns the loss
        (or a model's own step's logs)."""
        if distribution() is not None:  # kshim.distribution hook: placed state, sharded batch
            return dist_runtime.run_step(self.model, "train", batch)
        custom = self.custom("train")
        if custom is not None:
            self.last_logs = custom(_step_inputs(pack_x_y_sample_weight(*batch), self.use_jit()))
            return self.last_logs
        self.last_logs = None
        x, y, sw = batch
        tv, ntv, ov, mv = self.state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv], [v.value for v in ov], [v.value for v in mv])
        batch = _step_inputs((x, y, sw), self.use_jit())
        (tv_new, ntv_new, ov_new, mv_new), loss = self.fn("train")(state, batch)
        write_values(tv, tv_new)
        write_values(ntv, ntv_new)
        write_values(ov, ov_new)
        write_values(mv, mv_new)
        return loss

    def test_batch(self, batch: tuple) -> Any:
        """One evaluation step on ``(x, y, sample_weight)``; writes the metric state back."""
        if distribution() is not None:  # kshim.distribution hook
            return dist_runtime.run_step(self.model, "test", batch)
        custom = self.custom("test")
        if custom is not None:
            self.last_logs = custom(_step_inputs(pack_x_y_sample_weight(*batch), self.use_jit()))
            return self.last_logs
        self.last_logs = None
        x, y, sw = batch
        tv, ntv, _, mv = self.state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv], [v.value for v in mv])
        with current().inference_context():
            mv_new, loss = self.fn("test")(state, _step_inputs((x, y, sw), self.use_jit()))
        write_values(mv, mv_new)
        return loss

    def predict_batch(self, x: Any) -> Any:
        """The model's outputs (backend tensors) for one batch of inputs."""
        if distribution() is not None:  # kshim.distribution hook
            return dist_runtime.run_step(self.model, "predict", x)
        custom = self.custom("predict")
        if custom is not None:
            return custom(_step_inputs(pack_x_y_sample_weight(x), self.use_jit()))
        tv, ntv, _, _ = self.state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv])
        with current().inference_context():
            return self.fn("predict")(state, _step_inputs(x, self.use_jit()))

    # ---- logs --------------------------------------------------------------------------------
    def step_logs(self) -> dict:
        """The logs callbacks get: the metrics, or what the model's own step returned when its
        keys differ from the metrics' (Keras' ``_get_metrics_result_or_logs``)."""
        metric_logs = self.model.get_metrics_result()
        logs = self.last_logs
        if not isinstance(logs, dict) or set(logs) == set(metric_logs):
            return metric_logs
        return _pythonify_logs(logs)

    def ordered_results(self, logs: dict) -> list:
        """The values of ``logs`` in Keras' order for list results: loss, per-output losses, metrics."""
        names = ["loss"] + [t.name for t in self.output_loss_trackers]
        names += [n for _, _, _, n in (self.compile_metrics.entries if self.compile_metrics else [])]
        return [logs[n] for n in names if n in logs]


def _to_float(v: Any) -> Any:
    """A metric result for the logs: a Python float, or a NumPy array for a vector result (e.g.
    ``Precision(thresholds=[0.3, 0.6])``), which Keras also keeps whole."""
    a = np.asarray(ops.convert_to_numpy(v))
    return float(a) if a.ndim == 0 else a


def _pythonify_logs(logs: dict) -> dict:
    """Nested dicts flattened, scalars as Python floats (others kept), keys sorted -- what Keras'
    callbacks receive from a custom step's logs."""
    out: dict = {}
    for k, v in sorted(logs.items()):
        if isinstance(v, dict):
            out.update(_pythonify_logs(v))
            continue
        try:
            out[k] = _to_float(v)
        except (TypeError, ValueError):
            out[k] = v
    return out


__all__ = ["TrainingEngine", "write_values"]
