"""kshim: Keras 3's public API over NumPy, JAX and PyTorch backends that all train.

Use it as ``import kshim as keras``; pick the backend with ``KSHIM_BACKEND`` or
``kshim.backend.use(name)``. Submodules load on first use, so ``import kshim`` stays fast and
never imports jax or torch.
"""

from __future__ import annotations

import importlib
import os as _os
from typing import Any

# ``__version__`` is the Keras 3 API version kshim tracks, so Keras code that gates on it
# (``keras.__version__.startswith("3")``, ``packaging.version.parse(keras.__version__) >= ...``)
# takes its Keras 3 path under ``import kshim as keras``. kshim's own release is ``__kshim_version__``
# (the distribution's version, as ``pip show kshim`` reports it).
__version__ = "3.15.1"
__kshim_version__ = "0.1.0"


def version() -> str:
    """The Keras version kshim implements (``keras.version()``); kshim's own is ``kshim.__kshim_version__``.

    Returns:
        The Keras version string kshim follows (``kshim.__version__``), e.g. ``"3.x.y"``.
    """
    return __version__


from . import backends  # noqa: F401,E402  (kshim.backends registry)
from . import backend, config  # noqa: F401,E402

_SUBMODULES = {
    "activations",
    "constraints",
    "initializers",
    "ops",
    "random",
    "regularizers",
    "layers",
    "models",
    "saving",
    "utils",
    "optimizers",
    "losses",
    "metrics",
    "callbacks",
    "datasets",
    "dtypes",
    "dtype_policies",
    "testing",
    "trainers",
    "mixed_precision",
    "preprocessing",
    "export",
    "distribution",
    "tree",
    "wrappers",
    "legacy",
}
_NAMES = {
    "Input": "layers",
    "InputLayer": "layers",
    "InputSpec": "layers",
    "Layer": "layers",
    "Model": "models",
    "Sequential": "models",
    "SeedGenerator": "random",
    "Variable": "variables",
    "KerasTensor": "_symbolic",
    "DTypePolicy": "layers",
    "FloatDTypePolicy": "dtype_policies",
    "StatelessScope": "stateless_scope",
    "Loss": "losses",
    "Metric": "metrics",
    "Optimizer": "optimizers",
    "Initializer": "initializers",
    "Regularizer": "regularizers",
    "value_and_grad": "trainers.gradients",
    "alias_keras": "_alias",
    "unalias_keras": "_alias",
    "device": "backend",
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


if _os.environ.get("KSHIM_ALIAS_KERAS", "").strip():  # KSHIM_ALIAS_KERAS=1: alias `keras` at import
    from . import _alias

    _alias.alias_from_env()
