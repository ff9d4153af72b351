"""Stateless scope: substitute values for variables and collect assignments instead of applying them."""

from __future__ import annotations

import contextvars
from typing import Any, Iterable

_SCOPE: contextvars.ContextVar["StatelessScope | None"] = contextvars.ContextVar("kshim_stateless", default=None)


class StatelessScope:
    """Inside ``with StatelessScope(mapping):`` reading a variable gives its mapped value and
    ``assign`` records the new value in ``updates`` instead of changing the variable.

    Scopes nest: a variable an inner scope neither maps nor records is read from, and assigned
    in, the enclosing scope (so a gradient scope over the trainable variables inside a training
    step's scope over all variables sees and records the non-trainable ones in the outer scope).
    """

    def __init__(
        self, state_mapping: Iterable[tuple[Any, Any]] = (), collect_losses: bool = False, record_all: bool = False
    ):
        self.values: dict[int, Any] = {id(v): val for v, val in state_mapping}
        self.updates: dict[int, Any] = {}
        self.assigned: dict[int, Any] = {}  # id -> the variable object, for every entry of ``updates``
        self.losses: list[Any] = []
        self.collect_losses = collect_losses
        self.record_all = record_all  # record assignments to every variable, not only mapped ones
        self.parent: StatelessScope | None = None
        self._token: contextvars.Token[StatelessScope | None] | None = None

    def get(self, variable: Any) -> Any:
        key = id(variable)
        if key in self.updates:
            return self.updates[key]
        v = self.values.get(key)
        if v is None and self.parent is not None:
            return self.parent.get(variable)
        return v

    def owner_of(self, variable: Any) -> "StatelessScope | None":
        """The innermost scope (this or an enclosing one) that records assignments to ``variable``."""
        scope: StatelessScope | None = self
        key = id(variable)
        while scope is not None:
            if scope.record_all or key in scope.values or key in scope.updates:
                return scope
            scope = scope.parent
        return None

    def assign(self, variable: Any, value: Any) -> None:
        self.updates[id(variable)] = value
        self.assigned[id(variable)] = variable

    def update_for(self, variable: Any, default: Any = None) -> Any:
        """The value assigned to ``variable`` in this scope, else its mapped value, else default."""
        key = id(variable)
        if key in self.updates:
            return self.updates[key]
        v = self.values.get(key)
        return default if v is None else v

    def __enter__(self) -> "StatelessScope":
        self.parent = _SCOPE.get()
        self._token = _SCOPE.set(self)
        return self

    def __exit__(self, *exc) -> None:
        assert self._token is not None, "__enter__ sets it"
        _SCOPE.reset(self._token)
        self.parent = None


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


_ZERO_INIT: contextvars.ContextVar[bool] = contextvars.ContextVar("kshim_zero_init", default=False)


class ZeroInitScope:
    """Inside, layer weights are created as zeros instead of drawing from their initializers:
    loading a model overwrites every weight, so drawing random values (and the memory that
    takes for a large layer) is wasted work."""

    def __enter__(self) -> "ZeroInitScope":
        self._token = _ZERO_INIT.set(True)
        return self

    def __exit__(self, *exc) -> None:
        _ZERO_INIT.reset(self._token)


def zero_init() -> bool:
    """Whether weights are being created for a model that is about to be loaded."""
    return _ZERO_INIT.get()
