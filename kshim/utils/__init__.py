"""``kshim.utils``: seeds, label helpers, datasets of batches, progress bar, and the data utilities
(``get_file``, image files, ``*_dataset_from_directory``, ``timeseries_dataset_from_array``,
``split_dataset``) that return :class:`~kshim.utils.array_dataset.ArrayDataset` objects ``fit`` takes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .py_dataset import PyDataset  # noqa: F401

Sequence = PyDataset  # Keras 3 keeps ``keras.utils.Sequence`` as an alias of ``PyDataset``


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """Split a batch into ``(x, y, sample_weight)``, filling missing parts with ``None``.

    Args:
        data: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list counts as a tuple).

    Returns:
        A 3-tuple.

    Raises:
        ValueError: a tuple of more than three elements.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements: {data}"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Inverse of ``unpack_x_y_sample_weight``: ``x`` alone (a list/tuple ``x`` as ``(x,)``),
    ``(x, y)`` or ``(x, y, sample_weight)``.

    Args:
        x: Inputs.
        y: Targets, or ``None``.
        sample_weight: Sample weights, or ``None``.

    Returns:
        The packed batch.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def set_random_seed(seed: int) -> None:
    """Seed kshim's host generator (initializers, shuffling, default SeedGenerators), Python's and NumPy's.

    Args:
        seed: An integer seed (NumPy gets ``seed % 2**32``).

    Raises:
        ValueError: If ``seed`` is not an integer.
    """
    import random as _random

    from ..random import _GLOBAL, host

    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an int, got {seed!r}.")
    host.set_seed(int(seed))
    _random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    _GLOBAL.clear()


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer labels as a float32 NumPy array.

    A trailing axis of size 1 is dropped before encoding, so labels of shape ``(n, 1)`` give ``(n,
    num_classes)``. Unlike Keras, a backend tensor input also gives a NumPy array.

    Args:
        x: Integer class labels (array-like of any shape).
        num_classes: Number of classes; ``None`` (default) uses ``max(x) + 1``.

    Returns:
        A float32 NumPy array of shape ``x.shape + (num_classes,)`` (minus a trailing 1).

    Example:
        >>> kshim.utils.to_categorical([0, 2], num_classes=3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
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
    """Scale ``x`` to unit norm along ``axis`` (slices of norm zero are left unchanged).

    Unlike Keras, a backend tensor input is also converted and the result is a NumPy array.

    Args:
        x: Array-like input.
        axis: Axis along which to compute the norm (default ``-1``).
        order: Order of the norm, as ``numpy.linalg.norm``'s ``ord`` (default ``2``, the L2 norm).

    Returns:
        A NumPy array of ``x``'s shape: ``x`` divided by its norm along ``axis``.
    """
    x = np.asarray(x)
    n = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    n[n == 0] = 1
    return x / n


from ..backend import clear_session  # noqa: E402,F401  (keras.utils.clear_session)


# Names Keras exports from ``keras.utils`` that live elsewhere in kshim (loaded on first use).
_LAZY = {
    "Progbar": ".progbar",
    "pad_sequences": "..preprocessing.sequence",
    "register_keras_serializable": "..saving.registry",
    "custom_object_scope": "..saving.registry",
    "CustomObjectScope": "..saving.registry",
    "get_custom_objects": "..saving.registry",
    "get_registered_name": "..saving.registry",
    "get_registered_object": "..saving.registry",
    "serialize_keras_object": "..saving.serialization",
    "deserialize_keras_object": "..saving.serialization",
    "is_keras_tensor": "..backend",
    "standardize_dtype": "..backend",
    "enable_interactive_logging": "..config",
    "disable_interactive_logging": "..config",
    "is_interactive_logging_enabled": "..config",
    # data utilities (no TensorFlow; Pillow for images)
    "get_file": ".file_utils",
    "get_source_inputs": ".source_inputs",
    "split_dataset": ".datasets_split",
    "load_img": ".image_utils",
    "img_to_array": ".image_utils",
    "array_to_img": ".image_utils",
    "save_img": ".image_utils",
    "image_dataset_from_directory": ".datasets_image",
    "text_dataset_from_directory": ".datasets_text",
    "audio_dataset_from_directory": ".datasets_audio",
    "timeseries_dataset_from_array": ".timeseries",
    "ArrayDataset": ".array_dataset",
    # model plots (pydot; graphviz for images)
    "plot_model": ".plotting",
    "model_to_dot": ".plotting",
    # structured data and configs
    "FeatureSpace": "..layers.preprocessing.feature_space",
    "Config": ".config_utils",
}


_SUBMODULES = ("bounding_boxes", "legacy")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # keras.utils.bounding_boxes
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kshim.utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
