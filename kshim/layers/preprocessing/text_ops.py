"""String operations of ``TextVectorization`` on NumPy arrays, matching TensorFlow's string ops.

- ``lower``: ``tf.strings.lower`` as Keras calls it (no encoding): ASCII letters only, so
  ``"ÉCOLE"`` becomes ``"École"``.
- ``strip_punctuation``: removes the characters of Keras' regex
  ``[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\']`` (ASCII punctuation).
- ``whitespace`` split: ``tf.strings.split`` without a separator (runs of ASCII whitespace; no empty
  tokens). ``character`` split: one token per Unicode code point.
- n-grams: ``tf.strings.ngrams(tokens, widths, separator=" ")``: per row, all n-grams of the first
  width, then of the next, ...; rows shorter than a width contribute none of that width.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["standardize", "split", "ngrams", "PUNCTUATION_REGEX"]

PUNCTUATION_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_PUNCT = re.compile(PUNCTUATION_REGEX)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_WS = " \t\n\v\f\r"
_WS_RE = re.compile(r"[ \t\n\v\f\r]+")


def _map(fn: Callable[[str], str], arr: np.ndarray) -> np.ndarray:
    flat = [fn(s) for s in arr.reshape(-1).tolist()]
    return np.array(flat, dtype=str).reshape(arr.shape) if flat else arr


def standardize(arr: np.ndarray, mode: Any) -> np.ndarray:
    """Apply a ``standardize`` setting to a NumPy array of ``str``.

    Args:
        arr: The strings.
        mode: None, ``"lower"``, ``"strip_punctuation"``, ``"lower_and_strip_punctuation"`` or a callable
            (given the NumPy ``str`` array, as Keras does on non-TensorFlow backends; it returns an
            array-like of strings).

    Returns:
        A NumPy array of ``str``.
    """
    if callable(mode):
        out = mode(arr)
        from .lookup_io import to_host_array

        return to_host_array(out, "string")
    if mode in ("lower", "lower_and_strip_punctuation"):
        arr = _map(lambda s: s.translate(_ASCII_LOWER), arr)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        arr = _map(lambda s: _PUNCT.sub("", s), arr)
    return arr


def _whitespace(s: str) -> list[str]:
    s = s.strip(_WS)
    return _WS_RE.split(s) if s else []


def split(flat: np.ndarray, mode: Any) -> list[list[str]]:
    """Split each string of a 1-D array into tokens (``"whitespace"``, ``"character"`` or a callable
    that takes the 1-D ``str`` array and returns one sequence of tokens per string)."""
    if mode == "whitespace":
        return [_whitespace(s) for s in flat.tolist()]
    if mode == "character":
        return [list(s) for s in flat.tolist()]
    rows = mode(flat)
    if isinstance(rows, np.ndarray) and rows.ndim == 1 and rows.dtype.kind in "USO" and rows.size == flat.size:
        rows = [[r] for r in rows.tolist()]
    out = []
    for row in rows:
        row = row.tolist() if isinstance(row, np.ndarray) else list(row)
        out.append([r.decode("utf-8") if isinstance(r, bytes) else str(r) for r in row])
    return out


def ngrams(rows: list[list[str]], widths: Sequence[int]) -> list[list[str]]:
    """``tf.strings.ngrams(rows, widths, separator=" ")`` on ragged token rows."""
    out = []
    for toks in rows:
        row: list[str] = []
        for w in widths:
            row.extend(" ".join(toks[i : i + w]) for i in range(len(toks) - w + 1))
        out.append(row)
    return out
