"""``Adafactor`` (Shazeer and Stern, 2018): factored second moments, relative step size."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer
from .optimizers import _keras_positional, _step


@_keras_positional
class Adafactor(Optimizer):
    """Adafactor, with Keras' update rule and state layout.

    For a variable of rank >= 2 the second moment is stored factored over the last two axes: a
    row accumulator (shape ``var.shape[:-1]``) and a column accumulator (``var.shape[:-2] +
    var.shape[-1:]``), both named after the variable, then a full ``<path>_velocity`` slot. For a
    variable of rank < 2, as in Keras, two unused int32 scalar placeholders named after the
    variable stand in for the factors (they keep ``optimizer/vars/N`` aligned with Keras' files).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable.
        beta_2_decay: Decay exponent of ``beta_2``: ``beta_2_t = 1 - t**beta_2_decay``.
        epsilon_1: Added to the squared gradient.
        epsilon_2: Lower bound of the parameter scale ``rms(variable)``.
        clip_threshold: Update clipping threshold (on the update's RMS; independent of ``clipnorm``).
        relative_step: With a constant learning rate, use ``min(learning_rate, 1/sqrt(t))``.
        **kwargs: The base ``Optimizer`` options (``weight_decay``, ``clipnorm``, ..., ``name``).
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(
            beta_2_decay=beta_2_decay, epsilon_1=epsilon_1, epsilon_2=epsilon_2, clip_threshold=clip_threshold
        )
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the factored accumulators and velocities, variable by variable (Keras order).

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        super().build(variables)
        self._r: list[Any] = []
        self._c: list[Any] = []
        self._v: list[Any] = []
        for var in variables:
            if len(var.shape) < 2:
                for store in (self._r, self._c):
                    placeholder = Variable(0, dtype="int32", trainable=False, name=var.name)
                    placeholder.path = var.name
                    self._variables.append(placeholder)
                    store.append(placeholder)
            else:
                shape = tuple(var.shape)
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=var.name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype, name=var.name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    @staticmethod
    def _rms(x: Any) -> Any:
        return ops.sqrt(ops.mean(ops.square(x)))

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """One Adafactor step for one variable.

        Args:
            gradient: The gradient.
            variable: The variable.
            learning_rate: The current learning rate.
        """
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        eps2 = ops.cast(self.epsilon_2, d)
        one = ops.cast(1.0, d)
        t = _step(self, d)
        inv_sqrt_t = ops.divide(1, ops.sqrt(t))
        if isinstance(self._learning_rate, Variable) and self.relative_step:
            lr = ops.minimum(lr, inv_sqrt_t)
        i = self._index(variable)
        r, c, v = self._r[i], self._c[i], self._v[i]
        rho_t = ops.minimum(lr, inv_sqrt_t)
        alpha_t = ops.multiply(ops.maximum(eps2, self._rms(variable)), rho_t)
        reg_sq = ops.add(ops.square(g), self.epsilon_1)
        beta_2_t = ops.subtract(1, ops.power(t, self.beta_2_decay))
        keep = ops.subtract(1, beta_2_t)
        if len(variable.shape) >= 2:
            r.assign(ops.add(ops.multiply(beta_2_t, r), ops.multiply(keep, ops.mean(reg_sq, axis=-1))))
            c.assign(ops.add(ops.multiply(beta_2_t, c), ops.multiply(keep, ops.mean(reg_sq, axis=-2))))
            row = ops.expand_dims(ops.divide(r, ops.mean(r, axis=-1, keepdims=True)), axis=-1)
            v.assign(ops.multiply(row, ops.expand_dims(c, -2)))
        else:
            v.assign(ops.add(ops.multiply(beta_2_t, v), ops.multiply(keep, reg_sq)))
        u = ops.divide(g, ops.sqrt(v))
        u_hat = ops.divide(u, ops.maximum(one, ops.divide(self._rms(u), self.clip_threshold)))
        variable.assign_sub(ops.multiply(alpha_t, u_hat))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            The base options plus Adafactor's own.
        """
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
