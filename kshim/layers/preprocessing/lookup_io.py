"""Host-side helpers of the lookup and text layers: inputs as NumPy key arrays, vocabulary files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ... import ops

__all__ = [
    "to_host_array",
    "read_vocabulary_file",
    "vocabulary_file_allowed",
    "is_string_array",
    "save_vocabulary_assets",
    "load_vocabulary_assets",
]


def is_string_array(x: Any) -> bool:
    """True for a NumPy array of str/bytes (or of Python objects, which is how strings often arrive)."""
    return isinstance(x, np.ndarray) and x.dtype.kind in "USO"


def _decode(arr: np.ndarray, encoding: str) -> np.ndarray:
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "S":
        return np.char.decode(arr, encoding)
    if arr.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else str(v) for v in arr.reshape(-1)]
        return np.array(flat, dtype=str).reshape(arr.shape)
    return arr.astype(str)


def to_host_array(values: Any, kind: str, encoding: str = "utf-8") -> np.ndarray:
    """``values`` (array, list, tensor, scalar) as a NumPy array of ``str`` (``kind="string"``) or
    ``int64`` (``kind="int64"``; floats are truncated as TensorFlow's cast does).

    Raises:
        ValueError: Strings given where integers are expected.
    """
    if ops.is_tensor(values):
        values = ops.convert_to_numpy(values)
    if kind == "string":
        if isinstance(values, (list, tuple)) and len(values) == 0:
            return np.array([], dtype=str)
        return _decode(np.asarray(values), encoding)
    arr = np.asarray(values)
    if arr.dtype.kind in "USO":
        raise ValueError(f"Expected integer inputs, got an array of dtype {arr.dtype} (strings need StringLookup).")
    return arr.astype(np.int64)


def read_vocabulary_file(path: str, is_string: bool) -> list:
    """The terms of a vocabulary file, one per line (trailing empty lines dropped)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    return [str(line) for line in lines] if is_string else [int(line) for line in lines]


def vocabulary_file_allowed() -> bool:
    """Whether a config may name a vocabulary file outside the archive (not in safe mode, unless
    unsafe deserialization was enabled), as in Keras."""
    from ..._lambda_code import _UNSAFE
    from ..._serialization import SAFE_MODE

    return not SAFE_MODE.get() or bool(_UNSAFE["value"])


def save_vocabulary_assets(layer: Any, dir_path: str) -> None:
    """``IndexLookup.save_assets``: ``vocabulary.txt`` ("\\n"-joined, as Keras writes it) unless the
    vocabulary is in the config; in ``tf_idf`` mode also ``idf_weights.txt``."""
    if layer.input_vocabulary is not None:
        return
    with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(str(w) for w in layer.get_vocabulary(include_special_tokens=True)))
    if layer.output_mode == "tf_idf" and layer._idf is not None:
        np.savetxt(os.path.join(dir_path, "idf_weights.txt"), layer._idf.astype(np.float64), fmt="%.9g")


def load_vocabulary_assets(layer: Any, dir_path: str | None) -> None:
    """``IndexLookup.load_assets``: read what :func:`save_vocabulary_assets` (or Keras) wrote."""
    if layer.input_vocabulary is not None or dir_path is None:
        return
    path = os.path.join(dir_path, "vocabulary.txt")
    if not os.path.exists(path):
        return
    values = read_vocabulary_file(path, layer.vocabulary_dtype == "string")
    if layer.output_mode == "tf_idf":
        idf_path = os.path.join(dir_path, "idf_weights.txt")
        idf = np.atleast_1d(np.loadtxt(idf_path)) if os.path.exists(idf_path) else layer._idf
        layer.set_vocabulary(values, idf_weights=idf)
    else:
        layer.set_vocabulary(values)
