"""``Muon``: momentum orthogonalised by Newton-Schulz for 2-D weights, AdamW for the rest."""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

from .. import ops
from ..variables import Variable
from .base import Optimizer
from .optimizers import _step


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025 for ``rms_rate``), with Keras' update rule.

    A variable takes the AdamW step (with ``adam_*`` hyperparameters and ``adam_weight_decay``)
    when it is not 2-D, when ``exclude_embeddings`` and its path contains "embedding", or when a
    pattern of ``exclude_layers`` matches its path (``re.search``); every other variable takes the
    Muon step: SGD momentum, then the update is orthogonalised with ``ns_steps`` quintic
    Newton-Schulz iterations and scaled by ``sqrt(max(rows, cols)) * rms_rate``. Slots: a
    ``<path>_momentum`` for every variable and a ``<path>_velocity`` for the AdamW ones, created
    variable by variable (Keras order).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable.
        adam_beta_1: AdamW first-moment decay.
        adam_beta_2: AdamW second-moment decay.
        adam_weight_decay: Decoupled weight decay of the AdamW variables (None: none).
        epsilon: AdamW epsilon (added to ``sqrt(v)``).
        weight_decay: Decoupled weight decay of the Muon variables (None: none).
        clipnorm: As for every optimizer.
        clipvalue: As for every optimizer.
        global_clipnorm: As for every optimizer.
        use_ema: Must be False (kshim has no EMA).
        ema_momentum: Accepted for Keras compatibility.
        ema_overwrite_frequency: Accepted for Keras compatibility.
        loss_scale_factor: As for every optimizer.
        gradient_accumulation_steps: Must be None.
        name: Optimizer name.
        exclude_layers: Regular expressions; matching variable paths use AdamW.
        exclude_embeddings: Embedding variables use AdamW.
        muon_a: Newton-Schulz coefficient a.
        muon_b: Newton-Schulz coefficient b.
        muon_c: Newton-Schulz coefficient c.
        adam_lr_ratio: The AdamW learning rate is ``learning_rate * adam_lr_ratio``.
        momentum: Muon's SGD momentum.
        ns_steps: Newton-Schulz iterations.
        nesterov: Nesterov-style momentum for the Muon step.
        rms_rate: Update RMS scaling (None: no scaling).
        **kwargs: Refused unless empty (``decay`` is ignored, as by every kshim optimizer).
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: Sequence[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self._check_numbers(
            ("adam_weight_decay", "rms_rate"),
            adam_beta_1=adam_beta_1,
            adam_beta_2=adam_beta_2,
            adam_weight_decay=adam_weight_decay,
            epsilon=epsilon,
            muon_a=muon_a,
            muon_b=muon_b,
            muon_c=muon_c,
            adam_lr_ratio=adam_lr_ratio,
            momentum=momentum,
            ns_steps=ns_steps,
            rms_rate=rms_rate,
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = int(ns_steps)
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable: Variable) -> bool:
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, variables: Sequence[Variable]) -> None:
        """Create a momentum slot per variable and a velocity slot per AdamW variable (Keras order).

        Args:
            variables: The trainable variables.
        """
        if self.built:
            return
        super().build(variables)
        self.momentums: list = [None] * len(variables)
        self.adam_velocities: list = [None] * len(variables)
        for i, var in enumerate(variables):
            self.momentums[i] = self.add_variable_from_reference(var, "momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[i] = self.add_variable_from_reference(var, "velocity")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """The AdamW or the Muon step for one variable.

        Args:
            gradient: The gradient.
            variable: The variable.
            learning_rate: The current learning rate.
        """
        i = self._index(variable)
        m, v = self.momentums[i], self.adam_velocities[i]
        if v is not None:
            self._adamw_step(gradient, variable, ops.multiply(learning_rate, self.adam_lr_ratio), m, v)
        else:
            self._muon_step(gradient, variable, learning_rate, m)

    def _muon_step(self, gradient: Any, variable: Variable, lr: Any, m: Variable) -> None:
        m.assign(ops.add(m, ops.add(gradient, ops.multiply(m, self.momentum - 1))))
        g = ops.add(gradient, ops.multiply(self.momentum, m)) if self.nesterov else m.value
        update = self.zeropower_via_newtonschulz5(g, self.ns_steps)
        variable.assign_sub(self.lr_adjust(ops.multiply(lr, update)))

    def _adamw_step(self, gradient: Any, variable: Variable, learning_rate: Any, m: Variable, v: Variable) -> None:
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        t = _step(self, d)
        b1p = ops.power(ops.cast(self.adam_beta_1, d), t)
        b2p = ops.power(ops.cast(self.adam_beta_2, d), t)
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1, b2p))), ops.subtract(1, b1p))
        m.assign_add(ops.multiply(ops.subtract(g, m), 1 - self.adam_beta_1))
        v.assign_add(ops.multiply(ops.subtract(ops.square(g), v), 1 - self.adam_beta_2))
        variable.assign_sub(ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)))

    @staticmethod
    def transpose_last_axis(x: Any) -> Any:
        """``x`` with its last two axes swapped.

        Args:
            x: A tensor of rank >= 2.

        Returns:
            The transposed tensor.
        """
        order = list(range(len(ops.shape(x))))
        order[-2], order[-1] = order[-1], order[-2]
        return ops.transpose(x, order)

    def lr_adjust(self, x: Any) -> Any:
        """Scale a 2-D update by ``sqrt(max(rows, cols)) * rms_rate`` (Moonlight), unless ``rms_rate`` is None.

        Args:
            x: The update.

        Returns:
            The scaled update.
        """
        if self.rms_rate is None:
            return x
        shape = ops.shape(x)
        return ops.multiply(ops.multiply(x, math.sqrt(max(shape[0], shape[1]))), self.rms_rate)

    def zeropower_via_newtonschulz5(self, x: Any, steps: int) -> Any:
        """Approximately orthogonalise ``x`` (``U S' V^T`` with ``S'`` near 1) by quintic Newton-Schulz.

        Args:
            x: A tensor of rank >= 2 (the last two axes are the matrix).
            steps: Number of iterations.

        Returns:
            The orthogonalised tensor.

        Raises:
            ValueError: If ``x`` has rank < 2.
        """
        shape = ops.shape(x)
        if len(shape) < 2:
            raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. Received: shape={shape}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = shape[-2] > shape[-1]
        if tall:
            x = self.transpose_last_axis(x)
        x = ops.divide(x, ops.add(ops.norm(x, axis=(-2, -1), keepdims=True), 1e-7))
        for _ in range(steps):
            xxt = ops.matmul(x, self.transpose_last_axis(x))
            poly = ops.add(ops.multiply(b, xxt), ops.matmul(ops.multiply(c, xxt), xxt))
            x = ops.add(ops.multiply(a, x), ops.matmul(poly, x))
        return self.transpose_last_axis(x) if tall else x

    def _apply_weight_decay(self, variables: list) -> None:
        for v in variables:
            if not self._use_weight_decay(v):
                continue
            wd_value = self.adam_weight_decay if self._should_use_adamw(v) else self.weight_decay
            if wd_value is None:
                continue
            wd = ops.cast(wd_value, v.dtype)
            lr = ops.cast(self.learning_rate, v.dtype)
            v.assign(ops.subtract(v, ops.multiply(ops.multiply(v, wd), lr)))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            The base options plus Muon's own.
        """
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
