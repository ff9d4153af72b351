"""``LossScaleOptimizer``: dynamic loss scaling around another optimizer (mixed precision)."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer

_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with a dynamic loss scale (``keras.optimizers.LossScaleOptimizer``).

    The training step multiplies the loss by :meth:`scale_loss` before taking gradients; ``apply``
    divides the gradients by the scale and hands them to the inner optimizer. If any gradient is
    not finite, the step is skipped (no variable or inner state changes) and the scale is halved;
    after ``dynamic_growth_steps`` finite steps in a row the scale is doubled. The decision is made
    with ``where`` on tensors, not in Python, so it works inside ``jax.jit`` and the stateless step.

    Variables: its own ``iteration``, ``learning_rate`` (unused), ``step_counter`` and
    ``dynamic_scale``, then the inner optimizer's, as in Keras. ``iterations`` and
    ``learning_rate`` are the inner optimizer's.

    Args:
        inner_optimizer: The ``Optimizer`` to wrap.
        initial_scale: The starting loss scale.
        dynamic_growth_steps: Finite steps between doublings of the scale.
        name: Optimizer name.
        **kwargs: Only the base options at their default values are accepted (for configs written
            by older Keras versions); ``dynamic=False`` is refused.

    Raises:
        ValueError: For ``dynamic=False``, a base option that is not at its default, or another
            argument.
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                f"`inner_optimizer` must be a kshim/Keras Optimizer instance; received {inner_optimizer!r}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self._check_numbers(initial_scale=initial_scale, dynamic_growth_steps=dynamic_growth_steps)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None  # the gradients are unscaled here, not twice

    def build(self, variables: Sequence[Variable]) -> None:
        """Create ``step_counter`` and ``dynamic_scale``, then build the inner optimizer.

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        from .. import initializers

        self.step_counter = self.add_variable((), initializers.Zeros(), dtype="int", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializers.Constant(self.initial_scale), dtype="float32", name="dynamic_scale"
        )
        self.inner_optimizer.build(list(variables))
        super().build(variables)

    @property
    def variables(self) -> list[Variable]:
        """Own variables, then the inner optimizer's."""
        return list(self._variables) + list(self.inner_optimizer.variables)

    @property
    def iterations(self) -> Variable:
        """The inner optimizer's step count."""
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self) -> Any:
        """The inner optimizer's learning rate."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    def scale_loss(self, loss: Any) -> Any:
        """The loss times the current dynamic scale (``initial_scale`` before the optimizer is built).

        Args:
            loss: The loss tensor.

        Returns:
            The scaled loss.
        """
        scale = self.dynamic_scale if self.built else self.initial_scale
        return ops.multiply(loss, scale)

    @staticmethod
    def check_finite(grads: Sequence[Any]) -> Any:
        """Whether every gradient is finite.

        Args:
            grads: Gradients (``None`` entries are skipped).

        Returns:
            A scalar bool tensor.
        """
        flags = [ops.all(ops.isfinite(g)) for g in grads if g is not None]
        return ops.all(ops.stack(flags)) if flags else ops.convert_to_tensor(True)

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Unscale and apply ``grads`` with the inner optimizer, or skip the step if one is not finite.

        Args:
            grads: Gradients (of the scaled loss).
            trainable_variables: The variables (default: those built on).
        """
        grads = list(grads)
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            self.build(list(trainable_variables))
        tvs = list(self._trainable_variables if trainable_variables is None else trainable_variables)
        finite = self.check_finite(grads)
        watched = list(self.inner_optimizer.variables) + tvs
        before = [v.value for v in watched]
        scale = self.dynamic_scale
        unscaled = [None if g is None else ops.divide(g, ops.cast(scale, ops.dtype(g))) for g in grads]
        self.inner_optimizer.apply(unscaled, tvs)
        for v, old in zip(watched, before):
            v.assign(ops.where(finite, v.value, old))
        grow = ops.equal(self.step_counter, self.dynamic_growth_steps - 1)
        counter = ops.where(finite, ops.where(grow, 0, ops.add(self.step_counter, 1)), 0)
        factor = ops.where(finite, ops.where(grow, 2.0, 1.0), 0.5)
        self.step_counter.assign(ops.cast(counter, self.step_counter.dtype))
        self.dynamic_scale.assign(ops.multiply(self.dynamic_scale, ops.cast(factor, "float32")))

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Delegates to the inner optimizer."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict:
        """The constructor arguments, with the inner optimizer serialized.

        Returns:
            ``{"name", "inner_optimizer", "initial_scale", "dynamic_growth_steps"}``.
        """
        from . import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "LossScaleOptimizer":
        """Rebuild from :meth:`get_config`'s output.

        Args:
            config: The dict.
            custom_objects: Extra classes for the inner optimizer.

        Returns:
            The optimizer.

        Raises:
            ValueError: If the config has no ``inner_optimizer``.
        """
        from . import deserialize

        config = dict(config)
        if "inner_optimizer" not in config:
            raise ValueError("A LossScaleOptimizer config needs its `inner_optimizer` (a serialized optimizer).")
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)  # type: ignore[arg-type]  # a saved LossScaleOptimizer wraps an Optimizer
