"""``TextVectorization``: raw strings to token indices or bag-of-words vectors, without TensorFlow.

The pipeline is Keras': standardize, split, n-grams (``text_ops``), then a ``StringLookup`` with
mask token ``""`` (so in ``"int"`` mode index 0 is padding, 1 is OOV and the vocabulary starts at
2). Strings stay on the host; the output is a tensor of the active backend, so the layer can sit
first in a model whose ``Input`` has ``dtype="string"`` (such a model trains without jit: the layer
has Keras' ``supports_jit = False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ops
from .category_encoding import encode_categorical_numpy
from .data_layer import DataLayer
from .lookup_io import to_host_array, vocabulary_file_allowed
from .lookup_layers import StringLookup
from .text_ops import ngrams as _ngrams
from .text_ops import split as _split
from .text_ops import standardize as _standardize

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class TextVectorization(DataLayer):
    """Maps text to integer sequences or to multi-hot/count/TF-IDF vectors
    (``keras.layers.TextVectorization``).

    Args:
        max_tokens: Maximum vocabulary size (including padding and OOV), or None.
        standardize: None, ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, or a callable taking and returning a NumPy array of ``str``.
        split: None, ``"whitespace"`` (default), ``"character"``, or a callable taking a 1-D NumPy
            ``str`` array and returning one token sequence per string.
        ngrams: None, an int ``n`` (all n-grams up to ``n``) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"``, ``"tf_idf"`` (or ``"one_hot"``).
        output_sequence_length: ``"int"`` mode: pad or truncate every sequence to this length (None:
            pad to the longest sequence of the batch).
        pad_to_max_tokens: Encoded modes: make the feature axis ``max_tokens`` long.
        vocabulary: List/array of terms or a vocabulary file path (instead of ``adapt``).
        idf_weights: ``"tf_idf"`` mode with a ``vocabulary``: one weight per term.
        sparse: Must be False (kshim has no sparse tensors).
        ragged: Must be False (kshim has no ragged tensors).
        encoding: Text encoding of ``bytes`` inputs.
        name: Layer name.

    Raises:
        ValueError: For invalid arguments (as Keras), ``sparse=True`` or ``ragged=True``.
    """

    supports_jit = False

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: Any = "lower_and_strip_punctuation",
        split: Any = "whitespace",
        ngrams: Any = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ):
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kshim has no sparse tensors)."
            )
        if ragged:
            raise ValueError(
                "`ragged=True` can only be used with the TensorFlow backend (kshim has no ragged "
                "tensors); use output_sequence_length or the default padding."
            )
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(
                f"Unknown value for `standardize` argument of layer TextVectorization. Allowed values "
                f"are: {_STANDARDIZE}, None or a callable. Received: {standardize}"
            )
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(
                "Unknown value for `split` argument of layer TextVectorization. Allowed values are: "
                f"('whitespace', 'character'), None or a callable. Received: {split}"
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError(
                "Unknown value for `output_mode` argument of layer TextVectorization. Allowed values "
                f"are: {_MODES}. Received: {output_mode}"
            )
        if not (
            ngrams is None
            or isinstance(ngrams, int)
            or isinstance(ngrams, tuple)
            and all(isinstance(i, int) for i in ngrams)
        ):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (isinstance(output_sequence_length, int) or output_sequence_length is None):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` is "
                f"'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=self._has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    @property
    def compute_dtype(self) -> str:
        return "string"

    @property
    def variable_dtype(self) -> str:
        return "string"

    # ---- vocabulary ---------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from ``data``: an array or list of strings (one document each), a
        tensor-like, or an iterable of batches (a generator; ``(x, y)`` tuples use ``x``)."""
        self.reset_state()
        if hasattr(data, "__iter__") and not (isinstance(data, (list, tuple, np.ndarray)) or ops.is_tensor(data)):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            arr = to_host_array(data, "string", self._encoding)
            if arr.ndim == 1:
                arr = arr[:, None]
            self.update_state(arr)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Count the tokens of one batch of strings."""
        lk = self._lookup_layer
        if lk._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{lk.name}' after setting a static vocabulary via `vocabulary` "
                "argument or `set_vocabulary()` method."
            )
        rows = self._preprocess(data)
        if isinstance(rows, np.ndarray):
            lk.update_state(rows)
        else:
            lk._count([np.array(r, dtype=str) for r in rows])

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (``""`` and ``"[UNK]"`` first when ``include_special_tokens``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The vocabulary size including padding and OOV."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and IDF weights in ``tf_idf`` mode) directly; see ``StringLookup``."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ---- call ------------------------------------------------------------------------------
    def _preprocess(self, inputs: Any) -> Any:
        """Standardized strings (a NumPy array) or, when splitting, a list of token rows."""
        arr = _standardize(to_host_array(inputs, "string", self._encoding), self._standardize)
        if self._split is None:
            if self._ngrams is not None:
                rows = _ngrams(
                    [list(r) for r in arr.reshape(arr.shape[0] if arr.ndim else 1, -1).tolist()], self._ngrams
                )
                return rows
            return arr
        if arr.ndim > 1:
            if arr.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                    f"the last shape dimension must be 1. Received: inputs.shape={arr.shape} with "
                    f"rank={arr.ndim}"
                )
            arr = arr[..., 0]
        rows = _split(arr.reshape(-1), self._split)
        if self._ngrams is not None:
            rows = _ngrams(rows, self._ngrams)
        return rows

    def call(self, inputs: Any) -> Any:
        lk = self._lookup_layer
        data = self._preprocess(inputs)
        if isinstance(data, np.ndarray):  # no split: one token per string
            if self._output_mode != "int" and data.ndim <= 1:
                data = data.reshape(-1, 1)
            indices = lk._lookup(lk._keys(data))
            if self._output_mode != "int":
                return ops.convert_to_tensor(lk._encode(indices))
            return ops.convert_to_tensor(self._fit_length(indices))
        lengths = [len(r) for r in data]
        flat = np.array([t for r in data for t in r], dtype=str)
        flat_idx = lk._lookup(flat)
        width = max(lengths, default=0)
        fill = 0 if self._output_mode == "int" else -1
        dense = np.full((len(data), width), fill, dtype=np.int64)
        mask = np.arange(width)[None, :] < np.array(lengths, dtype=np.int64)[:, None]
        dense[mask] = flat_idx
        if self._output_mode == "int":
            return ops.convert_to_tensor(self._fit_length(dense))
        if self._output_mode == "one_hot":
            return ops.convert_to_tensor(encode_categorical_numpy(dense, "one_hot", lk._depth(), "int64"))
        return ops.convert_to_tensor(lk._encode(dense))

    def _fit_length(self, indices: np.ndarray) -> np.ndarray:
        n = self._output_sequence_length
        if n is None:
            return indices
        indices = indices[..., :n]
        pad = n - indices.shape[-1]
        if pad > 0:
            indices = np.pad(indices, [(0, 0)] * (indices.ndim - 1) + [(0, pad)])
        return indices

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            # the trailing size-1 axis is squeezed before splitting (as the call does; Keras' static
            # formula keeps it and so declares one axis more than its eager output has)
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs: Any) -> Any:
        from ..._symbolic import KerasTensor

        dtype = "int64" if self._output_mode != "tf_idf" else self._lookup_layer._output_dtype()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ---- config and assets -------------------------------------------------------------------
    def get_config(self) -> dict:
        lk = self._lookup_layer
        cfg = super().get_config()
        cfg.update(
            {
                "max_tokens": lk.max_tokens,
                "standardize": self._standardize,
                "split": self._split,
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lk.pad_to_max_tokens,
                "sparse": lk.sparse,
                "ragged": self._ragged,
                "vocabulary": lk.get_config()["vocabulary"],
                "idf_weights": lk.get_config()["idf_weights"],
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "TextVectorization":
        from ..._serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        if isinstance(config.get("vocabulary"), str) and not vocabulary_file_allowed():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive; this is "
                "disallowed in safe mode. Pass `safe_mode=False` to the loading function or call "
                "`keras.config.enable_unsafe_deserialization()`. "
                f"Vocabulary file: '{config['vocabulary']}'"
            )
        if isinstance(config.get("dtype"), dict):
            from ..dtype_policy import get as _get_policy

            config["dtype"] = _get_policy(config["dtype"])
        return cls(**config)

    def _asset_children(self) -> list:
        """Untracked sub-objects Keras' asset walk visits (its ``_lookup_layer`` attribute)."""
        return [("_lookup_layer", self._lookup_layer)]

    def save_assets(self, dir_path: str) -> None:
        """Write the vocabulary (``vocabulary.txt``) as Keras does."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str | None) -> None:
        """Read the vocabulary written by :meth:`save_assets`."""
        self._lookup_layer.load_assets(dir_path)
