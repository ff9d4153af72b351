"""``kshim.constraints``: MaxNorm, MinMaxNorm, NonNeg, UnitNorm (applied after optimizer updates)."""

from __future__ import annotations

from typing import Any, overload

from . import _config as config, ops
from ._registry import lookup, serialize_obj


class Constraint:
    """Callable ``constraint(weight) -> projected weight``."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales weights so that the L2 norm along ``axis`` is at most ``max_value``.

    Each slice is multiplied by ``clip(norm, 0, max_value) / (epsilon + norm)``, so slices already within
    the bound are (up to ``epsilon``) unchanged.

    Args:
        max_value: The largest allowed norm (default 2.0).
        axis: Axis (or tuple of axes) the norms are computed over. The default 0 suits a ``Dense`` kernel of
            shape ``(input_dim, output_dim)``: one norm per output unit.
    """

    def __init__(self, max_value: float = 2.0, axis: int = 0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.clip(norms, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(config.epsilon(), norms)))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes the negative entries of a weight tensor (``w * (w >= 0)``).

    Takes no arguments.
    """

    def __call__(self, w):
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), ops.dtype(w)))


class UnitNorm(Constraint):
    """Divides weights by their L2 norm along ``axis`` (``w / (epsilon + norm)``), giving unit-norm slices.

    Args:
        axis: Axis (or tuple of axes) the norms are computed over (default 0: one norm per output unit of
            a ``Dense`` kernel).
    """

    def __init__(self, axis: int = 0):
        self.axis = axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        return ops.divide(w, ops.add(config.epsilon(), norms))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Rescales weights so that the L2 norm along ``axis`` moves into ``[min_value, max_value]``.

    The target norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm`` and each slice is
    multiplied by ``target / (epsilon + norm)``.

    Args:
        min_value: The smallest allowed norm (default 0.0).
        max_value: The largest allowed norm (default 1.0).
        rate: How far to move towards the clipped norm per application: 1.0 (the default) enforces the
            bounds at once, smaller values move only that fraction of the way.
        axis: Axis (or tuple of axes) the norms are computed over (default 0).
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: int = 0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.add(
            ops.multiply(self.rate, ops.clip(norms, self.min_value, self.max_value)), ops.multiply(1 - self.rate, norms)
        )
        return ops.multiply(w, ops.divide(desired, ops.add(config.epsilon(), norms)))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_CLASSES = {c.__name__: c for c in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
_ALIASES = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def serialize(constraint: Constraint) -> dict:
    """Config dict of ``constraint`` as Keras writes it.

    Args:
        constraint: A ``Constraint`` instance.

    Returns:
        ``{"module": "keras.constraints", "class_name", "config", "registered_name": None}``.
    """
    return serialize_obj(constraint, "keras.constraints")


def deserialize(config: Any, custom_objects: dict | None = None) -> Constraint:
    """Inverse of :func:`serialize`: a ``Constraint`` from a config dict or a name.

    Args:
        config: A config dict (``class_name`` a class name, an alias such as ``"max_norm"``, a
            ``custom_objects`` key or a registered name), or a name, which gives an instance with the
            default arguments.
        custom_objects: Optional ``{name: class}`` mapping consulted first.

    Returns:
        The ``Constraint`` instance.

    Raises:
        ValueError: For an unknown name or ``class_name``.
    """
    return lookup("constraint", config, _CLASSES, _ALIASES, custom_objects)


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: Any) -> Constraint: ...


def get(identifier: Any) -> Constraint | None:
    """A constraint from None, a name, a config dict, a class or a callable.

    Args:
        identifier: None (gives None), a callable instance (returned as is), a name or config dict (see
            :func:`deserialize`) or a ``Constraint`` class (instantiated with its defaults).

    Returns:
        The constraint, or None. Unlike Keras, a value of any other type is returned unchanged rather than
        rejected.

    Raises:
        ValueError: For an unknown name or ``class_name``.
    """
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    return lookup("constraint", identifier, _CLASSES, _ALIASES)
