"""``kshim.regularizers``: L1, L2, L1L2, OrthogonalRegularizer."""
from __future__ import annotations

from typing import Any

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
    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = ops.zeros((), dtype=ops.dtype(x))
        if self.l1:
            out = ops.add(out, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            out = ops.add(out, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01):
        self.l1 = float(l1)

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01):
        self.l2 = float(l2)

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
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

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_CLASSES = {c.__name__: c for c in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Regularizer) -> dict:
    """Config dict of ``regularizer`` as Keras writes it."""
    return serialize_obj(regularizer, "keras.regularizers")


def deserialize(config: Any, custom_objects: dict | None = None) -> Regularizer:
    return lookup("regularizer", config, _CLASSES, _ALIASES, custom_objects)


def get(identifier: Any) -> Regularizer | None:
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    return lookup("regularizer", identifier, _CLASSES, _ALIASES)
