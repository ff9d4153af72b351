"""MNIST (Keras' loader): 60,000 + 10,000 grayscale 28×28 digit images."""

from __future__ import annotations

import numpy as np

from ._cache import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays (downloaded once, then cached).

    Args:
        path: File name in the cache, ``<home>/datasets`` (default ``"mnist.npz"``).

    Returns:
        Two tuples of uint8 NumPy arrays: ``x_train`` ``(60000, 28, 28)`` and ``x_test``
        ``(10000, 28, 28)`` grayscale images, ``y_train`` ``(60000,)`` and ``y_test`` ``(10000,)``
        digit labels in ``0..9``.
    """
    fpath = get_file(path, ORIGIN, file_hash=SHA256)
    with np.load(fpath, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
