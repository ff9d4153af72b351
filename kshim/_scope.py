"""Stateless scope: substitute values for variables and collect assignments instead of applying them."""
from __future__ import annotations

import contextvars
from typing import Any, Iterable

_SCOPE: contextvars.ContextVar["StatelessScope | None"] = contextvars.ContextVar("kshim_stateless", default=None)


class StatelessScope:
    """Inside ``with StatelessScope(mapping):`` reading a variable gives its mapped value and
    ``assign`` records the new value in ``updates`` instead of changing the variable."""

    def __init__(self, state_mapping: Iterable[tuple[Any, Any]] = (), collect_losses: bool = False,
                 record_all: bool = False):
        self.values: dict[int, Any] = {id(v): val for v, val in state_mapping}
        self.updates: dict[int, Any] = {}
        self.losses: list[Any] = []
        self.collect_losses = collect_losses
        self.record_all = record_all  # record assignments to every variable, not only mapped ones
        self._token = None

    def get(self, variable: Any) -> Any:
        key = id(variable)
        if key in self.updates:
            return self.updates[key]
        return self.values.get(key)

    def assign(self, variable: Any, value: Any) -> None:
        self.updates[id(variable)] = value

    def update_for(self, variable: Any, default: Any = None) -> Any:
        """The value assigned to ``variable`` in this scope, else its mapped value, else default."""
        v = self.get(variable)
        return default if v is None else v

    def __enter__(self) -> "StatelessScope":
        self._token = _SCOPE.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _SCOPE.reset(self._token)


def current_scope() -> StatelessScope | None:
    return _SCOPE.get()


_AUTOCAST: contextvars.ContextVar[str | None] = contextvars.ContextVar("kshim_autocast", default=None)


def autocast_dtype() -> str | None:
    """Inside a mixed-precision layer call: the compute dtype float variables are read as."""
    return _AUTOCAST.get()


class AutocastScope:
    """Float variables with ``autocast=True`` read as ``dtype`` (``None`` turns autocasting off)."""

    def __init__(self, dtype: str | None):
        self.dtype = dtype

    def __enter__(self) -> "AutocastScope":
        self._token = _AUTOCAST.set(self.dtype)
        return self

    def __exit__(self, *exc) -> None:
        _AUTOCAST.reset(self._token)
