"""``IndexLookup``: the vocabulary table behind ``StringLookup`` and ``IntegerLookup``, in NumPy.

Keras builds this on TensorFlow hash tables; kshim keeps the vocabulary as a sorted NumPy key array
and looks inputs up with ``searchsorted`` (vectorised, no TensorFlow). Indices follow Keras exactly:
in ``"int"`` mode the mask token (when set) is index 0, then ``num_oov_indices`` OOV indices, then the
vocabulary; in the encoded modes the mask token has no index (masked inputs are dropped) and the OOV
indices come first. ``adapt`` orders the vocabulary by count, highest first, ties by the token itself
in descending order (Keras' documented ``adapt`` order), and truncates it to ``max_tokens``.

With ``num_oov_indices > 1``, an OOV string goes to bucket ``Fingerprint64(s) % num_oov_indices``
(SipHash-2-4 with ``salt``), an OOV integer to ``x mod num_oov_indices`` (``oov_method="floormod"``)
or the hash of its decimal string (``"farmhash"``), as in Keras.

Outputs are tensors of the active backend: int64 indices, or for ``one_hot``/``multi_hot``/``count``
int64 encodings (what Keras returns eagerly) and float ``tf_idf`` weights. kshim's symbolic output
spec states those dtypes too (Keras' symbolic spec says ``floatx`` for every encoded mode while its
eager call returns int64); that is the one deliberate difference.
"""

from __future__ import annotations

import collections
import os
from typing import Any, Iterable

import numpy as np

from ... import _config
from ... import ops
from .category_encoding import encode_categorical_numpy
from .data_layer import DataLayer
from .hashing_functions import as_bytes, fingerprint64, siphash64
from .lookup_io import (
    load_vocabulary_assets,
    read_vocabulary_file,
    save_vocabulary_assets,
    to_host_array,
    vocabulary_file_allowed,
)

