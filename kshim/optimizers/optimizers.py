"""Keras 3's optimizers with their exact update rules and defaults, each written once with ``kshim.ops``."""

from __future__ import annotations

from typing import Any, Sequence

from .. import ops
from ..backend import current
from ..variables import Variable
from .base import Optimizer

_BASE_KEYS = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


def _keras_positional(cls: type) -> type:
    """Let ``cls(...)`` take the base ``Optimizer`` options positionally after its own, in Keras' order.

    Keras' optimizers list every option in their signature, so ``Adam(1e-3, 0.9, 0.999, 1e-7, False, 0.01)``
    sets ``weight_decay=0.01``. kshim's constructors name their own hyperparameters and pass the shared
    ones through ``**kwargs``; this maps the extra positional arguments onto those shared names and gives
    the class Keras' full signature (``inspect.signature``).
    """
    import functools
    import inspect

    init = cls.__init__  # type: ignore[misc]  # the class's own (possibly inherited) __init__, on purpose
    sig = inspect.signature(init)
    params = list(sig.parameters.values())
    own = [q for q in params[1:] if q.kind == q.POSITIONAL_OR_KEYWORD]
    own_names = {q.name for q in own}
    base = inspect.signature(Optimizer.__init__).parameters
    extra = [base[k] for k in _BASE_KEYS if k not in own_names]
    order = [q.name for q in own] + [q.name for q in extra]

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(order):
            raise TypeError(f"{cls.__name__}() takes at most {len(order)} positional arguments ({len(args)} given)")
        for key, value in zip(order[len(own) :], args[len(own) :]):
            if key in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
            kwargs[key] = value
        init(self, *args[: len(own)], **kwargs)

    var_kw = [q for q in params if q.kind == q.VAR_KEYWORD]
    __init__.__signature__ = sig.replace(parameters=[params[0], *own, *extra, *var_kw])  # type: ignore[attr-defined]
    cls.__init__ = __init__  # type: ignore[misc]  # replaced on purpose (see the docstring)
    return cls


def _step(opt: Optimizer, dtype: str, offset: int = 1) -> Any:
    return ops.cast(ops.add(opt.iterations, offset), dtype)


@_keras_positional
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    Without momentum, ``var -= lr * g``; with it, ``m = momentum * m - lr * g`` and ``var += m`` (or, with
    ``nesterov``, ``var += momentum * m - lr * g``).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.01).
        momentum: The momentum factor in ``[0, 1]`` (default 0.0: plain gradient descent, no slot variables).
        nesterov: Whether to apply Nesterov momentum (default False).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given,
            or ``momentum`` is outside ``[0, 1]``.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, (int, float)) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        if self.momentum == 0:
            variable.assign_sub(ops.multiply(g, lr))
            return
        m = self.momentums[self._index(variable)]
        mom = ops.cast(self.momentum, variable.dtype)
        m.assign(ops.subtract(ops.multiply(m, mom), ops.multiply(g, lr)))
        if self.nesterov:
            variable.assign_add(ops.subtract(ops.multiply(m, mom), ops.multiply(g, lr)))
        else:
            variable.assign_add(m)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@_keras_positional
