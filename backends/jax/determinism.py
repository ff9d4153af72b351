"""Determinism switches of the JAX backend (``JaxBackend.set_deterministic``).

XLA's CPU kernels are deterministic run to run for a fixed thread count. On GPU, reductions and
scatters use atomics unless ``--xla_gpu_deterministic_ops=true`` is in ``XLA_FLAGS`` (XLA then picks
deterministic algorithms, or fails to compile an op that has none); XLA reads the flags once, when
JAX initialises its devices, so the flag is added to the environment and a note is returned if
devices other than the CPU were initialised without it.
"""

from __future__ import annotations

import os

import jax

FLAG = "--xla_gpu_deterministic_ops=true"
_added: list = []


def _initialized() -> bool:
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # a JAX without the query: assume initialised (the safe note)
        return True


def set_deterministic(enabled: bool) -> list[str]:
    """Add (or, when turning off, remove again) the XLA determinism flag; note it if it comes too late."""
    flags = os.environ.get("XLA_FLAGS", "")
    if not enabled:
        if _added and FLAG in flags.split():
            os.environ["XLA_FLAGS"] = " ".join(f for f in flags.split() if f != FLAG)
        _added.clear()
        return []
    if "xla_gpu_deterministic_ops" in flags:
        return []
    was_initialized = _initialized()
    os.environ["XLA_FLAGS"] = f"{flags} {FLAG}".strip()
    _added.append(FLAG)
    if was_initialized and any(d.platform != "cpu" for d in jax.devices()):
        return [
            f"JAX initialised its {jax.devices()[0].platform} devices before determinism was enabled, so "
            f"XLA did not read {FLAG}; put it in XLA_FLAGS before starting Python, or enable "
            f"determinism before the first JAX computation."
        ]
    return []
