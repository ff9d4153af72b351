"""Run-to-run bitwise reproducible training: the state behind ``kshim.config.enable_determinism``.

A kshim extension (Keras 3 has no such function; TensorFlow users call
``tf.config.experimental.enable_op_determinism``). Turning determinism on asks every live backend,
and each backend created afterwards, to switch its framework to deterministic kernels
(``Backend.set_deterministic``: torch's deterministic algorithms with cuDNN/cuBLAS settings, XLA's GPU
determinism flag; NumPy needs none). What a backend cannot guarantee in this process (a flag read only
at device start-up) becomes a :class:`DeterminismWarning`. An op without a deterministic kernel warns
(torch's ``UserWarning`` names the op) rather than raising.

Seeds are separate: the same run twice is bit-identical only with the same seed
(``kshim.utils.set_random_seed``, which also seeds ``fit``'s shuffling; ``enable_determinism(seed)``
in ``kshim.config`` does both). Reproducibility is run to run on the same machine, software and
thread counts, not across machines or backends.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import backends

__all__ = ["DeterminismWarning", "set_deterministic", "is_deterministic"]

_STATE = {"enabled": False}


class DeterminismWarning(UserWarning):
    """A backend cannot guarantee deterministic results in this process (the message says why)."""


def _apply(backend: Any) -> None:
    switch = getattr(backend, "set_deterministic", None)
    if switch is None:  # a registered backend written before the protocol declared the method
        notes = [f"{type(backend).__name__} has no set_deterministic method, so its settings are unchanged."]
    else:
        notes = switch(_STATE["enabled"])
    for note in notes or ():
        warnings.warn(f"kshim determinism on the {backend.name!r} backend: {note}", DeterminismWarning, stacklevel=4)


def set_deterministic(enabled: bool) -> None:
    """Turn deterministic execution on or off for every backend, live or created later.

    Args:
        enabled: ``True`` to switch the frameworks to deterministic kernels; ``False`` restores the
            settings they had before.

    Raises:
        TypeError: ``enabled`` is not a bool.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"set_deterministic expects True or False, got {enabled!r}.")
    if enabled == _STATE["enabled"]:
        return
    _STATE["enabled"] = enabled
    backends.on_create(_on_create)
    for b in backends.live():
        _apply(b)


def _on_create(backend: Any) -> None:
    if _STATE["enabled"]:
        _apply(backend)


def is_deterministic() -> bool:
    """Whether deterministic execution is on."""
    return _STATE["enabled"]
