"""The epoch/batch loops of ``fit``, ``evaluate`` and ``predict`` (callbacks, validation, logs)."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import optree

from .. import ops
from ..random import host
from .data_adapter import DataHandler, train_validation_split, unpack
from .options import EvaluateOptions, FitOptions, PredictOptions


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}.")
    return int(verbose)


def _wants_batch_logs(cbks: Any, hook: str) -> bool:
    from ..callbacks import Callback, History, ProgbarLogger

    for cb in cbks.callbacks:
        if isinstance(cb, History):
            continue
        if isinstance(cb, ProgbarLogger):
            if hook == "on_test_batch_end" and cb._called_in_fit:  # validation inside fit is silent
                continue
            if cb.verbose == 1 or getattr(cb, "_verbose", 1) == 1:
                return True
            continue
        if type(cb).__dict__.get(hook) is not None or getattr(type(cb), hook) is not getattr(Callback, hook):
            return True
    return False


def _callbacks(model: Any, callbacks: Any, verbose: int, epochs: int, steps: Any) -> Any:
    from ..callbacks import CallbackList
    from ..distribution import runtime as dist_runtime

    if not dist_runtime.is_chief():  # kshim.distribution hook: only process 0 prints and writes checkpoints
        verbose, callbacks = 0, dist_runtime.chief_only(callbacks)
    if isinstance(callbacks, CallbackList):
        return callbacks
    return CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=epochs, steps=steps
    )


def run_fit(model: Any, o: FitOptions) -> Any:
    """The ``fit`` loop over ``o`` (the call's arguments); returns the History callback."""
    model._assert_compiled("fit")
    x, y, sample_weight, validation_data = o.x, o.y, o.sample_weight, o.validation_data
    batch_size, validation_split, initial_epoch = o.batch_size, o.validation_split, o.initial_epoch
    verbose = _verbose(o.verbose)
    if validation_split and validation_data is None:
        if DataHandler._kind(x) != "arrays":
            raise ValueError("validation_split is only supported for array inputs; pass validation_data instead.")
        (x, y, sample_weight), validation_data = train_validation_split(x, y, sample_weight, validation_split)
    epochs, steps_per_epoch = _apply_config_caps(o.epochs, o.steps_per_epoch)
    handler = DataHandler(x, y, sample_weight, batch_size, steps_per_epoch, o.shuffle, o.class_weight)
    val_handler = None
    if validation_data is not None:
        vx, vy, vsw = (
            unpack(tuple(validation_data))
            if isinstance(validation_data, (tuple, list))
            else (validation_data, None, None)
        )
        val_handler = DataHandler(vx, vy, vsw, o.validation_batch_size or batch_size, o.validation_steps)
    steps = handler.num_batches
    if steps is not None and model.steps_per_execution > 1:
        steps = -(-steps // model.steps_per_execution)
    cbks = _callbacks(model, o.callbacks, verbose, epochs, steps)
    model.stop_training = False
    built = False
    batch_logs_wanted = _wants_batch_logs(cbks, "on_train_batch_end")
    cbks.on_train_begin()
    initial_epoch = max(initial_epoch, int(getattr(cbks, "initial_epoch_override", None) or 0))
    resume = getattr(cbks, "resume_state", None)  # exact position restored by BackupAndRestore
    logs: dict = {}
    epoch = initial_epoch
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        start, pending_metrics = 0, None
        if resume is not None and resume["epoch"] == epoch:
            # Same shuffle order as the interrupted epoch, then the generator as it was at the backup.
            host.set_state(resume["rng_epoch_begin"])
        cbks.on_epoch_begin(epoch)
        batches = handler.epoch(epoch, start=resume["step"] if resume is not None and resume["epoch"] == epoch else 0)
        if resume is not None and resume["epoch"] == epoch:
            start, pending_metrics = resume["step"], resume.get("metrics")
            if resume.get("rng_now") is not None:
                host.set_state(resume["rng_now"])
            resume = None
        seen = 0
        spe = model.steps_per_execution
        with contextlib.closing(batches):  # ends the epoch's data iteration (and its context) here
            for step, batch in batches:
                if not built:
                    model._engine.build_for(batch[0], batch[1])
                    built = True
                if pending_metrics is not None:
                    _restore_metrics(model, pending_metrics)
                    pending_metrics = None
                # With steps_per_execution=N, callbacks see one "batch" per N steps, as in Keras.
                if step % spe == 0:
                    cbks.on_train_batch_begin(step // spe if spe > 1 else step)
                model._engine.train_batch(batch)
                seen += 1
                last = handler.num_batches is not None and step + 1 == handler.num_batches
                if (step + 1) % spe == 0 or last:
                    batch_logs = model._engine.step_logs() if batch_logs_wanted else {}
                    cbks.on_train_batch_end(step // spe if spe > 1 else step, batch_logs)
                if model.stop_training:
                    break
        if seen == 0 and start == 0:
            raise ValueError("The training data produced no batches; check steps_per_epoch and the data size.")
        if pending_metrics is not None and handler.kind == "arrays":
            # Resumed after the epoch's last batch: build the metrics on a batch, then restore them.
            _, (bx, by, _) = next(handler._array_batches(None, 0))
            model._engine.build_for(bx, by)
            built = True
            _restore_metrics(model, pending_metrics)
        logs = model._engine.step_logs()
        if val_handler is not None and (epoch + 1) % o.validation_freq == 0:
            cbks.on_test_begin()  # validation runs the test hooks, as Keras' fit does (via evaluate)
            val_logs = _evaluate_loop(model, val_handler, cbks)
            cbks.on_test_end(val_logs)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    if epochs > 0 and hasattr(model.optimizer, "finalize_variable_values"):
        model.optimizer.finalize_variable_values(model.trainable_weights)  # EMA weights, as Keras' fit
    cbks.on_train_end(logs)
    return model.history


def _apply_config_caps(epochs: int, steps_per_epoch: Any) -> tuple:
    """``keras.config.max_epochs()`` / ``max_steps_per_epoch()`` (or ``KERAS_MAX_EPOCHS`` /
    ``KERAS_MAX_STEPS_PER_EPOCH``) cap a fit, with Keras' warnings (handy for quick CI runs)."""
    import warnings

    from .. import _config as config

    max_epochs, max_steps = config.max_epochs(), config.max_steps_per_epoch()
    if max_epochs and max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=3)
        epochs = max_epochs
    if max_steps and (not steps_per_epoch or max_steps < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {max_steps}", stacklevel=3)
        steps_per_epoch = max_steps
    return epochs, steps_per_epoch


def _restore_metrics(model: Any, values: list) -> None:
    """Metric state saved mid-epoch by BackupAndRestore (skipped if the metrics differ now)."""
    mv = model.metrics_variables
    if len(mv) == len(values) and all(tuple(v.shape) == tuple(np.shape(a)) for v, a in zip(mv, values)):
        for v, a in zip(mv, values):
            v.assign(np.asarray(a, dtype=v.dtype))
        model._engine.invalidate_state()


def _evaluate_loop(model: Any, handler: DataHandler, cbks: Any) -> dict:
    model.reset_metrics()
    want = cbks is not None and _wants_batch_logs(cbks, "on_test_batch_end")
    any_batch = False
    for step, batch in handler.epoch(0):
        model._engine.build_for(batch[0], batch[1])
        if cbks is not None:
            cbks.on_test_batch_begin(step)
        model._engine.test_batch(batch)
        any_batch = True
        if cbks is not None:
            cbks.on_test_batch_end(step, model._engine.step_logs() if want else {})
    if not any_batch:
        raise ValueError("The evaluation data produced no batches.")
    return model._engine.step_logs()


def run_evaluate(model: Any, o: EvaluateOptions) -> Any:
    """The ``evaluate`` loop over ``o``; returns the loss and metrics (a dict with ``return_dict``)."""
    model._assert_compiled("evaluate")
    verbose = _verbose(o.verbose)
    handler = DataHandler(o.x, o.y, o.sample_weight, o.batch_size, o.steps)
    cbks = _callbacks(model, o.callbacks, verbose, 1, handler.num_batches)
    cbks.on_test_begin()
    logs = _evaluate_loop(model, handler, cbks)
    cbks.on_test_end(logs)
    if o.return_dict:
        return logs
    values = model._engine.ordered_results(logs)
    return values[0] if len(values) == 1 else values


def run_predict(model: Any, o: PredictOptions) -> Any:
    """The ``predict`` loop over ``o``; returns the outputs as NumPy arrays."""
    verbose = _verbose(o.verbose)
    handler = DataHandler(o.x, None, None, o.batch_size, o.steps)
    cbks = _callbacks(model, o.callbacks, verbose, 1, handler.num_batches)
    cbks.on_predict_begin()
    outs = []
    for step, (bx, _, _) in handler.epoch(0):
        model._engine.build_for(bx, None)
        cbks.on_predict_batch_begin(step)
        y = model._engine.predict_batch(bx)  # backend tensors (as Keras hands to callbacks); not synced here,
        outs.append(y)  # so an async backend (jax) computes while the next batch is sent
        cbks.on_predict_batch_end(step, {"outputs": y})
    cbks.on_predict_end()
    if not outs:
        raise ValueError("The prediction data produced no batches.")
    return optree.tree_map(
        lambda *parts: np.concatenate([ops.convert_to_numpy(p) for p in parts], axis=0),
        outs[0],
        *outs[1:],
        namespace="kshim",
    )