__all__ = ["IndexLookup"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_INT64_MAX = np.iinfo(np.int64).max


def _listify(x: Any) -> Any:
    if x is None or isinstance(x, str):
        return x
    if ops.is_tensor(x):
        x = ops.convert_to_numpy(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x


def _is_string_dtype(dtype: str) -> bool:
    return dtype in ("string", "str")


class IndexLookup(DataLayer):
    """Maps vocabulary items to integer indices (Keras' internal ``IndexLookup``; see ``StringLookup``
    and ``IntegerLookup`` for the arguments)."""

    supports_jit = False  # Keras' flag: a model holding this layer trains without jit ("auto")

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(
                f"`num_oov_indices` must be greater than or equal to 0. Received: num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of layer {type(self).__name__}. Allowed "
                f"values are: ('floormod', 'farmhash'). Received: {oov_method}"
            )
        is_string = _is_string_dtype(vocabulary_dtype)
        if salt is not None:
            if not is_string and oov_method != "farmhash":
                raise ValueError(
                    f"`salt` can only be used when `oov_method='farmhash'`. Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, or a "
                    f"single integer. Received: salt={salt}."
                )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError(
                f"Unknown value for `output_mode` argument of layer {type(self).__name__}. Allowed "
                f"values are: {_MODES}. Received: {output_mode}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kshim has no sparse "
                "tensors); use sparse=False."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = "string" if is_string else vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input
        self._tokens: list = []
        self._sorted_keys = np.array([], dtype=str if is_string else np.int64)
        self._sorted_index = np.array([], dtype=np.int64)
        self._idf: np.ndarray | None = None
        if output_mode == "tf_idf" and has_input and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                "argument must also be provided."
            )
        if output_mode == "tf_idf" and idf_weights is not None:
            self._idf = np.asarray(_listify(idf_weights), dtype=_config.floatx())
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ---- indices ----------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    @property
    def _is_string(self) -> bool:
        return self.vocabulary_dtype == "string"

    def _keys(self, values: Any) -> np.ndarray:
        """``values`` as a NumPy key array (str for strings, int64 otherwise)."""
        return to_host_array(values, "string" if self._is_string else "int64", getattr(self, "encoding", "utf-8"))

    def vocabulary_size(self) -> int:
        """The vocabulary size, including the mask and OOV indices."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (with the mask and OOV tokens when ``include_special_tokens``)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index() :]
        return vocab

    # ---- vocabulary ---------------------------------------------------------------------------
    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and the IDF weights in ``tf_idf`` mode) directly.

        Args:
            vocabulary: A list/tuple/1-D array/tensor of terms, or the path of a text file with one term
                per line. Leading special tokens in Keras' order (mask, then OOV) are recognised and skipped.
            idf_weights: ``tf_idf`` mode only (required there): one weight per vocabulary term.

        Raises:
            ValueError: Missing/unexpected ``idf_weights``, an empty vocabulary, repeated terms, a
                special token in the wrong place, a vocabulary over ``max_tokens``, a missing file.
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"Received: output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"Vocabulary file {path} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
            self._install(read_vocabulary_file(path, self._is_string))
            return
        vocab = self._keys(_listify(vocabulary)).reshape(-1)
        if vocab.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        head = vocab[:token_start].tolist()
        found_special = len(head) == len(special) and all(a == b for a, b in zip(head, special))
        tokens = vocab[token_start:] if found_special else vocab
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                f"The repeated terms are: {repeated}"
            )
        tokens_list = tokens.tolist()
        if self.mask_token is not None and self.mask_token in tokens_list:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                "and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                f"order: {special}. Received: mask_token={self.mask_token} at vocabulary index "
                f"{np.argwhere(vocab == self.mask_token)[-1]}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens_list:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that passed "
                "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                "and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                f"order: {special}. Received: oov_token={self.oov_token} at vocabulary index "
                f"{np.argwhere(vocab == self.oov_token)[-1]}"
            )
        if self.max_tokens is not None and token_start + len(tokens_list) > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                f"size is {token_start + len(tokens_list)}; `max_tokens` is {self.max_tokens}."
            )
        self._install(tokens_list)
        if self.output_mode == "tf_idf":
            weights = np.asarray(_listify(idf_weights))
            if len(weights) != len(vocab):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(weights)}; len(vocabulary) is {len(vocab)}"
                )
            if weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: type(idf_weights)={type(weights)}")
            front, front_value = (0, 0.0) if found_special else (token_start, float(np.average(weights)))
            # pad_to_max_tokens requires max_tokens (__init__ checks it)
            back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0  # type: ignore[operator]
            self._idf = np.pad(weights, (front, back), "constant", constant_values=(front_value, 0)).astype(
                _config.floatx()
            )

    def _install(self, tokens: list) -> None:
        """Replace the vocabulary (tokens without special tokens, in index order)."""
        self._tokens = list(tokens)
        keys = self._keys(self._tokens) if self._tokens else self._sorted_keys[:0]
        order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[order]
        self._sorted_index = order.astype(np.int64) + self._token_start_index()
        self._record_vocabulary_size()

    def _record_vocabulary_size(self) -> None:
        new = self.vocabulary_size()
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is not None
            and new != self._frozen_vocab_size
        ):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                f"vocabulary size cannot be changed after the layer is called. Old vocab size is "
                f"{self._frozen_vocab_size}, new vocab size is {new}"
            )
        self._frozen_vocab_size = new

    # ---- adapt ----------------------------------------------------------------------------
    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary (and document frequencies for ``tf_idf``) from ``data``.

        Args:
            data: An array, list or tensor (each row a document), or an iterable of such batches
                (a generator, a ``PyDataset``-like sequence).
            steps: With an iterable, the number of batches to read (None: all).
        """
        self.reset_state()
        if hasattr(data, "__iter__") and not (isinstance(data, (list, tuple, np.ndarray)) or ops.is_tensor(data)):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            arr = self._keys(data)
            if arr.ndim == 1:
                arr = arr[:, None]
            self.update_state(arr)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Count the tokens of one batch (a 1-D batch is one document, as in Keras)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                "argument or `set_vocabulary()` method."
            )
        self._count(self._documents(data))

    def _documents(self, data: Any) -> list[np.ndarray]:
        """A batch as a list of 1-D token arrays (rows; ragged lists of rows are accepted)."""
        if isinstance(data, list) and data and isinstance(data[0], np.ndarray):
            return [self._keys(row).reshape(-1) for row in data]
        arr = self._keys(data)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 1:
            arr = arr[None, :]
        return list(arr.reshape(arr.shape[0], -1))

    def _count(self, docs: Iterable[np.ndarray]) -> None:
        docs = list(docs)
        flat = np.concatenate(docs) if docs else self._sorted_keys[:0]
        if flat.size:
            tokens, counts = np.unique(flat, return_counts=True)
            tc = self._token_counts
            for t, c in zip(tokens.tolist(), counts.tolist()):
                tc[t] = tc.get(t, 0) + c
        if self.output_mode == "tf_idf":
            dc = self._doc_counts
            for row in docs:
                for t in np.unique(row).tolist():
                    dc[t] = dc.get(t, 0) + 1
            self._num_documents += len(docs)

    def finalize_state(self) -> None:
        """Turn the counts into the vocabulary (and the IDF weights)."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = dict(self._token_counts)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        # count descending, then token descending (Keras: np.lexsort((tokens, counts))[::-1])
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        self._install(tokens)
        if self.output_mode == "tf_idf":
            df = np.array([self._doc_counts.get(t, 0) for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + df)).astype(_config.floatx())
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self._idf = idf.astype(_config.floatx())
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the counts of a previous ``adapt``."""
        self._token_counts: dict = {}
        self._doc_counts: dict = {}
        self._num_documents = 0

    # ---- call ------------------------------------------------------------------------------
    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Indices (int64) of string/int ``keys`` with mask and OOV handling."""
        flat = keys.reshape(-1)
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        out = np.full(flat.shape, default, dtype=np.int64)
        if self._sorted_keys.size and flat.size:
            pos = np.minimum(np.searchsorted(self._sorted_keys, flat), self._sorted_keys.size - 1)
            hit = self._sorted_keys[pos] == flat
            out[hit] = self._sorted_index[pos[hit]]
        if self.mask_token is not None:
            out[flat == self.mask_token] = 0 if self.output_mode == "int" else _INT64_MAX
        if self.num_oov_indices == 0:
            missing = out == -1
            if missing.any():
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                    f"{flat[missing][:10].tolist()}, consider setting `num_oov_indices=1`."
                )
        elif self.num_oov_indices > 1:
            oov = out == -1
            if oov.any():
                out[oov] = self._oov_buckets(flat[oov]) + self._oov_start_index()
        return out.reshape(keys.shape)

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        n = self.num_oov_indices
        if not self._is_string and self.oov_method != "farmhash":
            return np.mod(values.astype(np.int64), n)
        data = as_bytes(values, getattr(self, "encoding", "utf-8"))
        hashes = siphash64(data, self.salt) if self.salt is not None else fingerprint64(data)
        return (hashes % np.uint64(n)).astype(np.int64)

    def _invert(self, keys: np.ndarray) -> np.ndarray:
        idx = keys.astype(np.int64)
        start = self._token_start_index()
        table = np.empty(len(self._tokens), dtype=object)
        table[:] = self._tokens
        out = np.full(idx.shape, self.oov_token, dtype=object)
        valid = (idx >= start) & (idx < start + len(self._tokens))
        out[valid] = table[idx[valid] - start]
        if self.mask_token is not None:
            out[idx == 0] = self.mask_token
        if self._is_string:
            return out.astype(str)
        return out.astype(np.int64)

    def _depth(self) -> int:
        # None without a vocabulary and padding: the encoding callers refuse that case first
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size  # type: ignore[return-value]

    def _encode(self, indices: np.ndarray) -> np.ndarray:
        """Host-side output (int64 indices, or the encoded array) for looked-up ``indices``."""
        if self.output_mode == "int":
            return indices
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                "set the layer's vocabulary before calling it. Either pass a `vocabulary` argument to "
                "the layer, or call `adapt` with some sample data."
            )
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical_numpy(indices, mode, self._depth(), "int64")
        if self.output_mode == "tf_idf":
            if self._idf is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.")
            out = out.astype(self._idf.dtype) * self._idf
        return out

    def call(self, inputs: Any) -> Any:
        keys = self._keys(inputs)
        if self.invert:
            out = self._invert(keys)
            return out if self._is_string else ops.convert_to_tensor(out)
        return ops.convert_to_tensor(self._encode(self._lookup(keys)))

    def _output_dtype(self) -> str:
        if self.invert:
            return "string" if self._is_string else "int64"
        if self.output_mode == "tf_idf":
            return _config.floatx()
        return "int64"

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def compute_output_spec(self, inputs: Any) -> Any:
        from ..._symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), self._output_dtype())

    # ---- config and assets ---------------------------------------------------------------------
    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": _listify(self.input_idf_weights),
                "vocabulary": _listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "IndexLookup":
        config = dict(config)
        if isinstance(config.get("vocabulary"), str) and not vocabulary_file_allowed():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive. This carries a "
                "potential risk of loading arbitrary and sensitive files and thus it is disallowed by "
                "default. If you trust the source of the artifact, you can override this error by "
                "passing `safe_mode=False` to the loading function, or calling "
                "`keras.config.enable_unsafe_deserialization()`. "
                f"Vocabulary file: '{config['vocabulary']}'"
            )
        return cls(**config)

    def get_build_config(self) -> dict:
        return {}

    def build_from_config(self, config: dict) -> None:
        self.built = True

    def save_assets(self, dir_path: str) -> None:
        """Write ``vocabulary.txt`` (one term per line, special tokens included) unless the vocabulary
        is part of the config; in ``tf_idf`` mode also ``idf_weights.txt`` (kshim: Keras keeps the
        adapted IDF weights in the weights file instead)."""
        save_vocabulary_assets(self, dir_path)

    def load_assets(self, dir_path: str | None) -> None:
        """Read the vocabulary written by :meth:`save_assets` (kshim's or Keras')."""
        load_vocabulary_assets(self, dir_path)
