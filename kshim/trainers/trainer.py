"""``Trainer``: compile / fit / evaluate / predict and the ``*_on_batch`` methods (mixed into Model).

The Keras surface only: the compile state, the compiled-step cache and the batch runners belong to
the model's :class:`~kshim.trainers.engine.TrainingEngine` (``model._engine``; see ``engine.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import optree

from .. import ops
from .compile_utils import CompileLoss, CompileMetrics
from .data_adapter import DataHandler, train_validation_split, unpack
from .engine import TrainingEngine, _step_inputs, _to_float, _to_tensors  # noqa: F401 (re-exported)
from .gradients import value_and_grad
from .options import CompileOptions, EvaluateOptions, FitOptions, PredictOptions
from .step import StepFunctions


class Trainer:
    """Training features of ``Model``; one pure step for all backends (see ``step.py``), run by the
    model's ``TrainingEngine``."""

    if TYPE_CHECKING:  # provided by Layer / Model, which Trainer is mixed into; for the type checker only
        name: str
        _outputs_struct: Any

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
        def _flatten_layers(self, *args: Any, **kwargs: Any) -> Any: ...
        @property
        def trainable_variables(self) -> list: ...
        @property
        def losses(self) -> list: ...

    def __init__(self) -> None:
        self._engine = TrainingEngine(self)  # replaced by each compile()
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.run_eagerly = False
        self.jit_compile: Any = "auto"
        self.steps_per_execution = 1

    # ---- compile -------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configure the model for training (Keras 3 arguments).

        kshim builds a new ``TrainingEngine`` (``model._engine``) holding the compiled loss,
        metrics and optimizer; the model keeps the public attributes and delegates to it.
        """
        from .. import optimizers

        options = CompileOptions(
            optimizer,
            loss,
            loss_weights,
            metrics,
            weighted_metrics,
            run_eagerly,
            steps_per_execution,
            jit_compile,
            auto_scale_loss,
        )
        opt = optimizers.get(optimizer)
        names = self._output_names()
        compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        compile_metrics = CompileMetrics(metrics, weighted_metrics, names)
        options.validate()
        self._engine = TrainingEngine(self, compile_loss, compile_metrics, opt, options)
        self.__dict__.pop("_loss_attr", None)
        self.steps_per_execution = int(steps_per_execution)
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self.compiled = True

    @property
    def loss(self) -> Any:
        """The ``loss`` argument of the last ``compile`` (``None`` before), as Keras' ``model.loss``."""
        if "_loss_attr" in self.__dict__:
            return self.__dict__["_loss_attr"]
        options = self._engine.options
        return None if options is None else options.loss

    @loss.setter
    def loss(self, value: Any) -> None:
        self.__dict__["_loss_attr"] = value

    @property
    def optimizer(self) -> Any:
        """The optimizer ``compile`` set (``None`` before); held by the model's ``TrainingEngine``."""
        return self._engine.optimizer

    @optimizer.setter
    def optimizer(self, value: Any) -> None:
        self._engine.optimizer = value

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

    # ---- forwarding to the engine (names compat/ and tests reach into) ----------------------
    def _use_jit(self) -> bool:
        return self._engine.use_jit()

    def _build_for(self, x: Any, y: Any) -> None:
        self._engine.build_for(x, y)

    @property
    def _fns(self) -> dict:
        """The engine's compiled-step cache (read by tests)."""
        return self._engine.fns

    # Keras' own Trainer attribute names for the compiled objects (code written against Keras reads them)
    @property
    def _compile_loss(self) -> Any:
        return self._engine.compile_loss

    @_compile_loss.setter
    def _compile_loss(self, value: Any) -> None:
        self._engine.compile_loss = value

    @property
    def _compile_metrics(self) -> Any:
        return self._engine.compile_metrics

    @_compile_metrics.setter
    def _compile_metrics(self, value: Any) -> None:
        self._engine.compile_metrics = value

    @property
    def _loss_tracker(self) -> Any:
        return self._engine.loss_tracker

    @_loss_tracker.setter
    def _loss_tracker(self, value: Any) -> None:
        self._engine.loss_tracker = value

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
            e = self._engine
            out.append(e.loss_tracker)
            if e.compile_metrics is not None:
                out.append(e.compile_metrics)
            out += e.output_loss_trackers
        return out + self._user_metrics()

    @property
    def metrics_variables(self) -> list:
        """The variables of ``self.metrics``, in order (Keras' ``metrics_variables``)."""
        return [v for m in self.metrics for v in m.variables]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

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
        self._engine.loss_tracker.update_state(loss, sample_weight=ops.shape(optree.tree_leaves(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sw)

    def test_step(self, data: Any) -> dict:
        """One evaluation step on a batch (``evaluate`` and validation run it); see ``train_step``."""
        x, y, sw = unpack(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss_compat(x, y, y_pred, sw, False)
        self._engine.loss_tracker.update_state(loss, sample_weight=ops.shape(optree.tree_leaves(x)[0])[0])
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
        cm = self._engine.compile_metrics
        if cm is not None and y is not None:
            cm.update_state(y, y_pred, sample_weight)
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

    # ---- public loop API --------------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Train for ``epochs`` epochs; returns the ``History`` callback."""
        from .fit_loop import run_fit

        self._engine.invalidate_state()
        return run_fit(
            self,
            FitOptions(
                x,
                y,
                batch_size,
                epochs,
                verbose,
                callbacks,
                validation_split,
                validation_data,
                shuffle,
                class_weight,
                sample_weight,
                initial_epoch,
                steps_per_epoch,
                validation_steps,
                validation_batch_size,
                validation_freq,
            ),
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Loss and metrics on the given data."""
        from .fit_loop import run_evaluate

        self._engine.invalidate_state()
        return run_evaluate(
            self, EvaluateOptions(x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict)
        )

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """Model outputs for ``x`` as NumPy arrays."""
        from .fit_loop import run_predict

        self._engine.invalidate_state()
        return run_predict(self, PredictOptions(x, batch_size, verbose, steps, callbacks))

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One gradient step; returns the loss (computed before the update) and metrics."""
        self._assert_compiled("train_on_batch")
        self._engine.invalidate_state()
        h = DataHandler(x, y, sample_weight, batch_size=None, class_weight=class_weight)
        _, batch = next(h.epoch(0)) if h.kind != "arrays" else (0, (h.x, h.y, h.sw))
        engine = self._engine
        engine.build_for(batch[0], batch[1])
        self.reset_metrics()
        engine.train_batch(batch)
        logs = engine.step_logs()
        return logs if return_dict else _single_or_list(engine.ordered_results(logs))

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._assert_compiled("test_on_batch")
        self._engine.invalidate_state()
        h = DataHandler(x, y, sample_weight)
        batch = (h.x, h.y, h.sw)
        engine = self._engine
        engine.build_for(batch[0], batch[1])
        self.reset_metrics()
        engine.test_batch(batch)
        logs = engine.step_logs()
        return logs if return_dict else _single_or_list(engine.ordered_results(logs))

    def predict_on_batch(self, x: Any) -> Any:
        self._engine.invalidate_state()
        h = DataHandler(x)
        self._engine.build_for(h.x, None)
        out = self._engine.predict_batch(h.x)
        return optree.tree_map(ops.convert_to_numpy, out, namespace="kshim")

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None, training: bool = True
    ) -> Any:
        """The total loss of a batch: the compiled loss plus the losses the layers added
        (``add_loss``, regularizers). Also updates the per-output loss trackers.

        Raises:
            ValueError: no compiled loss and no added losses ("No loss to compute").
        """
        steps = StepFunctions(self)
        total, parts, *_ = steps._loss(y, y_pred, sample_weight, self.losses)
        batch = ops.shape(optree.tree_leaves(y_pred)[0])[0] if optree.tree_leaves(y_pred) else 1
        for tracker, part in zip(self._engine.output_loss_trackers, parts):
            if part is not None:
                tracker.update_state(part, sample_weight=batch)
        return total

    def get_compile_config(self) -> dict | None:
        options = self._engine.options
        if not self.compiled or options is None:
            return None
        from .._serialization import serialize_compile_config

        return serialize_compile_config(options.config())

    def compile_from_config(self, config: dict) -> None:
        from .._serialization import deserialize_compile_config

        self.compile(**deserialize_compile_config(config))


def _single_or_list(values: list) -> Any:
    return values[0] if len(values) == 1 else values


__all__ = ["Trainer", "unpack", "train_validation_split"]
