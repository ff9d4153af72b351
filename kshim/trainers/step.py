"""The pure steps: ``train_step(state, batch) -> (state, loss)``, ``test_step``, ``predict_step``.

Written once for every backend. ``state`` is ``(trainable, non_trainable, optimizer, metrics)``
lists of tensors in the order of the model's variable lists; the backend contributes only
``value_and_grad`` (NumPy tape, ``jax.value_and_grad``, ``torch.autograd``) and ``jit``.
"""

from __future__ import annotations

from typing import Any

import optree

from .. import ops
from .._scope import StatelessScope
from ..backend import current
from .._config import floatx
from .._replica import replica_scope
from ..distribution.runtime import step_sync
from ..dtypes import is_float
from .compile_utils import align_outputs


def _flat(x: Any) -> list:
    return optree.tree_leaves(x, none_is_leaf=True, namespace="kshim")


def _check_targets(names: list[str], losses: list, y: Any, yt: list) -> None:
    """Every output with a loss needs a target: refuse dict/list targets that leave one out
    (training on silently would make that loss 0)."""
    if y is None:
        return
    missing = [n for n, fn, t in zip(names, losses, yt) if fn is not None and t is None]
    if missing:
        given = sorted(y) if isinstance(y, dict) else f"{len(y)} arrays" if isinstance(y, (list, tuple)) else "one"
        raise ValueError(
            f"No target for output(s) {missing}, which have a loss. The model's outputs are "
            f"{names}; the targets given are {given}. Pass a target for each, or compile with "
            f"loss=None for those outputs (loss={{name: None}})."
        )


class StepFunctions:
    """Builds the pure step functions for one compiled model.

    Args:
        owner: The model's ``TrainingEngine`` (what the engine passes), or the model itself (then
            its ``_engine`` is used).
    """

    def __init__(self, owner: Any):
        self.engine = getattr(owner, "_engine", owner)
        self.model = self.engine.model
        self.sync = step_sync(self.model)  # kshim.distribution (torch ranks): collectives inside the step

    # ---- pieces --------------------------------------------------------------------------
    def _outputs(self, y_pred: Any, y: Any, sw: Any) -> tuple[list, list, list]:
        return align_outputs(self.model._output_names(), y_pred, y, sw)

    def _metrics_update(
        self, metric_values: list, loss: Any, parts: list, yt: list, yp: list, sws: list, batch_size: int
    ) -> list:
        e = self.engine
        mvars = e.state_lists()[3]
        with StatelessScope(list(zip(mvars, metric_values))) as scope:
            e.loss_tracker.update_state(loss, sample_weight=batch_size)
            for tracker, part in zip(e.output_loss_trackers, parts):
                if tracker is not None and part is not None:
                    tracker.update_state(part, sample_weight=batch_size)
            e.compile_metrics.update_aligned(yt, yp, sws)
        return [scope.update_for(v, val) for v, val in zip(mvars, metric_values)]

    def _loss(self, y: Any, y_pred: Any, sw: Any, extra_losses: list) -> tuple[Any, list, list, list, list]:
        yt, yp, sws = self._outputs(y_pred, y, sw)
        compiled = self.engine.compile_loss
        if compiled is not None:
            _check_targets(self.model._output_names(), compiled.losses, y, yt)
            total, parts = compiled(yt, yp, sws)
        else:
            total, parts = None, [None] * len(yp)
        for l in extra_losses:
            if total is None:
                total = l if is_float(ops.dtype(l)) else ops.cast(l, floatx())
            else:
                total = ops.add(total, ops.cast(l, ops.dtype(total)))
        if total is None:
            raise ValueError(
                "No loss to compute. Provide a `loss` argument in `compile()`, or add losses "
                "in the model with `add_loss()`."
            )
        return total, parts, yt, yp, sws

    def _scaled(self, loss: Any, opt_values: Any) -> Any:
        """``optimizer.scale_loss(loss)`` (Keras' train step differentiates the scaled loss and
        ``apply`` unscales the gradients), reading the optimizer's state from this step's values."""
        from ..optimizers.base import Optimizer

        opt = self.engine.optimizer
        if type(opt).scale_loss is Optimizer.scale_loss and getattr(opt, "loss_scale_factor", None) is None:
            return loss  # nothing to scale: keep the common step free of it
        with StatelessScope(list(zip(opt.variables, opt_values))):
            return opt.scale_loss(loss)

    # ---- steps ---------------------------------------------------------------------------
    def train_step(self, state: tuple, data: tuple) -> tuple:
        m, e = self.model, self.engine
        b = current()
        trainable, non_trainable, opt_values, metric_values = state
        x, y, sw = data

        tvars, ntvars = e.state_lists()[:2]

        sync = self.sync

        def loss_fn(tv, ntv):
            y_pred, new_ntv, losses = m._stateless_call(tvars, ntvars, tv, ntv, (x,), {"training": True}, True)
            total, parts, yt, yp, sws = self._loss(y, y_pred, sw, losses)
            objective = self._scaled(total, opt_values)
            if sync is not None:  # this rank's share of the global loss (the ranks' gradients are summed)
                objective = ops.multiply(objective, sync.weight)
            return objective, (total, new_ntv, parts, yt, yp, sws)

        with replica_scope(sync.replica() if sync is not None else None):
            (_, (loss, new_ntv, parts, yt, yp, sws)), grads = b.value_and_grad(loss_fn, argnums=0, has_aux=True)(
                list(trainable), list(non_trainable)
            )
        if self.sync is not None:  # kshim.distribution hook: gradients and BN statistics averaged over ranks
            grads, new_ntv = self.sync.gradients(list(grads)), self.sync.non_trainable(list(new_ntv))
        new_tv, new_opt = e.optimizer.stateless_apply(list(opt_values), list(grads), list(trainable))
        new_tv = e.apply_constraints(new_tv)
        batch_size = ops.shape(_flat(x)[0])[0]
        new_metrics = self._metrics_update(list(metric_values), loss, parts, yt, yp, sws, batch_size)
        if self.sync is not None:  # kshim.distribution hook: global metric states
            new_metrics = self.sync.metrics(list(metric_values), new_metrics)
        return (list(new_tv), list(new_ntv), list(new_opt), new_metrics), loss

    def test_step(self, state: tuple, data: tuple) -> tuple:
        m = self.model
        trainable, non_trainable, metric_values = state
        x, y, sw = data
        tvars, ntvars = self.engine.state_lists()[:2]
        y_pred, _, losses = m._stateless_call(
            tvars, ntvars, list(trainable), list(non_trainable), (x,), {"training": False}, True
        )
        loss, parts, yt, yp, sws = self._loss(y, y_pred, sw, losses)
        batch_size = ops.shape(_flat(x)[0])[0]
        new_metrics = self._metrics_update(list(metric_values), loss, parts, yt, yp, sws, batch_size)
        if self.sync is not None:  # kshim.distribution hook: global metric states
            new_metrics = self.sync.metrics(list(metric_values), new_metrics)
        return new_metrics, loss

    def predict_step(self, state: tuple, x: Any) -> Any:
        trainable, non_trainable = state
        tvars, ntvars = self.engine.state_lists()[:2]
        y_pred, _ = self.model._stateless_call(
            tvars, ntvars, list(trainable), list(non_trainable), (x,), {"training": False}, False
        )
        return y_pred
