"""IMDB movie-review sentiment (Keras' loader): 25,000 + 25,000 reviews as word-index sequences."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._cache import get_file, load_npz

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def object_array(seqs: list) -> np.ndarray:
    """``np.array(seqs, dtype="object")``, as Keras builds it (2-D when all sequences have one length)."""
    return np.array(seqs, dtype="object")


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them.

    Args:
        path: File name in the cache (``<home>/datasets``).
        num_words: Keep the ``num_words`` most frequent words (others become ``oov_char``).
        skip_top: Treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop reviews of ``maxlen`` words or more.
        seed: Seed of the shuffling of each split.
        start_char: Index marking the start of a review (``None``: none).
        oov_char: Index of out-of-vocabulary words (``None``: drop them).
        index_from: Shift of the word indices.
        **kwargs: Ignored (Keras' deprecated arguments).

    Returns:
        ``x`` as object arrays of lists of ints, ``y`` the int labels (0 negative, 1 positive).

    Raises:
        ValueError: ``maxlen`` leaves no review.
    """
    fpath = get_file(path, BASE + "imdb.npz", file_hash=FILE_HASH)
    f = load_npz(fpath)
    rng = np.random.RandomState(seed)
    splits = []
    for xk, yk in (("x_train", "y_train"), ("x_test", "y_test")):
        order = np.arange(len(f[xk]))
        rng.shuffle(order)
        splits.append((f[xk][order], f[yk][order]))
    (x_train, y_train), (x_test, y_test) = splits
    # Keras shifts and length-filters each split, then applies the vocabulary cut on both together.
    x_train, y_train = shift_and_filter(x_train, y_train, maxlen, start_char, index_from)
    x_test, y_test = shift_and_filter(x_test, y_test, maxlen, start_char, index_from)
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
        )
    xs, labels = x_train + x_test, np.concatenate([y_train, y_test])
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = len(x_train)
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def shift_and_filter(
    xs: Any, labels: Any, maxlen: int | None, start_char: int | None, index_from: int
) -> tuple[list, Any]:
    """Prepend ``start_char``, shift word indices by ``index_from`` and drop sequences of ``maxlen`` or
    more words (Keras' processing, shared with Reuters)."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    else:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        return [k[0] for k in kept], [k[1] for k in kept]
    return xs, labels


def limit_vocabulary(xs: list, num_words: int | None, skip_top: int, oov_char: int | None) -> list:
    """Map words outside ``[skip_top, num_words)`` to ``oov_char`` (drop them when it is ``None``);
    ``num_words=None`` keeps up to the largest index."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """The word -> index dictionary of the IMDB set (indices before ``index_from`` is added).

    Args:
        path: File name in the cache, ``<home>/datasets`` (default ``"imdb_word_index.json"``).

    Returns:
        A dict mapping each word (str) to its integer rank (1 is the most frequent word).
    """
    fpath = get_file(path, BASE + "imdb_word_index.json", file_hash=WORD_INDEX_HASH)
    with open(fpath) as f:
        return json.load(f)
