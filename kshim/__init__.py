"""kshim: Keras 3's public API over NumPy, JAX and PyTorch backends that all train.

Use it as ``import kshim as keras``; pick the backend with ``KSHIM_BACKEND`` or
``kshim.backend.use(name)``.
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import backends  # noqa: F401  (kshim.backends registry)
from . import backend, config  # noqa: F401
from . import activations, constraints, initializers, ops, random, regularizers  # noqa: F401
from . import layers, models, saving, utils  # noqa: F401
from .layers import Input, InputLayer, Layer  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from .random import SeedGenerator  # noqa: F401
from .variables import Variable  # noqa: F401
from ._symbolic import KerasTensor  # noqa: F401

_LAZY = {"optimizers", "losses", "metrics", "callbacks", "datasets", "compat", "applications"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        mod = importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'kshim' has no attribute {name!r}")


def clear_session() -> None:
    utils.clear_session()
