"""The case registry: ops, layers and models, each run on every backend and compared.

A :class:`Case` knows how to run itself under one backend (``run(backend, dtype) -> results``,
a flat dict of named NumPy arrays / Python values read back with that backend's own
``to_numpy``), which dtypes it supports, which kshim features it needs (``requires``: dotted
names under ``kshim``; a missing one makes the case *unavailable* with that reason instead of
silently disappearing), and optionally how to run real Keras 3 on the same weights (``oracle``).

Result keys name what they hold, and the key prefix picks the tolerance (see ``compare.py``):
``init/*`` initial weights (exact), ``forward/*`` outputs (the case's ``tol`` kind), ``grad/*``
gradients, ``train/*`` losses and weights after training steps, ``exact/*`` bit-for-bit values.
"""

from __future__ import annotations

import dataclasses
import importlib
import zlib
from typing import Any, Callable

import numpy as np

FLOATS = ("float32", "float64")


class Unavailable(Exception):
    """Raised by a case when kshim lacks something it needs (reported, not failed)."""


@dataclasses.dataclass
class Case:
    name: str  # "ops.exp", "layers.Dense", "models.mlp"
    kind: str  # "op" | "random" | "layer" | "model"
    run: Callable[[Any, str], dict]  # (backend object, dtype) -> results
    dtypes: tuple = FLOATS
    tol: str = "elementwise"  # tolerance kind of forward/* (tolerances.py)
    requires: tuple = ()  # dotted names under kshim, e.g. "layers.LSTM"
    oracle: Callable[[str, dict], dict] | None = None  # (dtype, reference results) -> results
    slow: bool = False
    note: str = ""

    def seed(self) -> int:
        """A stable per-case seed (input builders use ``np.random.default_rng(case.seed())``)."""
        return zlib.crc32(self.name.encode()) & 0x7FFFFFFF

    def missing(self) -> str | None:
        """Why the case cannot run with this kshim (None when everything it needs exists)."""
        for dotted in self.requires:
            reason = missing_feature(dotted)
            if reason:
                return reason
        return None


def missing_feature(dotted: str) -> str | None:
    """None when ``kshim.<dotted>`` exists, else a one-line reason."""
    mod_name, _, attr = dotted.rpartition(".")
    try:
        mod = importlib.import_module(f"kshim.{mod_name}") if mod_name else importlib.import_module("kshim")
    except Exception as e:  # noqa: BLE001 - an unimportable module is the reason itself
        return f"kshim.{mod_name} cannot be imported ({type(e).__name__}: {e})"
    if not hasattr(mod, attr):
        return f"kshim.{dotted} does not exist yet"
    return None


_REGISTRY: dict[str, Case] = {}
_LOADED = False


def register(case: Case) -> Case:
    if case.name in _REGISTRY:
        raise ValueError(f"Duplicate compat case {case.name!r}.")
    _REGISTRY[case.name] = case
    return case


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        import importlib
        import os

        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
        areas = sorted(f[:-3] for f in os.listdir(here) if f.startswith("ops_") and f.endswith(".py"))
        for mod in ("ops", *areas, "layers", "models"):  # register on import (ops_<area>.py: one area each)
            importlib.import_module(f".cases.{mod}", __package__)


def all_cases(kinds: Any = None, filter: str | None = None) -> list[Case]:  # noqa: A002
    """Registered cases, optionally restricted to ``kinds`` and names containing ``filter``."""
    _load()
    out = list(_REGISTRY.values())
    if kinds:
        kinds = {kinds} if isinstance(kinds, str) else set(kinds)
        out = [c for c in out if c.kind in kinds]
    if filter:
        subs = [s.strip().lower() for s in filter.split(",") if s.strip()]
        out = [c for c in out if any(s in c.name.lower() for s in subs)]
    return out


def get(name: str) -> Case:
    _load()
    return _REGISTRY[name]


def rng_for(case_name: str, dtype: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{case_name}/{dtype}".encode()))