class Adam(Optimizer):
    """Adam; ``eps`` is added to the uncorrected ``sqrt(v)``, the bias correction goes into the step size.

    ``m`` and ``v`` are moving averages of the gradient and its square; the update is
    ``var -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        beta_1: Decay rate of the first-moment average (default 0.9).
        beta_2: Decay rate of the second-moment average (default 0.999).
        epsilon: Small constant added to ``sqrt(v)`` for numerical stability (default 1e-7).
        amsgrad: Use the AMSGrad variant: divide by the running maximum of ``v`` (default False).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        self._update([gradient], [variable], learning_rate)

    def _alpha(self, learning_rate: Any, d: str) -> Any:
        """Step size ``lr * sqrt(1 - b2^t) / (1 - b1^t)``, computed once per step and dtype."""

        def step_size():
            lr = ops.cast(learning_rate, d)
            t = _step(self, d)
            b1p = ops.power(ops.cast(self.beta_1, d), t)
            b2p = ops.power(ops.cast(self.beta_2, d), t)
            return ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1, b2p))), ops.subtract(1, b1p))

        return self.per_step(("adam_alpha", d), step_size)

    def _backend_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        """All variables in one pass of multi-tensor ``foreach`` calls (per dtype group of one)."""
        if len({v.dtype for v in variables}) != 1 or type(self).update_step is not Adam.update_step:
            return super()._backend_update_step(grads, variables, learning_rate)
        self._update(grads, variables, learning_rate)

    def _update(self, grads: list, variables: list, learning_rate: Any) -> None:
        """``m = lerp(m, g, 1-β1)``, ``v = lerp(v, g², 1-β2)``, ``x -= m·α / (√v + ε)`` over same-dtype
        variables with the backend's ``foreach`` (its fused ``lerp``/``subtract_quotient`` equal the
        composites ``m + (g - m)(1-β1)`` and ``x - n/d`` up to FMA rounding)."""
        d = variables[0].dtype
        b = current()
        alpha = self._alpha(learning_rate, d)
        idx = [self._index(v) for v in variables]
        ms, vs = [self._momentums[i] for i in idx], [self._velocities[i] for i in idx]
        g = [ops.cast(x, d) for x in grads]
        c1, c2 = ops.cast(1 - self.beta_1, d), ops.cast(1 - self.beta_2, d)
        m_new = b.foreach("lerp", [m.value for m in ms], g, c1)
        v_new = b.foreach("lerp", [v.value for v in vs], b.foreach("square", g), c2)
        for var, value in zip(ms + vs, m_new + v_new):
            var.assign(value)
        if self.amsgrad:
            hats = [self._velocity_hats[i] for i in idx]
            v_new = b.foreach("maximum", [h.value for h in hats], v_new)
            for var, value in zip(hats, v_new):
                var.assign(value)
        denom = b.foreach("add", b.foreach("sqrt", v_new), ops.cast(self.epsilon, d))
        x_new = b.foreach("subtract_quotient", [v.value for v in variables], b.foreach("multiply", m_new, alpha), denom)
        for var, value in zip(variables, x_new):
            var.assign(value)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


@_keras_positional
class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.004).

    The update is :class:`Adam`'s, preceded by ``var -= var * weight_decay * lr``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        weight_decay: The decoupled weight decay factor (default 0.004); must not be None.
        beta_1: Decay rate of the first-moment average (default 0.9).
        beta_2: Decay rate of the second-moment average (default 0.999).
        epsilon: Small constant added to ``sqrt(v)`` for numerical stability (default 1e-7).
        amsgrad: Use the AMSGrad variant: divide by the running maximum of ``v`` (default False).
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given,
            or ``weight_decay`` is None.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


@_keras_positional
class RMSprop(Optimizer):
    """RMSprop (``eps`` inside the square root), with optional momentum and centering.

    ``v = rho * v + (1 - rho) * g**2`` and the step is ``lr * g / sqrt(v + epsilon)``; ``centered``
    subtracts the squared moving average of ``g`` from ``v`` first, and ``momentum > 0`` accumulates the
    steps in a momentum slot.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        rho: Decay rate of the squared-gradient average (default 0.9).
        momentum: Momentum factor for the steps (default 0.0: none, no slot variables).
        epsilon: Small constant added inside the square root (default 1e-7).
        centered: If True, normalize by the estimated variance of the gradient rather than its second moment
            (default False).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(rho=rho, momentum=momentum, epsilon=epsilon)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(variables, "average_gradient") if self.centered else []

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        i = self._index(variable)
        vel = self._velocities[i]
        rho = self.rho
        vel.assign(ops.add(ops.multiply(rho, vel), ops.multiply(1 - rho, ops.square(g))))
        if self.centered:
            avg = self._average_gradients[i]
            avg.assign(ops.add(ops.multiply(rho, avg), ops.multiply(1 - rho, g)))
            denom = ops.add(ops.subtract(vel, ops.square(avg)), self.epsilon)
        else:
            denom = ops.add(vel, self.epsilon)
        inc = ops.divide(ops.multiply(lr, g), ops.sqrt(denom))
        if self.momentum > 0:
            mom = self._momentums[i]
            mom.assign(ops.add(ops.multiply(self.momentum, mom), inc))
            variable.assign_sub(mom)
        else:
            variable.assign_sub(inc)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


