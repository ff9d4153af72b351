"""Learning-rate schedules (``keras.optimizers.schedules``), traceable: each ``__call__`` uses ``kshim.ops``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from .. import ops


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate`` (a scalar tensor)."""

    def __call__(self, step: Any) -> Any:
        raise TypeError(f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise TypeError(f"Learning rate schedule '{type(self).__name__}' must override `get_config()`.")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)


def _f(x: Any) -> Any:
    """Python number -> float32 tensor (the dtype Keras' schedules compute in)."""
    return ops.convert_to_tensor(x, "float32") if isinstance(x, (int, float)) else ops.convert_to_tensor(x)


def _check_steps(name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class _StepDecay(LearningRateSchedule):
    """Shared by the decays driven by ``step / decay_steps`` (floored when ``staircase``)."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name or type(self).__name__

    def _progress(self, step: Any) -> tuple:
        lr = _f(self.initial_learning_rate)
        dtype = ops.dtype(lr)
        p = ops.divide(ops.cast(step, dtype), ops.cast(self.decay_steps, dtype))
        return lr, dtype, (ops.floor(p) if self.staircase else p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored if ``staircase``).

    Args:
        initial_learning_rate: The rate at step 0 (a Python float, computed in float32).
        decay_steps: The number of steps over which the rate is multiplied by ``decay_rate`` once; must be > 0.
        decay_rate: The multiplicative decay per ``decay_steps``.
        staircase: If True, ``step / decay_steps`` is floored, so the rate changes in steps.
        name: Optional name (defaults to the class name).

    Raises:
        ValueError: If ``decay_steps <= 0``.
    """

    def __call__(self, step: Any) -> Any:
        lr, dtype, p = self._progress(step)
        return ops.multiply(lr, ops.power(ops.cast(self.decay_rate, dtype), p))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``.

    That is ``values[0]`` up to and including ``boundaries[0]`` and ``values[-1]`` after ``boundaries[-1]``.

    Args:
        boundaries: Increasing step boundaries (cast to the step's dtype).
        values: The rates, one more than ``boundaries``.
        name: Optional name (default ``"PiecewiseConstant"``).

    Raises:
        ValueError: If ``len(boundaries) != len(values) - 1``.
    """

    def __init__(self, boundaries: Sequence[Any], values: Sequence[Any], name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                f"of length {len(values)}."
            )
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step: Any) -> Any:
        step = ops.convert_to_tensor(step)
        sd = ops.dtype(step)
        bounds = [ops.cast(b, sd) for b in self.boundaries]
        values = [_f(v) for v in self.values]
        rd = ops.dtype(values[0])
        out = ops.multiply(ops.cast(ops.less_equal(step, bounds[0]), rd), values[0])
        out = ops.add(out, ops.multiply(ops.cast(ops.greater(step, bounds[-1]), rd), values[-1]))
        for low, high, v in zip(bounds[:-1], bounds[1:], values[1:-1]):
            inside = ops.logical_and(ops.greater(step, low), ops.less_equal(step, high))
            out = ops.add(out, ops.multiply(ops.cast(inside, rd), v))
        return out

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``.

    The rate is ``(initial - end) * (1 - step / decay_steps) ** power + end``, with ``step`` capped at
    ``decay_steps``; with ``cycle``, ``decay_steps`` is instead multiplied by ``ceil(step / decay_steps)``
    (1 at step 0), so the decay restarts from a lower point each cycle.

    Args:
        initial_learning_rate: The rate at step 0 (a Python float, computed in float32).
        decay_steps: The steps to reach ``end_learning_rate``; must be > 0.
        end_learning_rate: The final rate (default 0.0001).
        power: The polynomial's power (default 1.0, linear).
        cycle: Whether to cycle beyond ``decay_steps`` (default False: stay at ``end_learning_rate``).
        name: Optional name (default ``"PolynomialDecay"``).

    Raises:
        ValueError: If ``decay_steps <= 0``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = end_learning_rate, power, cycle, name

    def __call__(self, step: Any) -> Any:
        lr = _f(self.initial_learning_rate)
        dtype = ops.dtype(lr)
        end = ops.cast(self.end_learning_rate, dtype)
        power = ops.cast(self.power, dtype)
        s = ops.cast(step, dtype)
        ds = ops.cast(self.decay_steps, dtype)
        if self.cycle:
            mult = ops.where(ops.equal(s, 0), ops.cast(1.0, dtype), ops.ceil(ops.divide(s, ds)))
            ds = ops.multiply(ds, mult)
        else:
            s = ops.minimum(s, ds)
        p = ops.divide(s, ds)
        return ops.add(ops.multiply(ops.subtract(lr, end), ops.power(ops.subtract(1.0, p), power)), end)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored if ``staircase``).

    Args:
        initial_learning_rate: The rate at step 0 (a Python float, computed in float32).
        decay_steps: The step count that ``step`` is divided by; must be > 0.
        decay_rate: The decay factor.
        staircase: If True, ``step / decay_steps`` is floored, so the rate changes in steps.
        name: Optional name (defaults to the class name).

    Raises:
        ValueError: If ``decay_steps <= 0``.
    """

    def __call__(self, step: Any) -> Any:
        lr, dtype, p = self._progress(step)
        return ops.divide(lr, ops.add(ops.cast(1, dtype), ops.multiply(ops.cast(self.decay_rate, dtype), p)))


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup to ``warmup_target``, then cosine decay to ``alpha`` times it.

    Without ``warmup_target`` the rate is ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``
    with ``s = min(step, decay_steps)``. With it, the rate rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target`` the same way over the next
    ``decay_steps``.

    Args:
        initial_learning_rate: The rate at step 0 (a Python float, computed in float32).
        decay_steps: The length of the cosine decay in steps; must be > 0.
        alpha: The final rate as a fraction of the decayed-from rate (default 0.0).
        name: Optional name (default ``"CosineDecay"``).
        warmup_target: The rate reached at the end of the warmup; None (the default) disables the warmup.
        warmup_steps: The length of the warmup in steps (default 0).

    Raises:
        ValueError: If ``decay_steps <= 0``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = (
            initial_learning_rate,
            decay_steps,
            alpha,
            name,
        )
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, step: Any, decay_steps: Any, from_lr: Any, dtype: str) -> Any:
        frac = ops.divide(step, decay_steps)
        cos = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(ops.cast(math.pi, dtype), frac))))
        return ops.multiply(from_lr, ops.add(ops.multiply(1 - self.alpha, cos), self.alpha))

    def __call__(self, step: Any) -> Any:
        lr = _f(self.initial_learning_rate)
        dtype = ops.dtype(lr)
        ds = ops.cast(self.decay_steps, dtype)
        s = ops.cast(step, dtype)
        if self.warmup_target is None:
            return self._decay(ops.minimum(s, ds), ds, lr, dtype)
        target = ops.cast(self.warmup_target, dtype)
        ws = ops.cast(self.warmup_steps, dtype)
        s = ops.minimum(s, ops.add(ds, ws))
        # Both branches are finite for every step, so a `where` replaces Keras' `cond` (traceable everywhere).
        warm = ops.add(ops.multiply(ops.subtract(target, lr), ops.divide(s, ws)), lr)
        decayed = self._decay(ops.subtract(s, ws), ds, target, dtype)
        return ops.where(ops.less(s, ws), warm, decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by ``t_mul``, peaks scale by ``m_mul``.

    Period ``i`` (from 0) lasts ``first_decay_steps * t_mul**i`` steps; within it the rate follows
    ``initial_learning_rate * ((1 - alpha) * m_mul**i * 0.5 * (1 + cos(pi * f)) + alpha)`` for the fraction
    ``f`` of the period elapsed, so every period ends at ``alpha * initial_learning_rate``.

    Args:
        initial_learning_rate: The rate at step 0 (a Python float, computed in float32).
        first_decay_steps: The length of the first period in steps; must be > 0.
        t_mul: The growth factor of each period's length (default 2.0).
        m_mul: The factor applied to each restart's peak rate (default 1.0).
        alpha: The minimum rate as a fraction of ``initial_learning_rate`` (default 0.0).
        name: Optional name (default ``"SGDRDecay"``).

    Raises:
        ValueError: If ``first_decay_steps <= 0``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        _check_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step: Any) -> Any:
        lr = _f(self.initial_learning_rate)
        dtype = ops.dtype(lr)
        alpha = ops.cast(self.alpha, dtype)
        t_mul = ops.cast(self._t_mul, dtype)
        m_mul = ops.cast(self._m_mul, dtype)
        frac = ops.divide(ops.cast(step, dtype), ops.cast(self.first_decay_steps, dtype))
        if float(self._t_mul) == 1.0:  # a Python constant, so a static branch
            i_restart = ops.floor(frac)
            frac = ops.subtract(frac, i_restart)
        else:
            i_restart = ops.floor(
                ops.divide(ops.log(ops.subtract(1.0, ops.multiply(frac, ops.subtract(1.0, t_mul)))), ops.log(t_mul))
            )
            sum_r = ops.divide(ops.subtract(1.0, ops.power(t_mul, i_restart)), ops.subtract(1.0, t_mul))
            frac = ops.divide(ops.subtract(frac, sum_r), ops.power(t_mul, i_restart))
        m_fac = ops.power(m_mul, i_restart)
        cos = ops.multiply(
            ops.multiply(0.5, m_fac), ops.add(1.0, ops.cos(ops.multiply(ops.cast(math.pi, dtype), frac)))
        )
        return ops.multiply(lr, ops.add(ops.multiply(ops.subtract(1.0, alpha), cos), alpha))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    c.__name__: c
    for c in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """``{"module", "class_name", "config", "registered_name"}`` as Keras writes it.

    Args:
        learning_rate_schedule: A ``LearningRateSchedule`` instance.

    Returns:
        The config dict, with ``"module": "keras.optimizers.schedules"`` and ``registered_name`` None.
    """
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(learning_rate_schedule).__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Inverse of :func:`serialize`.

    Args:
        config: A dict as :func:`serialize` writes it; ``class_name`` must name a built-in schedule or a
            ``custom_objects`` key, and the schedule is built with ``from_config`` from ``config["config"]``.
        custom_objects: Optional ``{name: class}`` mapping consulted first.

    Returns:
        The ``LearningRateSchedule`` instance.

    Raises:
        ValueError: For an unknown ``class_name``.
    """
    name: Any = config.get("class_name")  # any JSON value: an unknown one raises below
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule {name!r}. Valid: {', '.join(sorted(_SCHEDULES))}.")
    return cls.from_config(config.get("config", {}))
