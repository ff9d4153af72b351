"""The one path by which the trainer writes new values into variables.

Every step result (built-in steps, a model's own step, the distribution runtime's placement and
weight broadcast) is written with :func:`write_values`, so what assigning a variable's value means
on a backend (e.g. keeping a torch parameter's identity) is decided in one place.
"""

from __future__ import annotations

from typing import Any, Iterable


def write_values(variables: Iterable[Any], values: Iterable[Any]) -> None:
    """Set each variable's value to the matching new value (no casting, no checks: the values come
    from a step that computed them from these variables)."""
    for v, val in zip(variables, values):
        v._value = val
