"""Active-backend selection.

Order: ``kshim.backend.use(name)`` (context manager) > ``KSHIM_BACKEND`` > ``KERAS_BACKEND`` >
``~/.kshim/kshim.json`` (``{"backend": ...}``) > ``"numpy"``.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from typing import Any, Iterator

from . import backends as _registry
from .config import _read_file_config

_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("kshim_backend", default=None)
_DEFAULT: Any = None


def default_name() -> str:
    """The backend name chosen by environment/config file (ignoring ``use``)."""
    for var in ("KSHIM_BACKEND", "KERAS_BACKEND"):
        v = os.environ.get(var)
        if v:
            return v.strip().lower()
    name = _read_file_config().get("backend")
    return str(name).lower() if name else "numpy"


def current() -> Any:
    """The active backend object."""
    b = _ACTIVE.get()
    if b is None:
        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = _registry.get(default_name())
        b = _DEFAULT
    return b


def backend() -> str:
    """Name of the active backend."""
    return current().name


def get(name: str) -> Any:
    """Backend object by name (see ``kshim.backends.get``)."""
    return _registry.get(name)


@contextlib.contextmanager
def use(name_or_backend: Any) -> Iterator[Any]:
    """Make a backend active inside a ``with`` block (thread- and task-local).

    Example:
        >>> with kshim.backend.use("numpy") as b:
        ...     b.name
        'numpy'
    """
    b = _registry.get(name_or_backend) if isinstance(name_or_backend, str) else name_or_backend
    token = _ACTIVE.set(b)
    try:
        yield b
    finally:
        _ACTIVE.reset(token)


def set_backend(name: str) -> None:
    """Set the process-wide default backend (used outside any ``use`` block)."""
    global _DEFAULT
    _DEFAULT = _registry.get(name)
