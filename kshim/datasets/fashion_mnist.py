"""Fashion-MNIST (Keras' loader): 28×28 grayscale clothing images, 10 classes."""

from __future__ import annotations

import gzip

import numpy as np

from ._cache import get_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _read(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data() -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays (downloaded once, then cached).

    Returns:
        Two tuples of uint8 NumPy arrays: ``x_train`` ``(60000, 28, 28)`` and ``x_test``
        ``(10000, 28, 28)`` grayscale images, ``y_train`` ``(60000,)`` and ``y_test`` ``(10000,)``
        labels in ``0..9``.
    """
    paths = [get_file(f, BASE + f, cache_subdir="fashion-mnist") for f in FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
