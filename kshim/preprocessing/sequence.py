"""``keras.preprocessing.sequence`` (also ``keras.utils.pad_sequences``): padding ragged sequences."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (and truncate) a list of sequences to one length, as ``keras.utils.pad_sequences``.

    Example:
        >>> kshim.utils.pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> kshim.utils.pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
        array([[1, 0],
               [2, 3],
               [5, 6]], dtype=int32)

    Args:
        sequences: A list (anything with ``len``) of sequences; each is a list or array whose first
            axis is time. Trailing axes (e.g. features) must match across the non-empty sequences.
        maxlen: Length of the output's time axis; default: the longest sequence.
        dtype: Output dtype (default ``"int32"``). Use ``object`` for variable-length strings; a
            plain ``str``/``bytes`` dtype is sized to fit the longest string.
        padding: ``"pre"`` or ``"post"``: add ``value`` before or after each short sequence.
        truncating: ``"pre"`` or ``"post"``: drop steps from the start or the end of each sequence
            longer than ``maxlen``.
        value: The padding value (a number, or a string with a string/object ``dtype``).

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + sample_shape``.

    Raises:
        ValueError: ``sequences`` has no length, an element is not a sequence, ``padding`` or
            ``truncating`` is not ``"pre"``/``"post"``, ``maxlen`` is negative or cannot be inferred
            from an empty list, a string ``value`` with a numeric ``dtype``, or sequences whose
            trailing shapes differ.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be iterable: a list of sequences. Received: {type(sequences).__name__}.")
    if truncating not in _SIDES:
        raise ValueError(f'Truncating type "{truncating}" not understood: expected "pre" or "post".')
    if padding not in _SIDES:
        raise ValueError(f'Padding type "{padding}" not understood: expected "pre" or "post".')
    lengths: list[int] = []
    sample_shape: tuple | None = None
    for idx, seq in enumerate(sequences):
        try:
            n = len(seq)
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {seq!s} (at position {idx})."
            ) from e
        lengths.append(n)
        if sample_shape is None and n:
            sample_shape = np.shape(seq)[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        if not lengths:
            raise ValueError(
                "pad_sequences: `sequences` is empty, so the padded length cannot be inferred; pass `maxlen`."
            )
        maxlen = max(lengths)
    maxlen = operator.index(maxlen)
    if maxlen < 0:
        raise ValueError(f"`maxlen` must be a non-negative integer, got {maxlen}.")

    np_dtype = np.dtype(dtype)
    is_str = np_dtype.kind in "US"
    if isinstance(value, str) and np_dtype.kind != "O" and not is_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            f"You should set `dtype=object` for variable length strings."
        )

    parts: list[tuple[int, np.ndarray]] = []
    for idx, seq in enumerate(sequences):
        if not lengths[idx] or maxlen == 0:
            continue
        try:
            part = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        except (TypeError, KeyError):  # a sized iterable that does not slice (e.g. a deque)
            items = list(seq)
            part = items[-maxlen:] if truncating == "pre" else items[:maxlen]
        arr = np.asarray(part, dtype=np_dtype)
        if arr.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"Shape of sample {arr.shape[1:]} of sequence at position {idx} is different from "
                f"expected shape {tuple(sample_shape)}"
            )
        parts.append((idx, arr))

    if is_str and np_dtype.itemsize == 0:  # plain `str`/`bytes`: wide enough for the value and every item
        width = max(
            [len(np.asarray(value, dtype=np_dtype.kind).item())]
            + [a.dtype.itemsize // np.dtype(np_dtype.kind + "1").itemsize for _, a in parts]
            + [1]
        )
        np_dtype = np.dtype(f"{np_dtype.kind}{width}")
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=np_dtype)
    for idx, arr in parts:
        if padding == "post":
            out[idx, : len(arr)] = arr
        else:
            out[idx, maxlen - len(arr) :] = arr
    return out


__all__ = ["pad_sequences"]
