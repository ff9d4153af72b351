"""Real Keras 3 as an oracle column (``pip install kshim[oracle]``), on the JAX backend.

Keras is imported lazily, only here, after setting ``KERAS_BACKEND=jax`` (it must not be imported
by anything else in kshim).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .registry import Unavailable


def import_keras() -> Any:
    os.environ["KERAS_BACKEND"] = "jax"
    try:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 cases (kshim's JAX backend does the same)
        import keras
    except ImportError as e:
        raise Unavailable(f"keras is not installed ({e}); pip install 'kshim[oracle]'") from e
    if keras.backend.backend() != "jax":
        raise Unavailable(f"keras was already imported with the {keras.backend.backend()!r} backend")
    return keras


def to_numpy(x: Any) -> np.ndarray:
    keras = import_keras()
    return np.asarray(keras.ops.convert_to_numpy(x))


def flat_numpy(prefix: str, tree: Any) -> dict:
    if isinstance(tree, (list, tuple)):
        return {f"{prefix}/{i}": to_numpy(t) for i, t in enumerate(tree)}
    if isinstance(tree, dict):
        return {f"{prefix}/{i}": to_numpy(tree[k]) for i, k in enumerate(tree)}
    return {prefix: to_numpy(tree)}
