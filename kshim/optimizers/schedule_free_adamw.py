"""``ScheduleFreeAdamW`` (Defazio et al., 2024): AdamW without a learning-rate schedule."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer
from .optimizers import _keras_positional, _step


@_keras_positional
class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW, with Keras' update rule.

    The ``<path>_momentum`` slot (initialised to the variable's value) is the sequence the
    gradient steps move (``z``); ``<path>_velocity`` is Adam's second moment. The model variable
    holds the interpolation ``y = (1 - beta_1) z + beta_1 x`` of ``z`` and the running average ``x``
    (which is recovered from ``y`` and the previous ``z`` at each step, not stored).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable.
        beta_1: Interpolation weight between ``z`` and ``x``.
        beta_2: Decay rate of the second moment.
        epsilon: Added to the bias-corrected ``sqrt(v)``.
        warmup_steps: Linear learning-rate warmup over this many steps (0: none).
        **kwargs: The base ``Optimizer`` options (``weight_decay``, ``clipnorm``, ..., ``name``).
    """

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, warmup_steps=warmup_steps)
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, warmup_steps

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the momentum (a copy of each variable) and velocity slots, variable-major.

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        for m, var in zip(self._momentums, variables):
            m.assign(ops.copy(var.value))  # its own buffer: a jitted step donates both

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """One Schedule-Free AdamW step for one variable.

        Args:
            gradient: The gradient.
            variable: The variable.
            learning_rate: The current learning rate.
        """
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        t = _step(self, d)
        b1, b2 = ops.cast(self.beta_1, d), ops.cast(self.beta_2, d)
        eps = ops.cast(self.epsilon, d)
        if self.warmup_steps > 0:
            lr = ops.multiply(lr, ops.minimum(ops.divide(t, ops.cast(self.warmup_steps, d)), 1.0))
        i = self._index(variable)
        z, v = self._momentums[i], self._velocities[i]
        z_old = z.value
        bias_correction_2 = ops.subtract(1, ops.power(b2, t))
        v.assign_add(ops.multiply(ops.subtract(ops.square(g), v), ops.subtract(1, b2)))
        denom = ops.add(ops.sqrt(ops.divide(v, bias_correction_2)), eps)
        z.assign_sub(ops.divide(ops.multiply(lr, g), denom))
        weight = ops.divide(1.0, t)
        one_minus_b1 = ops.subtract(1, b1)
        x_old = ops.divide(ops.subtract(variable, ops.multiply(one_minus_b1, z_old)), b1)
        x_new = ops.add(ops.multiply(ops.subtract(1, weight), x_old), ops.multiply(weight, z))
        variable.assign(ops.add(ops.multiply(one_minus_b1, z), ops.multiply(b1, x_new)))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            The base options plus ``beta_1``, ``beta_2``, ``epsilon`` and ``warmup_steps``.
        """
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
