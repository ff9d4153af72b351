"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant`` and ``Identity``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Initializer


class Zeros(Initializer):
    """All zeros."""

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        return np.ones(shape)


class Constant(Initializer):
    """A constant: a scalar or an array broadcastable to the shape.

    Args:
        value: The value.
    """

    def __init__(self, value: Any = 0.0):
        self.value = value

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value), shape)

    def get_config(self) -> dict:
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; non-square shapes get ``np.eye(rows, cols)``).

    Args:
        gain: Multiplicative factor.
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * np.eye(*shape)

    def get_config(self) -> dict:
        return {"gain": self.gain}
