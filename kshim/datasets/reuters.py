"""Reuters newswire topics (Keras' loader): 11,228 newswires as word-index sequences, 46 topics."""

from __future__ import annotations

import json

import numpy as np

from ._cache import get_file, load_npz
from .imdb import limit_vocabulary, object_array, shift_and_filter

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them.

    Args:
        path: File name in the cache (``<home>/datasets``).
        num_words: Keep the ``num_words`` most frequent words (others become ``oov_char``).
        skip_top: Treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop newswires of ``maxlen`` words or more.
        test_split: Fraction of the (shuffled) data used as the test set.
        seed: Seed of the shuffling.
        start_char: Index marking the start of a sequence (``None``: none).
        oov_char: Index of out-of-vocabulary words (``None``: drop them).
        index_from: Shift of the word indices.

    Returns:
        ``x`` as object arrays of lists of ints, ``y`` the topic indices (see :func:`get_label_names`).
    """
    fpath = get_file(path, BASE + "reuters.npz", file_hash=FILE_HASH)
    f = load_npz(fpath)
    xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]
    xs, labels = shift_and_filter(xs, labels, maxlen, start_char, index_from)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (object_array(xs[:cut]), np.array(labels[:cut])), (object_array(xs[cut:]), np.array(labels[cut:]))


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """The word -> index dictionary of the Reuters set (indices before ``index_from`` is added).

    Args:
        path: File name in the cache, ``<home>/datasets`` (default ``"reuters_word_index.json"``).

    Returns:
        A dict mapping each word (str) to its integer rank (1 is the most frequent word).
    """
    fpath = get_file(path, BASE + "reuters_word_index.json", file_hash=WORD_INDEX_HASH)
    with open(fpath) as f:
        return json.load(f)


def get_label_names() -> tuple:
    """The 46 topic names, indexed by label.

    Returns:
        A tuple of 46 strings; ``get_label_names()[y]`` names label ``y``.
    """
    return _LABEL_NAMES
