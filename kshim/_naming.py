"""Unique auto-names (``dense``, ``dense_1``, ...) as Keras makes them."""

from __future__ import annotations

import re

_COUNTS: dict[str, int] = {}


def to_snake_case(name: str) -> str:
    """Keras' rule: ``Conv2DTranspose`` -> ``conv2d_transpose``, ``BatchNormalization`` -> ``batch_normalization``."""
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s


def uniquify(base: str) -> str:
    n = _COUNTS.get(base, 0)
    _COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def next_uid(prefix: str) -> int:
    """Issue the next id for ``prefix`` (``keras.backend.get_uid``); auto-names draw on the same counters."""
    _COUNTS[prefix] = _COUNTS.get(prefix, 0) + 1
    return _COUNTS[prefix]


def reset() -> None:
    _COUNTS.clear()
