"""``Trainer``: compile / fit / evaluate / predict and the ``*_on_batch`` methods (mixed into Model)."""
from __future__ import annotations

from typing import Any

import numpy as np
import optree

from .. import ops
from ..backends._base import DTYPES
from .._scope import StatelessScope
from ..backend import current
from ..distribution import runtime as dist_runtime
from ..distribution.strategies import distribution
from ..layers.layer import Layer
from .compile_utils import CompileLoss, CompileMetrics
from .custom_step import CustomStep, pack_x_y_sample_weight, uses_builtin_steps
from .data_adapter import DataHandler, train_validation_split, unpack
from .gradients import value_and_grad
from .options import EvaluateOptions, FitOptions, PredictOptions
from .step import StepFunctions


def _is_text(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "USO"  # raw strings stay on the host


def _to_tensors(struct: Any) -> Any:
    return optree.tree_map(lambda a: a if _is_text(a) else ops.convert_to_tensor(a), struct, none_is_leaf=False,
                           namespace="kshim")


def _host_or_tensor(a: Any) -> Any:
    return a if type(a) is np.ndarray and (a.dtype.name in DTYPES or _is_text(a)) else ops.convert_to_tensor(a)


def _step_inputs(struct: Any, jitted: bool) -> Any:
    """Batch leaves for a step function. A jitted step of a backend whose compiled functions take
    NumPy arrays directly (``jit_takes_host_arrays``: jax, which transfers them inside its C++
    dispatch) gets them unconverted -- a separate conversion per leaf costs more than a tiny step."""
    if jitted and current().jit_takes_host_arrays:
        return optree.tree_map(_host_or_tensor, struct, none_is_leaf=False, namespace="kshim")
    return _to_tensors(struct)


class Trainer:
    """Training features of ``Model``; one pure step for all backends (see ``step.py``)."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._output_loss_trackers: list = []
        self._fns: dict[str, Any] = {}
        self._compile_config: dict | None = None
        self.run_eagerly = False
        self.jit_compile: Any = "auto"
        self.steps_per_execution = 1
        self._state_cache: tuple | None = None
        self._custom_steps: dict[str, CustomStep] = {}
        self._last_logs: Any = None  # what a model's own step returned last (None: built-in steps)

    # ---- compile -------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None, metrics: Any = None,
                weighted_metrics: Any = None, run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True) -> None:
        """Configure the model for training (Keras 3 arguments)."""
        from .. import metrics as metrics_mod
        from .. import optimizers
        self.optimizer = optimizers.get(optimizer)
        names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names)
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._output_loss_trackers = [metrics_mod.Mean(name=f"{n}_loss") for n in names] if len(names) > 1 else []
        if int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be >= 1, got {steps_per_execution}.")
        self.steps_per_execution = int(steps_per_execution)
        self.run_eagerly = bool(run_eagerly)
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"jit_compile must be 'auto', True or False, got {jit_compile!r}.")
        self.jit_compile = jit_compile
        self._fns = {}
        self.__dict__.pop("_layers_support_jit", None)
        self._custom_steps = {}
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics,
                                "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile}
        self.compiled = True

    def _output_names(self) -> list[str]:
        outs = getattr(self, "_outputs", None)
        if outs and len(outs) > 1:
            if isinstance(getattr(self, "_outputs_struct", None), dict):
                return list(self._outputs_struct.keys())
            return [t._history[0].layer.name for t in outs]
        return ["output"]

    @property
    def output_names(self) -> list[str]:
        return self._output_names()

    def _assert_compiled(self, what: str) -> None:
        if not self.compiled:
            from .._errors import NotCompiledError  # ValueError as in Keras, and RuntimeError as before
            raise NotCompiledError(f"You must call compile() on model {self.name!r} before calling {what}().")

    def _use_jit(self) -> bool:
        if self.run_eagerly:
            return False
        b = current()
        if self.jit_compile == "auto":
            # Keras: a layer with ``supports_jit = False`` (the string preprocessing layers) turns "auto" off
            layers_ok = self.__dict__.get("_layers_support_jit")
            if layers_ok is None:  # walked once per compile
                layers_ok = all(getattr(l, "supports_jit", True) for l in self._flatten_layers())
                self.__dict__["_layers_support_jit"] = layers_ok
            return b.supports_jit and layers_ok
        return bool(self.jit_compile)

    # ---- variable groups -----------------------------------------------------------------
    def _user_metrics(self) -> list:
        """Metrics assigned as attributes of the model or of its layers (not of nested models)."""
        out = list(self.__dict__.get("_metrics", []))
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):
                out += layer.__dict__.get("_metrics", [])
        return out

    @property
    def metrics(self) -> list:
        """Keras 3's order: the loss tracker, the compiled metrics (one ``compile_metrics`` object),
        the per-output loss trackers, then metrics tracked as attributes of the model and its layers."""
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            out += self._output_loss_trackers
        return out + self._user_metrics()

    @property
    def metrics_variables(self) -> list:
        """The variables of ``self.metrics``, in order (Keras' ``metrics_variables``)."""
        return [v for m in self.metrics for v in m.variables]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def _state_lists(self) -> tuple:
        """(trainable, non-trainable, optimizer, metric) variable lists, cached during a loop call
        (walking the layer tree on every step is measurable per-step overhead)."""
        c = self._state_cache
        if c is None:
            opt = self.optimizer
            ov = list(opt.variables) if opt is not None and getattr(opt, "built", False) else []
            c = self._state_cache = (self.trainable_variables, self.non_trainable_variables, ov,
                                     self.metrics_variables if self.compiled else [])
        return c

    def _invalidate_state(self) -> None:
        self._state_cache = None
        self._builtin_steps = None

    def _apply_constraints(self, values: list) -> list:
        tv = self._state_lists()[0]
        out = []
        for v, val in zip(tv, values):
            c = getattr(v, "constraint", None)
            out.append(c(val) if c is not None else val)
        return out

    def _write_back(self, variables: list, values: list) -> None:
        for v, val in zip(variables, values):
            v._value = val

    # ---- building ------------------------------------------------------------------------
    def _build_for(self, x: Any, y: Any) -> None:
        """Create variables (forward pass on the first batch) and resolve compiled metrics.
        Does nothing once the model, optimizer and metrics are built."""
        metrics_pending = self._compile_metrics is not None and not self._compile_metrics.built and y is not None
        opt_pending = self.compiled and self.optimizer is not None and not getattr(self.optimizer, "built", False)
        if self.built and not metrics_pending and not opt_pending:
            return
        self._invalidate_state()
        y_pred = None
        if type(self).call is Layer.call and not uses_builtin_steps(self, Trainer):
            # A model with its own step and no `call` (a GAN holding its sub-models) is not run
            # here: its step runs eagerly first and builds what it uses.
            self.built = self.built or all(l.built for l in self._flatten_layers(include_self=False))
            metrics_pending = False
        if not self.built or metrics_pending:
            with StatelessScope(record_all=True, collect_losses=True):
                y_pred = self(_to_tensors(x), training=False)
        if opt_pending:
            self.optimizer.build(self.trainable_variables)
        if metrics_pending:
            steps = StepFunctions(self)
            yt, yp, _ = steps._outputs(y_pred, _to_tensors(y), None)
            self._compile_metrics.build(yt, yp, self._compile_loss.losses if self._compile_loss else [None] * len(yp))
            # Some metrics (R2Score, F1Score, ...) create their state on the first update: do it
            # eagerly here, outside any traced step, then reset.
            for i, metric, _, _ in self._compile_metrics.entries:
                if yt[i] is not None:
                    metric.update_state(yt[i], yp[i])
                    metric.reset_state()
        self._invalidate_state()

    def _fn(self, kind: str) -> Any:
        dplan = dist_runtime.plan(self)  # kshim.distribution: the sharded jit (jax), eager steps (torch)
        key = (kind, current().name, self._use_jit())
        if dplan is not None:
            key += (id(dplan),)
        fn = self._fns.get(key)
        if fn is None:
            steps = StepFunctions(self)
            raw = {"train": steps.train_step, "test": steps.test_step, "predict": steps.predict_step}[kind]
            donate = (0,) if kind == "train" else ()
            if dplan is not None:  # kshim.distribution hook
                fn = dplan.jit(self, kind, raw, donate) if self._use_jit() and hasattr(dplan, "jit") else raw
            else:
                fn = current().jit(raw, donate_argnums=donate) if self._use_jit() else raw
            self._fns[key] = fn
        return fn

    # ---- single steps ---------------------------------------------------------------------
    def _custom(self, kind: str) -> CustomStep | None:
        """The model's own step for ``kind`` when it overrides a step hook, else None (decided
        once per loop call: the check walks the layers)."""
        builtin = self.__dict__.get("_builtin_steps")
        if builtin is None:
            builtin = self._builtin_steps = uses_builtin_steps(self, Trainer)
        if builtin:
            return None
        step = self._custom_steps.get(kind)
        if step is None:
            step = self._custom_steps[kind] = CustomStep(self, kind)
        return step

    def _train_batch(self, batch: tuple) -> Any:
        if distribution() is not None:  # kshim.distribution hook: placed state, sharded batch
            return dist_runtime.run_step(self, "train", batch)
        custom = self._custom("train")
        if custom is not None:
            self._last_logs = custom(_step_inputs(pack_x_y_sample_weight(*batch), self._use_jit()))
            return self._last_logs
        self._last_logs = None
        x, y, sw = batch
        tv, ntv, ov, mv = self._state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv], [v.value for v in ov], [v.value for v in mv])
        batch = _step_inputs((x, y, sw), self._use_jit())
        (ntv_vals, ntv_new, ov_new, mv_new), loss = self._fn("train")(state, batch)
        self._write_back(tv, ntv_vals)
        self._write_back(ntv, ntv_new)
        self._write_back(ov, ov_new)
        self._write_back(mv, mv_new)
        return loss

    def _test_batch(self, batch: tuple) -> Any:
        if distribution() is not None:  # kshim.distribution hook
            return dist_runtime.run_step(self, "test", batch)
        custom = self._custom("test")
        if custom is not None:
            self._last_logs = custom(_step_inputs(pack_x_y_sample_weight(*batch), self._use_jit()))
            return self._last_logs
        self._last_logs = None
        x, y, sw = batch
        tv, ntv, _, mv = self._state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv], [v.value for v in mv])
        mv_new, loss = self._fn("test")(state, _step_inputs((x, y, sw), self._use_jit()))
        self._write_back(mv, mv_new)
        return loss

    def _predict_batch(self, x: Any) -> Any:
        if distribution() is not None:  # kshim.distribution hook
            return dist_runtime.run_step(self, "predict", x)
        custom = self._custom("predict")
        if custom is not None:
            return custom(_step_inputs(pack_x_y_sample_weight(x), self._use_jit()))
        tv, ntv, _, _ = self._state_lists()
        state = ([v.value for v in tv], [v.value for v in ntv])
        return self._fn("predict")(state, _step_inputs(x, self._use_jit()))

    # ---- the public step methods (Keras 3) -------------------------------------------------------
    def train_step(self, data: Any) -> dict:
        """One training step on a batch; override it to customise ``fit``.

        The built-in step (what ``super().train_step(data)`` runs) is written with the
        backend-neutral :func:`kshim.value_and_grad`. ``fit`` runs the override on every backend;
        kshim also accepts Keras' per-backend forms (torch ``loss.backward()``, the JAX stateless
        ``train_step(self, state, data)`` returning ``(logs, state)``).

        Args:
            data: the batch, as Keras structures it: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            The logs: a dict of metric names to scalar tensors (by default ``compute_metrics``).
        """
        x, y, sw = unpack(data)

        def loss_fn() -> tuple:
            y_pred = self(x, training=True)
            return self._compute_loss_compat(x, y, y_pred, sw, True), y_pred

        (loss, y_pred), grads = value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        if self.trainable_variables:
            self.optimizer.apply(grads, self.trainable_variables)
        self._loss_tracker.update_state(loss, sample_weight=ops.shape(optree.tree_leaves(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sw)

    def test_step(self, data: Any) -> dict:
        """One evaluation step on a batch (``evaluate`` and validation run it); see ``train_step``."""
        x, y, sw = unpack(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss_compat(x, y, y_pred, sw, False)
        self._loss_tracker.update_state(loss, sample_weight=ops.shape(optree.tree_leaves(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sw)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for one batch (``predict`` runs it)."""
        x, _, _ = unpack(data)
        return self(x, training=False)

    def _compute_loss_compat(self, x: Any, y: Any, y_pred: Any, sw: Any, training: bool) -> Any:
        """``compute_loss``, also for overrides written before Keras 3.3 added ``training``."""
        import inspect
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sw, training=training)
        return self.compute_loss(x, y, y_pred, sw)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics; return every metric's current result (tensors)."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self._metrics_results()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear gradients accumulated on variable values (torch's ``loss.backward()`` idiom)."""
        for v in self.trainable_variables:
            if getattr(v.value, "grad", None) is not None:
                v.value.grad = None

    # ---- metrics results -----------------------------------------------------------------
    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _metrics_results(self) -> dict:
        """Every metric's result as backend tensors (dict results merged), in Keras' order."""
        logs = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                logs.update(r)
            else:
                logs[m.name] = r
        return logs

    def get_metrics_result(self) -> dict:
        """Current metric values as Python floats, in alphabetical key order.

        kshim returns floats (Keras returns tensors) since this is read outside any step.
        """
        return dict(sorted((k, _to_float(v)) for k, v in self._metrics_results().items()))

    def _step_logs(self) -> dict:
        """The logs callbacks get: the metrics, or what the model's own step returned when its
        keys differ from the metrics' (Keras' ``_get_metrics_result_or_logs``)."""
        metric_logs = self.get_metrics_result()
        logs = self._last_logs
        if not isinstance(logs, dict) or set(logs) == set(metric_logs):
            return metric_logs
        return _pythonify_logs(logs)

    def _ordered_results(self, logs: dict) -> list:
        names = ["loss"] + [t.name for t in self._output_loss_trackers]
        names += [n for _, _, _, n in (self._compile_metrics.entries if self._compile_metrics else [])]
        return [logs[n] for n in names if n in logs]

    # ---- public loop API --------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1, verbose: Any = "auto",
            callbacks: Any = None, validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
            class_weight: dict | None = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1) -> Any:
        """Train for ``epochs`` epochs; returns the ``History`` callback."""
        from .fit_loop import run_fit
        self._invalidate_state()
        return run_fit(self, FitOptions(x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                        validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                                        steps_per_epoch, validation_steps, validation_batch_size, validation_freq))

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Any = None,
                 return_dict: bool = False, **kwargs: Any) -> Any:
        """Loss and metrics on the given data."""
        from .fit_loop import run_evaluate
        self._invalidate_state()
        return run_evaluate(self, EvaluateOptions(x, y, batch_size, verbose, sample_weight, steps, callbacks,
                                                  return_dict))

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None) -> Any:
        """Model outputs for ``x`` as NumPy arrays."""
        from .fit_loop import run_predict
        self._invalidate_state()
        return run_predict(self, PredictOptions(x, batch_size, verbose, steps, callbacks))

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False) -> Any:
        """One gradient step; returns the loss (computed before the update) and metrics."""
        self._assert_compiled("train_on_batch")
        self._invalidate_state()
        h = DataHandler(x, y, sample_weight, batch_size=None, class_weight=class_weight)
        _, batch = next(h.epoch(0)) if h.kind != "arrays" else (0, (h.x, h.y, h.sw))
        self._build_for(batch[0], batch[1])
        self.reset_metrics()
        self._train_batch(batch)
        logs = self._step_logs()
        return logs if return_dict else _single_or_list(self._ordered_results(logs))

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._assert_compiled("test_on_batch")
        self._invalidate_state()
        h = DataHandler(x, y, sample_weight)
        batch = (h.x, h.y, h.sw)
        self._build_for(batch[0], batch[1])
        self.reset_metrics()
        self._test_batch(batch)
        logs = self._step_logs()
        return logs if return_dict else _single_or_list(self._ordered_results(logs))

    def predict_on_batch(self, x: Any) -> Any:
        self._invalidate_state()
        h = DataHandler(x)
        self._build_for(h.x, None)
        out = self._predict_batch(h.x)
        return optree.tree_map(ops.convert_to_numpy, out, namespace="kshim")

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Any:
        """The total loss of a batch: the compiled loss plus the losses the layers added
        (``add_loss``, regularizers). Also updates the per-output loss trackers.

        Raises:
            ValueError: no compiled loss and no added losses ("No loss to compute").
        """
        steps = StepFunctions(self)
        total, parts, *_ = steps._loss(y, y_pred, sample_weight, self.losses)
        batch = ops.shape(optree.tree_leaves(y_pred)[0])[0] if optree.tree_leaves(y_pred) else 1
        for tracker, part in zip(self._output_loss_trackers, parts):
            if part is not None:
                tracker.update_state(part, sample_weight=batch)
        return total

    def get_compile_config(self) -> dict | None:
        if not self.compiled or self._compile_config is None:
            return None
        from .._serialization import serialize_compile_config
        return serialize_compile_config(self._compile_config)

    def compile_from_config(self, config: dict) -> None:
        from .._serialization import deserialize_compile_config
        self.compile(**deserialize_compile_config(config))


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


def _single_or_list(values: list) -> Any:
    return values[0] if len(values) == 1 else values


__all__ = ["Trainer", "unpack", "train_validation_split"]
