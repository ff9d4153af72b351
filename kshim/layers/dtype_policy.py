"""Dtype policies: ``float32``, ``float64``, ``mixed_float16``, ``mixed_bfloat16``."""
from __future__ import annotations

from typing import Any

from .. import config


class DTypePolicy:
    """Variable dtype and compute dtype of a layer (``mixed_*`` keep float32 variables)."""

    def __init__(self, name: str | None = None):
        name = name or config.floatx()
        if name.startswith("mixed_"):
            self.variable_dtype, self.compute_dtype = "float32", name[len("mixed_"):]
        else:
            from ..dtypes import standardize_dtype
            self.variable_dtype = self.compute_dtype = standardize_dtype(name)
        self.name = name

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


def get(dtype: Any) -> DTypePolicy:
    if dtype is None:
        return DTypePolicy(_GLOBAL[0] or config.floatx())
    if isinstance(dtype, DTypePolicy):
        return dtype
    if isinstance(dtype, dict):
        cfg = dtype.get("config", dtype)
        return DTypePolicy(cfg.get("name"))
    return DTypePolicy(str(getattr(dtype, "name", dtype)))


_GLOBAL: list = [None]


def set_dtype_policy(policy: Any) -> None:
    """Set the global default policy (e.g. ``"mixed_float16"``); None goes back to the default,
    which follows ``floatx()``."""
    _GLOBAL[0] = None if policy is None else get(policy).name


def dtype_policy() -> DTypePolicy:
    return get(None)


def serialize(policy: DTypePolicy) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": policy.name},
            "registered_name": None}
