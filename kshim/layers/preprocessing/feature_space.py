"""``FeatureSpace`` (``keras.utils.FeatureSpace``): one-stop preprocessing of structured data, without
TensorFlow.

Keras runs a FeatureSpace on TensorFlow (``tf.data`` for ``adapt``, TF tensors inside ``__call__``);
kshim runs the same preprocessing layers (``Normalization``, ``Discretization``, ``StringLookup``,
``IntegerLookup``, ``Hashing``, ``HashedCrossing``, ``CategoryEncoding``) on the active backend, with
strings kept on the host, so a FeatureSpace adapts on NumPy data and its encoded features feed a model
on numpy, jax or torch.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ... import backend as _backend
from ... import ops
from ..._naming import uniquify
from ..._symbolic import KerasTensor, any_symbolic
from ..input_layer import Input
from ..layer import Layer
from .basic import Normalization, Rescaling
from .category_encoding import CategoryEncoding
from .discretization import Discretization
from .feature_space_specs import (
    Cross,
    Feature,
    TFDConcat,
    TFDIdentity,
    deserialize_spec,
    feature_batches,
    serialize_spec,
)
from .hashing import HashedCrossing, Hashing
from .lookup_layers import IntegerLookup, StringLookup

__all__ = ["FeatureSpace", "Feature", "Cross", "TFDIdentity", "TFDConcat"]

_STRING_SPECS = (
    "float",
    "float_normalized",
    "float_rescaled",
    "float_discretized",
    "integer_categorical",
    "string_categorical",
    "integer_hashed",
    "string_hashed",
)


class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured features (``keras.utils.FeatureSpace``).

    Each feature is named by a type string (``"float"``, ``"float_rescaled"``, ``"float_normalized"``,
    ``"float_discretized"``, ``"integer_categorical"``, ``"string_categorical"``, ``"integer_hashed"``,
    ``"string_hashed"``) or built with the class methods of the same names (or ``FeatureSpace.feature``
    for a custom preprocessing layer). ``adapt`` learns the statistics and vocabularies; calling the
    space on a dict of arrays returns the encoded features, concatenated or as a dict; ``get_inputs``
    and ``get_encoded_features`` give the symbolic tensors to build a ``Model`` from.

    Args:
        features: Dict mapping feature names to a type string or a ``Feature``.
        output_mode: ``"concat"`` (one vector per sample) or ``"dict"`` (one entry per feature and cross).
        crosses: Features to cross: tuples of feature names, or ``FeatureSpace.cross(...)`` objects.
        crossing_dim: Hashing bins of a cross given as a tuple of names.
        hashing_dim: Bins of ``"integer_hashed"``/``"string_hashed"`` features given by name.
        num_discretization_bins: Bins of ``"float_discretized"`` features given by name.
        name: Layer name.

    Raises:
        ValueError: Empty ``features``, an unknown feature type or ``output_mode``, a cross of unknown
            features, or ``crosses`` without ``crossing_dim``.

    kshim differences (deliberate): ``adapt`` takes a dict of arrays or any iterable of dict batches
    (a generator, an ``ArrayDataset``; an ``(x, y)`` element adapts on ``x``) instead of ``tf.data``;
    preprocessors that cannot be adapted (a ``Discretization`` given ``bin_boundaries``, a lookup or
    ``TextVectorization`` given a vocabulary) are skipped by ``adapt`` (Keras tries and fails) and a
    ``Discretization`` given ``bin_boundaries`` one-hot encodes over ``len(bin_boundaries) + 1`` bins;
    inputs of float features are cast to the feature's dtype; a dict that lacks a feature raises
    ``ValueError`` (Keras: ``KeyError``); calling the space on a dict of KerasTensors returns their
    encoding (Keras cannot).
    """

    _keras_module = "keras.utils"

    # ---- feature constructors ----------------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names: Any, crossing_dim: int, output_mode: str = "one_hot") -> Cross:
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins (``output_mode`` ``"one_hot"``/``"int"``)."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A feature preprocessed by any layer (``output_mode``: ``"float"``, ``"int"`` or ``"one_hot"``)."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:  # noqa: A003 - Keras' name
        """Plain float values, used as they are."""
        name = name or uniquify("float")
        return Feature(
            dtype="float32", preprocessor=TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), output_mode="float"
        )

    @classmethod
    def float_rescaled(
        cls, scale: builtins.float = 1.0, offset: builtins.float = 0.0, name: str | None = None
    ) -> Feature:
        """Float values rescaled as ``x * scale + offset`` (a ``Rescaling`` layer)."""
        name = name or uniquify("float_rescaled")
        return Feature(
            dtype="float32",
            preprocessor=Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"),
            output_mode="float",
        )

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """Float values standardized with the mean and variance ``adapt`` learns (a ``Normalization`` layer)."""
        name = name or uniquify("float_normalized")
        return Feature(
            dtype="float32", preprocessor=Normalization(axis=-1, name=f"{name}_preprocessor"), output_mode="float"
        )

    @classmethod
    def float_discretized(
        cls, num_bins: int, bin_boundaries: Any = None, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """Float values bucketed into ``num_bins`` quantile bins (a ``Discretization`` layer), one-hot by default."""
        name = name or uniquify("float_discretized")
        layer = Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """Integer categories indexed by an ``IntegerLookup`` vocabulary, one-hot by default."""
        name = name or uniquify("integer_categorical")
        layer = IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature(dtype="int32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """String categories indexed by a ``StringLookup`` vocabulary, one-hot by default."""
        name = name or uniquify("string_categorical")
        layer = StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature(dtype="string", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_hashed(cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """Strings hashed into ``num_bins`` bins (a ``Hashing`` layer), one-hot by default."""
        name = name or uniquify("string_hashed")
        return Feature(
            dtype="string",
            preprocessor=Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
            output_mode=output_mode,
        )

    @classmethod
    def integer_hashed(cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """Integers hashed into ``num_bins`` bins (a ``Hashing`` layer), one-hot by default."""
        name = name or uniquify("integer_hashed")
        return Feature(
            dtype="int32", preprocessor=Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode=output_mode
        )

    # ---- construction ---------------------------------------------------------------------------------
    def __init__(
        self,
        features: dict,
        output_mode: str = "concat",
        crosses: Any = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
    ):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(c, set(features)) for c in (crosses or [])]
        self.crosses_by_name = {c.name: c for c in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        # Sorted keys: a Model's dict inputs flatten in sorted key order (optree), and so do these.
        self.inputs = {key: self._feature_to_input(key, self.features[key]) for key in sorted(self.features)}
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {c.name: self._cross_to_crosser(c) for c in self.crosses}
        self.one_hot_encoders: dict = {}
        self.concat: TFDConcat | None = None  # made by adapt() for output_mode="concat"
        self._is_adapted = False
        self._sublayers_built = False
        self._encoders_built = False

    def _standardize_cross(self, cross: Any, known: set) -> Cross:
        if isinstance(cross, dict):
            cross = deserialize_spec(cross)
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError(
                "When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                "crossing space) should be specified as well."
            )
        if any(key not in known for key in cross):
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {cross}"
            )
        return Cross(cross, crossing_dim=self.crossing_dim)

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_spec(feature)
        if feature not in _STRING_SPECS:
            raise ValueError(f"Invalid feature type: {feature}")
        if feature == "float_discretized":
            return self.float_discretized(name=name, num_bins=self.num_discretization_bins)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        return getattr(self, feature)(name=name)

    def _feature_to_input(self, name: str, feature: Feature) -> KerasTensor:
        return Input(shape=(1,), dtype=feature.dtype, name=name)

    def _cross_to_crosser(self, cross: Cross) -> HashedCrossing:
        return HashedCrossing(cross.crossing_dim, name=cross.name)

    # ---- adapt ------------------------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self) -> list[str]:
        names = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if getattr(layer, "_has_input_vocabulary", False):  # lookups, TextVectorization
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:  # given bin_boundaries
                continue
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset: Any) -> None:
        """Adapt every adaptable preprocessor (statistics, vocabularies, bins) to ``dataset``, then build
        the encoded features.

        Args:
            dataset: A dict of arrays/lists (one row per sample), or an iterable (generator, list,
                ``ArrayDataset``, ``PyDataset``) of dicts of arrays: batches or single samples.

        Raises:
            ValueError: Data of another kind, empty data, or data without one of the features.
        """
        names = self._list_adaptable_preprocessors()
        if not names and not isinstance(dataset, dict) and not hasattr(dataset, "__iter__"):
            feature_batches(dataset, [])  # raises the error for the wrong kind of data
        batches = feature_batches(dataset, names) if names else {}
        for name in names:
            layer = self.preprocessors[name]
            if isinstance(layer, Normalization) and not layer.built:  # built for (None, ...) as Keras' dataset spec
                layer.build_from_config({"input_shape": (None,) + tuple(batches[name][0].shape[1:])})
            layer.adapt(iter(batches[name]))
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can start using it."
                )
            self._is_adapted = True

    def _check_if_built(self) -> None:
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ---- symbolic graph ------------------------------------------------------------------------------------
    def get_inputs(self) -> dict:
        """The dict of ``Input`` tensors, one per feature (shape ``(None, 1)``, the feature's dtype)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self) -> Any:
        """The encoded features as symbolic tensors of ``get_inputs()``: one tensor (``"concat"``) or a dict."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _encode(self, data: dict) -> Any:
        preprocessed = {name: self.preprocessors[name](data[name]) for name in self.features}
        crossed = {c.name: self.crossers[c.name]([preprocessed[n] for n in c.feature_names]) for c in self.crosses}
        return self._merge_features(preprocessed, crossed)

    def _cardinality(self, name: str) -> int | None:
        layer = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(layer, (IntegerLookup, StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, Discretization):
            return layer.num_bins if layer.num_bins is not None else len(layer.bin_boundaries) + 1
        if isinstance(layer, (HashedCrossing, Hashing)):
            return layer.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature and the "
            "dimensionality of its output space is not known, thus it cannot be one-hot encoded. Try "
            "using `output_mode='int'`."
        )

    def _build_encoders(self, named: list[tuple[str, Any]]) -> None:
        """Create the one-hot encoders and the concatenation from the features' dtypes (once)."""
        encoders = {}
        for name, value in named:
            spec = self.features[name] if name in self.features else self.crosses_by_name[name]
            dtype = _backend.standardize_dtype(_first_leaf(value).dtype)
            if spec.output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(
                        f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
                        f"return an integer dtype. Instead it returns a {dtype} dtype."
                    )
                cardinality = self._cardinality(name)
                if cardinality is not None:
                    encoders[name] = CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot")
                    dtype = encoders[name].compute_dtype
            if self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been encoded (it has "
                    f"dtype {dtype}). Consider using `output_mode='dict'`."
                )
        self.one_hot_encoders = encoders
        if self.output_mode == "concat":
            self.concat = TFDConcat(axis=-1)
        self._encoders_built = True

    def _merge_features(self, preprocessed: dict, crossed: dict) -> Any:
        named = [(n, preprocessed[n]) for n in sorted(preprocessed)] + [(n, crossed[n]) for n in sorted(crossed)]
        if not self._encoders_built:
            self._build_encoders(named)
        encoded = {}
        for name, value in named:
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        assert self.concat is not None, "adapt() first"
        return self.concat(list(encoded.values()))

    # ---- call ----------------------------------------------------------------------------------------------
    def _convert_input(self, name: str, x: Any) -> Any:
        if isinstance(x, KerasTensor):
            return x
        arr = np.asarray(ops.convert_to_numpy(x)) if ops.is_tensor(x) else np.asarray(x)
        dtype = self.features[name].dtype
        if dtype.startswith("float") and arr.dtype.kind in "fiub":
            arr = arr.astype(dtype)
        elif arr.dtype.kind == "f" and isinstance(x, (list, tuple, builtins.float)):
            arr = arr.astype("float32")  # Python floats are float32 as in Keras (TensorFlow's default)
        return arr

    def __call__(self, data: Any) -> Any:
        """Encode ``data``, a dict of arrays/lists/tensors (batched, a single sample, or KerasTensors).

        Args:
            data: A dict with one entry per feature (scalars for one sample, ``(batch,)`` or ``(batch, 1)``).

        Returns:
            A tensor of the active backend (``"concat"``), or a dict of them (``"dict"``); a single
            sample gives unbatched results.

        Raises:
            ValueError: ``data`` is not a dict, lacks a feature, or the space was never adapted.
        """
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                f"A FeatureSpace can only be called with a dict. Received: data={data} (of type {type(data)}"
            )
        missing = [name for name in self.features if name not in data]
        if missing:
            raise ValueError(
                f"The data passed to the FeatureSpace lacks the features {missing}. Received keys: {sorted(data)}"
            )
        if any_symbolic((data,), {}):
            return self._encode(data)
        batch = {}
        rebatched = False
        for name in self.features:
            x = self._convert_input(name, data[name])
            if x.ndim == 0:
                x, rebatched = x.reshape(1, 1), True
            elif x.ndim == 1:
                x = x[:, None]
            batch[name] = x
        merged = self._encode(batch)
        if not rebatched:
            return merged
        if self.output_mode == "concat":
            if tuple(ops.shape(merged))[0] != 1:
                raise ValueError(f"Expected rebatched data to have batch size 1. Received: shape={ops.shape(merged)}")
            return ops.squeeze(merged, axis=0)
        return {
            k: ops.squeeze(v, axis=0) if len(ops.shape(v)) == 2 and ops.shape(v)[0] == 1 else v
            for k, v in merged.items()
        }

    # ---- config and saving ---------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            "features": serialize_spec(self.features),
            "output_mode": self.output_mode,
            "crosses": serialize_spec(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: dict) -> "FeatureSpace":
        return cls(**config)

    def get_build_config(self) -> dict:
        return {name: f.preprocessor.get_build_config() for name, f in self.features.items()}

    def build_from_config(self, config: dict) -> None:
        for name, cfg in config.items():
            layer = self.features[name].preprocessor
            if not layer.built:
                layer.build_from_config(cfg)
        self._is_adapted = True

    def save(self, filepath: Any) -> None:
        """Save the FeatureSpace to a ``.keras`` file; reload it with ``keras.saving.load_model``.

        Args:
            filepath: A path ending in ``.keras``.
        """
        import importlib

        # Saving sits above the layers; reach it by name, as ops.node reaches kshim.layers.
        importlib.import_module("kshim.saving.saving_api").save_model(self, filepath)

    def save_own_variables(self, store: Any) -> None:
        return

    def load_own_variables(self, store: Any) -> None:
        return


def _first_leaf(value: Any) -> Any:
    while isinstance(value, (list, tuple, dict)):
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return value
