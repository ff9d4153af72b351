"""``DataLayer``: the base of every preprocessing and augmentation layer.

A data layer runs on the active backend when it sits inside a model (its random draws are then
threaded through the jitted step like any other seed-generator state), and on NumPy in a data
pipeline: :func:`run_on_numpy` calls it under the NumPy backend and returns NumPy arrays. Real
Keras does the second half by switching such layers to TensorFlow inside ``tf.data``; kshim needs
no TensorFlow.

A data layer without weights may therefore be called under any backend. Its seed generator is one
per backend, all started from the same seed, so a pipeline on NumPy and a model on JAX draw the
same augmentations for the same seed (kshim.random is bit-identical across backends).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend as _backend
from ... import random as _random
from ..layer import Layer

__all__ = ["DataLayer", "run_on_numpy"]


class DataLayer(Layer):
    """Base class of preprocessing layers (Keras' ``DataLayer``).

    Subclasses that draw random numbers call ``self._init_seed(seed)`` in ``__init__`` and use
    ``self.generator`` (not a stored ``SeedGenerator``) when drawing, which picks the generator of the
    active backend.
    """

    _backend_free = True
    _generator_seed: Any  # set by _init_seed (bypassing attribute tracking)

    def _init_seed(self, seed: int | None) -> None:
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        object.__setattr__(self, "_generators_by_backend", {})
        object.__setattr__(self, "_generator_seed", self.seed_generator._initial_seed)

    @property
    def generator(self) -> Any:
        """The seed generator for the active backend (the tracked one for the layer's own backend;
        an untracked twin with the same starting seed for any other, e.g. NumPy in a pipeline)."""
        gen = self.__dict__.get("seed_generator")
        if gen is None:
            raise AttributeError(f"{type(self).__name__} draws no random numbers (call _init_seed first).")
        current = _backend.current()
        if getattr(gen.state, "_backend", current) is current:
            return gen
        others = self.__dict__["_generators_by_backend"]
        if current.name not in others:
            twin = _random.SeedGenerator(self._generator_seed)
            others[current.name] = twin
        return others[current.name]

    def _seed(self, seed: Any) -> Any:
        """The seed for one draw: an explicit ``seed`` (Keras' ``get_random_transformation(seed=...)``)
        or this layer's generator for the active backend."""
        return self.generator if seed is None else seed


def _to_numpy_tree(value: Any) -> Any:
    from ... import ops

    if isinstance(value, dict):
        return {k: _to_numpy_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy_tree(v) for v in value)
    if value is None or isinstance(value, (str, bytes, int, float, bool, np.ndarray)):
        return value
    return np.asarray(ops.convert_to_numpy(value))


def run_on_numpy(layer: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``layer`` (or any callable built from data layers) under the NumPy backend and return
    NumPy arrays (dicts and tuples of them for dict inputs): the data-pipeline form of a
    preprocessing layer, independent of the backend the model trains on.

    Args:
        layer: A data layer, a ``Pipeline``/``Sequential`` of data layers, or a function of them.
        *args: Positional arguments for the call (NumPy arrays, lists, dicts of arrays).
        **kwargs: Keyword arguments for the call (e.g. ``training=True``).

    Returns:
        The call's result with every tensor converted to a NumPy array.
    """
    with _backend.use("numpy"):
        return _to_numpy_tree(layer(*args, **kwargs))