@_keras_positional
class Adagrad(Optimizer):
    """Adagrad (accumulator starts at ``initial_accumulator_value``; ``eps`` inside the root).

    ``acc += g**2`` and ``var -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        initial_accumulator_value: The starting value of the per-element accumulators (default 0.1).
        epsilon: Small constant added inside the square root (default 1e-7).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(
        self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7, **kwargs: Any
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(initial_accumulator_value=initial_accumulator_value, epsilon=epsilon)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        from .. import initializers

        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=initializers.Constant(self.initial_accumulator_value)
        )

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        acc = self._accumulators[self._index(variable)]
        acc.assign_add(ops.square(g))
        variable.assign_sub(ops.divide(ops.multiply(lr, g), ops.sqrt(ops.add(acc, self.epsilon))))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


@_keras_positional
class Adadelta(Optimizer):
    """Adadelta (rho 0.95).

    Keeps moving averages of squared gradients and squared updates;
    ``delta = -sqrt(acc_delta + epsilon) / sqrt(acc_grad + epsilon) * g`` and ``var += lr * delta``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        rho: Decay rate of both moving averages (default 0.95).
        epsilon: Small constant added inside the square roots (default 1e-7).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(rho=rho, epsilon=epsilon)
        self.rho, self.epsilon = rho, epsilon

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        rho = self.rho
        i = self._index(variable)
        acc_g, acc_d = self._accumulated_grads[i], self._accumulated_delta_vars[i]

        def rms(x: Any) -> Any:
            return ops.sqrt(ops.add(x, self.epsilon))

        acc_g.assign(ops.add(ops.multiply(rho, acc_g), ops.multiply(1 - rho, ops.square(g))))
        delta = ops.negative(ops.divide(ops.multiply(rms(acc_d), g), rms(acc_g)))
        acc_d.assign(ops.add(ops.multiply(rho, acc_d), ops.multiply(1 - rho, ops.square(delta))))
        variable.assign_add(ops.multiply(lr, delta))

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


