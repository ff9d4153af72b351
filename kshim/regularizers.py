"""``kshim.regularizers``: L1, L2, L1L2, OrthogonalRegularizer."""

from __future__ import annotations

from typing import Any, overload

from . import ops
from ._registry import lookup, serialize_obj


class Regularizer:
    """Callable ``regularizer(weight) -> scalar penalty``."""

    def __call__(self, x: Any) -> Any:
        return ops.zeros(())

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)


class L1L2(Regularizer):
    """Penalty ``l1 * sum(|x|) + l2 * sum(x**2)``; a zero factor's term is skipped.

    Args:
        l1: The L1 factor (float, default 0.0).
        l2: The L2 factor (float, default 0.0).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = ops.zeros((), dtype=ops.dtype(x))
        if self.l1:
            out = ops.add(out, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            out = ops.add(out, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return out

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """Penalty ``l1 * sum(|x|)``.

    Args:
        l1: The L1 factor (float, default 0.01).
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = float(l1)

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """Penalty ``l2 * sum(x**2)``.

    Args:
        l2: The L2 factor (float, default 0.01).
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = float(l2)

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight matrix.

    The rows (or columns) are L2-normalized; the penalty is ``factor`` times the mean absolute
    off-diagonal entry of their Gram matrix (0 when the vectors are orthogonal).

    Args:
        factor: The penalty factor (float, default 0.01).
        mode: ``"rows"`` (the default) to decorrelate the rows of the matrix, ``"columns"`` for its columns.

    Raises:
        ValueError: If ``mode`` is neither ``"rows"`` nor ``"columns"``.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer mode must be 'rows' or 'columns', got {mode!r}.")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        x = x if self.mode == "columns" else ops.transpose(x)
        x = ops.normalize(x, axis=0)
        prod = ops.matmul(ops.transpose(x), x)
        n = ops.shape(prod)[0]
        off = ops.subtract(prod, ops.eye(n, dtype=ops.dtype(prod)))
        return ops.multiply(self.factor, ops.divide(ops.sum(ops.abs(off)), float(n * (n - 1)) or 1.0))

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_CLASSES = {c.__name__: c for c in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Regularizer) -> dict:
    """Config dict of ``regularizer`` as Keras writes it.

    Args:
        regularizer: A ``Regularizer`` instance.

    Returns:
        ``{"module": "keras.regularizers", "class_name", "config", "registered_name": None}``.
    """
    return serialize_obj(regularizer, "keras.regularizers")


def deserialize(config: Any, custom_objects: dict | None = None) -> Regularizer:
    """Inverse of :func:`serialize`: a ``Regularizer`` from a config dict or a name.

    Args:
        config: A config dict (``class_name`` a class name, an alias such as ``"l1_l2"``, a
            ``custom_objects`` key or a registered name), or a name, which gives an instance with the
            default arguments.
        custom_objects: Optional ``{name: class}`` mapping consulted first.

    Returns:
        The ``Regularizer`` instance.

    Raises:
        ValueError: For an unknown name or ``class_name``.
    """
    return lookup("regularizer", config, _CLASSES, _ALIASES, custom_objects)


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: Any) -> Regularizer: ...


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from None, a name, a config dict, a class or a callable.

    Args:
        identifier: None (gives None), a callable instance (returned as is), a name or config dict (see
            :func:`deserialize`) or a ``Regularizer`` class (instantiated with its defaults).

    Returns:
        The regularizer, or None. Unlike Keras, a value of any other type is returned unchanged rather than
        rejected.

    Raises:
        ValueError: For an unknown name or ``class_name``.
    """
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    return lookup("regularizer", identifier, _CLASSES, _ALIASES)
