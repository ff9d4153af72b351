"""``Ftrl``: Follow The Regularized Leader (McMahan et al., 2013), with L1/L2 and shrinkage."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer
from .optimizers import _keras_positional


@_keras_positional
class Ftrl(Optimizer):
    """FTRL-Proximal, with Keras' update rule; slots ``<path>_accumulator`` and ``<path>_linear``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable.
        learning_rate_power: ``<= 0``; how the per-coordinate rate decays (0: fixed).
        initial_accumulator_value: ``>= 0``; the accumulators' starting value.
        l1_regularization_strength: ``>= 0``.
        l2_regularization_strength: ``>= 0`` (the stabilisation penalty of the paper).
        l2_shrinkage_regularization_strength: ``>= 0``; an L2 penalty on the weights' magnitude.
        beta: The paper's beta (adds ``beta / (2 lr)`` to the L2 strength).
        **kwargs: The base ``Optimizer`` options (``weight_decay``, ``clipnorm``, ..., ``name``).

    Raises:
        ValueError: For a hyperparameter outside its range.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(
            learning_rate_power=learning_rate_power,
            initial_accumulator_value=initial_accumulator_value,
            l1_regularization_strength=l1_regularization_strength,
            l2_regularization_strength=l2_regularization_strength,
            l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength,
            beta=beta,
        )
        if initial_accumulator_value < 0.0:
            raise ValueError(
                "`initial_accumulator_value` needs to be positive or zero. Received: "
                f"initial_accumulator_value={initial_accumulator_value}."
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        for name, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(f"`{name}` needs to be positive or zero. Received: {name}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the accumulator and linear slots, variable-major (Keras order).

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        super().build(variables)
        from .. import initializers

        self._accumulators, self._linears = [], []
        for var in variables:
            self._accumulators.append(
                self.add_variable_from_reference(
                    var, "accumulator", initializers.Constant(self.initial_accumulator_value)
                )
            )
            self._linears.append(self.add_variable_from_reference(var, "linear"))

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """One FTRL step for one variable.

        Args:
            gradient: The gradient.
            variable: The variable.
            learning_rate: The current learning rate.
        """
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        i = self._index(variable)
        accum, linear = self._accumulators[i], self._linears[i]
        power = -self.learning_rate_power
        l2 = ops.add(self.l2_regularization_strength, ops.divide(self.beta, ops.multiply(2.0, lr)))
        g_shrunk = ops.add(g, ops.multiply(2 * self.l2_shrinkage_regularization_strength, variable))
        new_accum = ops.add(accum, ops.square(g))
        sigma = ops.divide(ops.subtract(ops.power(new_accum, power), ops.power(accum, power)), lr)
        linear.assign_add(ops.subtract(g_shrunk, ops.multiply(sigma, variable)))
        quadratic = ops.add(ops.divide(ops.power(new_accum, power), lr), ops.multiply(2, l2))
        l1 = self.l1_regularization_strength
        clipped = ops.clip(linear, -l1, l1)
        variable.assign(ops.divide(ops.subtract(clipped, linear), quadratic))
        accum.assign(new_accum)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            The base options plus FTRL's own.
        """
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
