"""``Lamb`` (You et al., 2019): Adam's direction scaled by the layer-wise trust ratio."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer
from .optimizers import _keras_positional, _step


@_keras_positional
class Lamb(Optimizer):
    """LAMB, with Keras' update rule; slots ``<path>_momentum`` and ``<path>_velocity``.

    The step is ``lr * ratio * m_hat / (sqrt(v_hat) + epsilon)`` with the trust ratio
    ``||w|| / ||update||`` (1 when either norm is 0).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to ``sqrt(v_hat)``.
        **kwargs: The base ``Optimizer`` options (``weight_decay``, ``clipnorm``, ..., ``name``).
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the momentum and velocity slots, variable-major (Keras order).

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """One LAMB step for one variable.

        Args:
            gradient: The gradient.
            variable: The variable.
            learning_rate: The current learning rate.
        """
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        t = _step(self, d)
        b1p = ops.power(ops.cast(self.beta_1, d), t)
        b2p = ops.power(ops.cast(self.beta_2, d), t)
        i = self._index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign_add(ops.multiply(ops.subtract(g, m), 1 - self.beta_1))
        v.assign_add(ops.multiply(ops.subtract(ops.square(g), v), 1 - self.beta_2))
        m_hat = ops.divide(m, ops.subtract(1.0, b1p))
        v_sqrt = ops.add(ops.sqrt(ops.divide(v, ops.subtract(1.0, b2p))), self.epsilon)
        update = ops.divide(m_hat, v_sqrt)
        w_norm = ops.sqrt(ops.sum(ops.power(variable, 2)))
        g_norm = ops.sqrt(ops.sum(ops.power(update, 2)))
        ratio = ops.where(
            ops.greater(w_norm, 0), ops.where(ops.greater(g_norm, 0), ops.divide(w_norm, g_norm), 1.0), 1.0
        )
        variable.assign_sub(ops.multiply(ops.multiply(ratio, lr), update))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            The base options plus ``beta_1``, ``beta_2`` and ``epsilon``.
        """
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
