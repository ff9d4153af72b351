"""Running a model's own ``train_step`` / ``test_step`` / ``predict_step`` (Keras 3's
"customizing what happens in fit"), in any of the forms Keras documents:

- stateful, ``train_step(self, data)``: the model is called, ``self.optimizer.apply(grads, vars)``
  and ``metric.update_state`` mutate variables. Gradients come from ``kshim.value_and_grad``
  (every backend), ``loss.backward()`` and ``v.value.grad`` (torch), or anything else the backend
  offers;
- stateless, ``train_step(self, state, data)`` returning ``(logs, state)`` with Keras' state tuple
  ``(trainable, non_trainable, optimizer, metrics)`` variable values (the JAX form).

Either way the step runs inside a ``StatelessScope`` that maps every variable of the model, its
optimizers and its metrics to the step's input values and records what the step assigns, so the
same user code becomes one pure function ``(values, data) -> (new_values, outputs)``: jitted
where the backend jits user steps (``jit_user_steps``: JAX), eager elsewhere, written back after.
When the step may create variables on first use (a GAN's second optimizer, metrics not built
yet), its first call runs eagerly so they exist before a step is traced.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._scope import StatelessScope
from ..backend import current
from .write_back import write_values

#: Trainer members whose override means the model's own step must run.
HOOKS = ("train_step", "test_step", "predict_step", "compute_loss", "compute_metrics", "metrics")


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Keras' batch structure: ``x`` (or ``(x,)`` when ``x`` is a tuple), ``(x, y)``, ``(x, y, sw)``."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def uses_builtin_steps(model: Any, base: type) -> bool:
    """True when none of the step hooks is overridden and no layer tracks a metric of its own,
    so the trainer may run its fused pure steps instead of the public methods."""
    cls = type(model)
    if any(getattr(cls, name) is not getattr(base, name) for name in HOOKS):
        return False
    return not model._user_metrics()


def takes_state(method: Any) -> bool:
    """Whether a bound step method has the stateless form ``(state, data)``."""
    params = [
        p
        for p in inspect.signature(method).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(params) >= 2


def _extra_optimizers(model: Any) -> list:
    """Optimizers held as model attributes besides ``model.optimizer`` (GAN-style ``compile``)."""
    main = getattr(model, "optimizer", None)
    out: list[Any] = []
    for value in list(vars(model).values()):
        if (
            value is not main
            and hasattr(value, "stateless_apply")
            and hasattr(value, "variables")
            and not any(value is o for o in out)
        ):
            out.append(value)
    return out


class CustomStep:
    """One of the model's public step methods, run as a pure step on the active backend."""

    def __init__(self, model: Any, kind: str):
        self.model = model
        self.kind = kind
        self.method = getattr(model, f"{kind}_step")
        self.stateless = takes_state(self.method)
        self._jitted: dict = {}
        self._calls = 0

    # ---- state ----------------------------------------------------------------------------------
    def groups(self) -> list[list]:
        """Variable lists ``[trainable, non_trainable, optimizer, metrics, other]`` as of now."""
        m = self.model
        opt = m.optimizer
        ov = list(opt.variables) if opt is not None and getattr(opt, "built", False) else []
        other = [v for o in _extra_optimizers(m) for v in o.variables]
        return [list(m.trainable_variables), list(m.non_trainable_variables), ov, list(m.metrics_variables), other]

    def _may_create_state(self) -> bool:
        """Whether the step may create variables on first use (an optimizer besides the main one,
        compiled metrics not built yet): then its first call runs eagerly, before any trace."""
        m = self.model
        cm = m._engine.compile_metrics
        return (
            bool(_extra_optimizers(m))
            or (cm is not None and not cm.built)
            or (m.optimizer is not None and not getattr(m.optimizer, "built", True))
        )

    def _keras_state(self, values: list) -> tuple:
        tv, ntv, ov, mv, _ = values
        return {"train": (tv, ntv, ov, mv), "test": (tv, ntv, mv), "predict": (tv, ntv)}[self.kind]

    def _from_keras_state(self, values: list, state: Any) -> list:
        new = list(values)
        slots = {"train": (0, 1, 2, 3), "test": (0, 1, 3), "predict": (0, 1)}[self.kind]
        if self.kind == "predict":
            new[1] = list(state)  # predict_step returns (outputs, non_trainable_values)
            return new
        state = tuple(state)
        if len(state) != len(slots):
            raise ValueError(
                f"A stateless {self.kind}_step must return (logs, state) with a state of "
                f"{len(slots)} lists, as it received; got {len(state)}."
            )
        for slot, vals in zip(slots, state):
            new[slot] = list(vals)
        return new

    def _pure(self, groups: list[list]) -> Any:
        def pure(values: list, data: Any) -> tuple:
            mapping = [(v, val) for vs, vals in zip(groups, values) for v, val in zip(vs, vals)]
            with StatelessScope(mapping) as scope:
                if self.stateless:
                    out, state = self.method(self._keras_state(values), data)
                    recorded = [
                        [scope.update_for(v, val) for v, val in zip(vs, vals)] for vs, vals in zip(groups, values)
                    ]
                    new = self._from_keras_state(recorded, state)
                else:
                    out = self.method(data)
                    new = [[scope.update_for(v, val) for v, val in zip(vs, vals)] for vs, vals in zip(groups, values)]
            return new, out

        return pure

    # ---- running --------------------------------------------------------------------------------
    def __call__(self, data: Any) -> Any:
        """Run one step on ``data`` (Keras' batch structure) and write the new state back."""
        b = current()
        groups = self.groups()
        values = [[v.value for v in vs] for vs in groups]
        jit = (self._calls > 0 or not self._may_create_state()) and b.jit_user_steps and self.model._engine.use_jit()
        self._calls += 1
        if jit:
            key = (b.name, tuple(len(g) for g in groups), tuple(v.trainable for v in groups[0] + groups[1]))
            fn = self._jitted.get(key)
            if fn is None:
                fn = self._jitted[key] = b.jit(self._pure(groups))
        else:
            fn = self._pure(groups)
            if self.kind == "train" and not self.stateless:
                values[0] = [b.grad_leaf(t) for t in values[0]]  # torch: loss.backward() fills v.value.grad
        new, out = fn(values, data)
        for vs, vals in zip(groups, new):
            write_values(vs, [_detached(val) for val in vals])
        return out


def _detached(value: Any) -> Any:
    detach = getattr(value, "detach", None)
    return detach() if callable(detach) and getattr(value, "requires_grad", False) else value