@_keras_positional
class Adamax(Optimizer):
    """Adamax (infinity-norm Adam).

    ``m`` is the moving average of the gradient, ``u = max(beta_2 * u, |g|)`` and
    ``var -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        beta_1: Decay rate of the first-moment average (default 0.9).
        beta_2: Decay rate of the exponentially weighted infinity norm (default 0.999).
        epsilon: Small constant added to ``u`` for numerical stability (default 1e-7).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
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
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        b1p = ops.power(ops.cast(self.beta_1, d), _step(self, d))
        i = self._index(variable)
        m, u = self._m[i], self._u[i]
        m.assign_add(ops.multiply(ops.subtract(g, m), 1 - self.beta_1))
        u.assign(ops.maximum(ops.multiply(self.beta_2, u), ops.abs(g)))
        variable.assign_sub(
            ops.divide(ops.multiply(lr, m), ops.multiply(ops.subtract(1, b1p), ops.add(u, self.epsilon)))
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@_keras_positional
class Nadam(Optimizer):
    """Nesterov Adam with Keras' momentum schedule (``u_t = b1 (1 - 0.5 * 0.96^t)``).

    Adam with a Nesterov-style first moment; the running product of the ``u_t`` is kept in an extra
    variable, as in Keras.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        beta_1: Decay rate of the first-moment average (default 0.9).
        beta_2: Decay rate of the second-moment average (default 0.999).
        epsilon: Small constant added to ``sqrt(v_hat)`` for numerical stability (default 1e-7).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given.
        TypeError: If more positional arguments are given than the signature lists.
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
        if self.built:
            return
        dtype = variables[0].dtype if variables else None
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype or "float32", name="variable")
        self._u_product.path = "variable"

    def _backend_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        d = self._u_product.dtype
        factor = ops.subtract(1.0, ops.multiply(0.5, ops.power(0.96, _step(self, d))))
        self._u_product.assign(ops.multiply(ops.multiply(self._u_product, self.beta_1), factor))
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        t, t1 = _step(self, d), _step(self, d, 2)
        decay = ops.cast(0.96, d)
        b1, b2 = ops.cast(self.beta_1, d), ops.cast(self.beta_2, d)
        u_t = ops.multiply(b1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, t))))
        u_t_1 = ops.multiply(b1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, t1))))
        u_prod = ops.cast(self._u_product, d)
        u_prod_1 = ops.multiply(u_prod, u_t_1)
        b2p = ops.power(b2, t)
        i = self._index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign_add(ops.multiply(ops.subtract(g, m), ops.subtract(1, b1)))
        v.assign_add(ops.multiply(ops.subtract(ops.square(g), v), ops.subtract(1, b2)))
        m_hat = ops.add(
            ops.divide(ops.multiply(u_t_1, m), ops.subtract(1, u_prod_1)),
            ops.divide(ops.multiply(ops.subtract(1, u_t), g), ops.subtract(1, u_prod)),
        )
        v_hat = ops.divide(v, ops.subtract(1, b2p))
        variable.assign_sub(ops.divide(ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon)))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@_keras_positional
class Lion(Optimizer):
    """Lion: sign of an interpolated momentum (beta_1 0.9, beta_2 0.99).

    ``var -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then ``m = beta_2 * m + (1 - beta_2) * g``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a zero-argument callable (default 0.001).
        beta_1: Interpolation factor between momentum and gradient for the update, in ``(0, 1]`` (default 0.9).
        beta_2: Decay rate of the momentum (default 0.99).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr`` before each update.
        clipnorm: If set, clip each gradient tensor to this L2 norm.
        clipvalue: If set, clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, clip all gradients jointly to this global L2 norm (at most one of the three
            clip options may be set).
        use_ema: Keep an exponential moving average (EMA) of the trained variables.
        ema_momentum: The EMA's momentum (default 0.99), in ``[0, 1]``; used with ``use_ema``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the variables with their EMA every this many
            iterations; None (the default) leaves that to ``finalize_variable_values``.
        loss_scale_factor: If set, the loss is multiplied by it before gradients are taken and the gradients
            are divided by it before the update.
        gradient_accumulation_steps: Must stay None: unlike Keras, kshim optimizers do not accumulate
            gradients over steps.
        name: The optimizer's name (by default the snake_case class name, made unique).
        **kwargs: Only the legacy ``decay`` (ignored) is accepted.

    Raises:
        ValueError: If a hyperparameter is not a number, more than one clip option is set,
            ``gradient_accumulation_steps`` is set or an unknown keyword is given,
            or ``beta_1`` is outside ``(0, 1]``.
        TypeError: If more positional arguments are given than the signature lists.
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._check_numbers(beta_1=beta_1, beta_2=beta_2)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build(self, variables: Sequence[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        d = variable.dtype
        lr = ops.cast(learning_rate, d)
        g = ops.cast(gradient, d)
        b1, b2 = ops.cast(self.beta_1, d), ops.cast(self.beta_2, d)
        m = self._momentums[self._index(variable)]
        variable.assign_sub(
            ops.multiply(lr, ops.sign(ops.add(ops.multiply(m, b1), ops.multiply(g, ops.subtract(1.0, b1)))))
        )
        m.assign(ops.add(ops.multiply(m, b2), ops.multiply(g, ops.subtract(1.0, b2))))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
