"""Small helpers shared by the callbacks (log conversion, scalar reads)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def to_float(value: Any) -> float:
    """A Python float from a float, NumPy scalar, backend tensor or ``kshim.Variable``."""
    try:
        return float(value)
    except Exception:
        pass
    try:
        from ..ops import convert_to_numpy

        return float(np.asarray(convert_to_numpy(value)))
    except Exception:
        return float(np.asarray(value))


def _is_tensor_like(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic)


def pythonify_logs(logs: Any) -> dict:
    """Flatten nested dicts, sort keys and turn scalar values into Python floats.

    Same contract as Keras' ``python_utils.pythonify_logs``: values that cannot be
    converted (strings, non-scalar arrays) are kept as they are. Returns a new dict.
    """
    logs = logs or {}
    result: dict = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        if _is_tensor_like(value) and math.prod(tuple(value.shape)) != 1:
            result[key] = value  # not a scalar: kept as is (and not synced to the host)
            continue
        try:
            if _is_tensor_like(value) and not isinstance(value, np.ndarray):
                from ..ops import convert_to_numpy

                value = convert_to_numpy(value)
            value = float(value)
        except Exception:
            pass
        result[key] = value
    return result


def flatten_callbacks(callbacks: Any) -> list:
    """A list from ``None``, one callback, or (nested) lists/tuples of callbacks."""
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        out: list = []
        for c in callbacks:
            out.extend(flatten_callbacks(c))
        return out
    return [callbacks]
