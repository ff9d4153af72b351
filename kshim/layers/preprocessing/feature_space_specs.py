"""The parts of ``FeatureSpace`` that are not the space itself: the feature and cross specifications
(Keras' ``Feature`` and ``Cross``), the two helper data layers (``TFDIdentity``, ``TFDConcat``), their
Keras-layout serialization, and the reading of ``adapt`` data (dicts of arrays, iterables of dict
batches, ``ArrayDataset``) into one array batch list per feature, without TensorFlow.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ... import ops
from ..._serialization import deserialize_keras_object, serialize_keras_object
from ...backends._native_module import kshim_class
from .data_layer import DataLayer

__all__ = ["Feature", "Cross", "TFDIdentity", "TFDConcat", "serialize_spec", "deserialize_spec", "feature_batches"]

#: The Keras module these classes live in (written into configs, so files move both ways).
KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
#: Keras' ``adapt`` batches a dict of arrays (and a dataset of single samples) by 32.
ADAPT_BATCH_SIZE = 32


class TFDIdentity(DataLayer):
    """The preprocessor of ``FeatureSpace.float``: returns its input unchanged (Keras' private class)."""

    _keras_module = KERAS_MODULE

    def call(self, x: Any) -> Any:
        return x

    def compute_output_spec(self, x: Any) -> Any:
        from ..._symbolic import KerasTensor

        return KerasTensor(tuple(x.shape), x.dtype)


class TFDConcat(DataLayer):
    """Concatenates the encoded features of a ``FeatureSpace`` along ``axis`` (Keras' private class).

    Args:
        axis: The concatenation axis.
        **kwargs: Base layer arguments (``name``, ...).
    """

    _keras_module = KERAS_MODULE

    def __init__(self, axis: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, xs: Any) -> Any:
        return ops.concatenate(list(xs), axis=self.axis)

    def compute_output_spec(self, xs: Any) -> Any:
        from ..._symbolic import KerasTensor

        shapes = [tuple(x.shape) for x in xs]
        axis = self.axis % len(shapes[0])
        dims = [s[axis] for s in shapes]
        out = list(shapes[0])
        out[axis] = None if any(d is None for d in dims) else sum(dims)
        from ... import dtypes

        return KerasTensor(tuple(out), dtypes.result_type(*[x.dtype for x in xs]))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


_PRIVATE_CLASSES: dict[Any, type[DataLayer]] = {"TFDIdentity": TFDIdentity, "TFDConcat": TFDConcat}

# Configs name these classes by Keras module (keras.src.layers.preprocessing.feature_space);
# kshim._serialization._MODULES maps that module to kshim.layers.preprocessing.feature_space.


class Cross:
    """A feature cross of a ``FeatureSpace`` (made by ``FeatureSpace.cross``).

    Args:
        feature_names: The names of the crossed features.
        crossing_dim: The number of hashing bins of the cross.
        output_mode: ``"one_hot"`` or ``"int"``.

    Raises:
        ValueError: An unknown ``output_mode``.
    """

    def __init__(self, feature_names: Iterable[str], crossing_dim: int, output_mode: str = "one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        """``"a_X_b"`` for the cross of ``a`` and ``b``."""
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim, "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: dict) -> "Cross":
        return cls(**config)


class Feature:
    """One feature of a ``FeatureSpace``: its input dtype, its preprocessing layer and its encoding.

    Args:
        dtype: The dtype of the feature's ``Input`` (``"float32"``, ``"int32"``, ``"string"``, ...).
        preprocessor: A layer, or its serialized config.
        output_mode: ``"float"`` (used as is), ``"int"`` (indices) or ``"one_hot"`` (indices, then
            multi-hot encoded over the preprocessor's output space).

    Raises:
        ValueError: An unknown ``output_mode``.
    """

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', "
                f"'float'}}. Received: output_mode={output_mode}"
            )
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize_layer(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:
        return {
            "dtype": self.dtype,
            "preprocessor": _serialize_layer(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict) -> "Feature":
        return cls(**config)


_SPECS: dict[Any, type[Feature] | type[Cross]] = {"Feature": Feature, "Cross": Cross}


def _serialize_layer(layer: Any) -> dict:
    cfg = serialize_keras_object(layer)
    if kshim_class(layer) in _PRIVATE_CLASSES.values():  # Keras names its unexported classes by class name
        cfg["registered_name"] = type(layer).__name__
    return cfg


def _deserialize_layer(config: dict) -> Any:
    cls = _PRIVATE_CLASSES.get(config.get("class_name"))
    if cls is not None and config.get("module") in (KERAS_MODULE, None):
        layer = cls.from_config(config.get("config", {}))
        if config.get("build_config") and not layer.built:
            layer.build_from_config(config["build_config"])
        return layer
    return deserialize_keras_object(config)


def serialize_spec(spec: Any) -> Any:
    """A ``Feature``/``Cross`` (or a dict/list of them) in Keras' serialized layout."""
    if isinstance(spec, dict):
        return {k: serialize_spec(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [serialize_spec(v) for v in spec]
    return {
        "module": KERAS_MODULE,
        "class_name": type(spec).__name__,
        "config": spec.get_config(),
        "registered_name": type(spec).__name__,
    }


def deserialize_spec(config: dict) -> Any:
    """The ``Feature``/``Cross`` of a serialized config (Keras' or kshim's).

    Raises:
        ValueError: A config of another class.
    """
    cls = _SPECS.get(config.get("class_name")) if isinstance(config, dict) else None
    if cls is None:
        raise ValueError(f"Expected the config of a FeatureSpace `Feature` or `Cross`. Received: {config!r:.200}")
    return cls.from_config(dict(config.get("config", {})))


# ---- adapt data ------------------------------------------------------------------------------------------
def _host(x: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x)) if ops.is_tensor(x) else np.asarray(x)


def _as_dict_batch(element: Any) -> dict:
    if isinstance(element, tuple) and element and isinstance(element[0], dict):
        element = element[0]  # kshim: an (x, y) element adapts on x (Keras needs the labels mapped away)
    if not isinstance(element, dict):
        raise ValueError(
            "`adapt()` expects a dict of arrays, or a dataset/iterable whose elements are dicts "
            f"of arrays. Received an element of type {type(element).__name__}: {element!r:.200}"
        )
    return element


def _rank1_to_column(batch: np.ndarray) -> np.ndarray:
    return batch[:, None] if batch.ndim == 1 else batch


def feature_batches(dataset: Any, names: list[str]) -> dict[str, list[np.ndarray]]:
    """Read ``dataset`` once into ``{name: [batch, ...]}`` for the features ``names``, shaped as Keras
    feeds its preprocessors: single samples are grouped in batches of 32, and rank-1 batches become
    ``(batch, 1)`` columns.

    Args:
        dataset: A dict of arrays/lists (one row per sample), or an iterable (a generator, a list, an
            ``ArrayDataset``, a ``PyDataset``) of dicts of arrays (batches or single samples).
        names: The features to read.

    Returns:
        The batches of each feature, as NumPy arrays.

    Raises:
        ValueError: Data of another kind, an empty dataset, or elements that lack a feature.
    """
    if isinstance(dataset, dict):
        columns = {}
        for name in names:
            if name not in dataset:
                raise ValueError(f"`adapt()` data has no feature {name!r}. Received keys: {sorted(dataset)}")
            col = _host(dataset[name])
            if col.ndim == 0:
                col = col.reshape(1)
            columns[name] = [
                _rank1_to_column(col[i : i + ADAPT_BATCH_SIZE]) for i in range(0, len(col), ADAPT_BATCH_SIZE)
            ]
        return columns
    if (
        isinstance(dataset, (str, bytes, np.ndarray))
        or ops.is_tensor(dataset)
        or not hasattr(dataset, "__iter__")
        and not hasattr(dataset, "__getitem__")
    ):
        raise ValueError(
            "`adapt()` can only be called on a dict of arrays/lists or on a dataset (an iterable) of "
            f"dicts of arrays. Received instead: {dataset!r:.200} (of type {type(dataset)})"
        )
    if (
        hasattr(dataset, "__getitem__")
        and hasattr(dataset, "__len__")
        and hasattr(dataset, "on_epoch_end")
        and not hasattr(dataset, "__iter__")
    ):
        dataset = (dataset[i] for i in range(len(dataset)))
    samples: dict[str, list] = {n: [] for n in names}
    batches: dict[str, list] = {n: [] for n in names}
    for element in dataset:
        element = _as_dict_batch(element)
        for name in names:
            if name not in element:
                raise ValueError(f"`adapt()` data has no feature {name!r}. Received keys: {sorted(element)}")
            value = _host(element[name])
            if value.ndim == 0:
                samples[name].append(value)
            else:
                batches[name].append(_rank1_to_column(value))
    for name in names:
        rows = samples[name]
        for i in range(0, len(rows), ADAPT_BATCH_SIZE):
            batches[name].append(np.stack(rows[i : i + ADAPT_BATCH_SIZE])[:, None])
        if not batches[name]:
            raise ValueError("`adapt()` received an empty dataset (no elements).")
    return batches
