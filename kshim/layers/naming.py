"""Unique auto-names (``dense``, ``dense_1``, ...) as Keras makes them."""
from __future__ import annotations

import re

_COUNTS: dict[str, int] = {}


def to_snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.lstrip("_")


def uniquify(base: str) -> str:
    n = _COUNTS.get(base, 0)
    _COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset() -> None:
    _COUNTS.clear()
