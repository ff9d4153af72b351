"""``kshim.utils``: seeds, label helpers, datasets of batches, progress bar."""
from __future__ import annotations

from typing import Any

import numpy as np

from .py_dataset import PyDataset  # noqa: F401


def set_random_seed(seed: int) -> None:
    """Seed kshim's host generator (initializers, shuffling, default SeedGenerators), Python's and NumPy's."""
    import random as _random

    from ..random import _GLOBAL, host
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an int, got {seed!r}.")
    host.set_seed(int(seed))
    _random.seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    _GLOBAL.clear()


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer labels as a float32 NumPy array."""
    y = np.asarray(x, dtype="int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    out = np.zeros((y.shape[0], num_classes), dtype="float32")
    out[np.arange(y.shape[0]), y] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    x = np.asarray(x)
    n = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    n[n == 0] = 1
    return x / n


def clear_session() -> None:
    """Reset auto-naming counters (``dense``, ``dense_1``, ...)."""
    from ..layers import naming
    from ..random import seed_generator
    naming.reset()
    seed_generator._NAMES.clear()


def __getattr__(name: str) -> Any:
    if name == "Progbar":
        from .progbar import Progbar
        return Progbar
    raise AttributeError(name)
