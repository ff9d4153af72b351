"""kshim: Keras 3's public API over NumPy, JAX and PyTorch backends that all train.

Use it as ``import kshim as keras``; pick the backend with ``KSHIM_BACKEND`` or
``kshim.backend.use(name)``. Submodules load on first use, so ``import kshim`` stays fast and
never imports jax or torch.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from . import backends  # noqa: F401  (kshim.backends registry)
from . import backend, config  # noqa: F401

_SUBMODULES = {"activations", "constraints", "initializers", "ops", "random", "regularizers", "layers", "models",
               "saving", "utils", "optimizers", "losses", "metrics", "callbacks", "datasets", "dtypes", "testing",
               "trainers", "mixed_precision"}
_NAMES = {
    "Input": "layers", "InputLayer": "layers", "Layer": "layers", "Model": "models", "Sequential": "models",
    "SeedGenerator": "random", "Variable": "variables", "KerasTensor": "_symbolic", "DTypePolicy": "layers",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        mod = importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kshim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))


def clear_session() -> None:
    """Reset auto-naming counters (``dense``, ``dense_1``, ...)."""
    from . import utils
    utils.clear_session()
