"""CIFAR-10 (Keras' loader): 50,000 + 10,000 32×32 colour images, 10 classes."""

from __future__ import annotations

import pickle
import tarfile

import numpy as np

from ._cache import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


class _NumpyOnly(pickle.Unpickler):
    """Unpickler that only reconstructs NumPy arrays and builtins (the CIFAR batches need no more)."""

    def find_class(self, module, name):
        if module.startswith("numpy") or module in ("builtins", "_codecs", "copy_reg"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load {module}.{name} from a dataset file.")


def _batch(tar: tarfile.TarFile, member: str) -> tuple:
    f = tar.extractfile(member)
    if f is None:
        raise ValueError(f"CIFAR-10 archive is missing {member}.")
    d = _NumpyOnly(f, encoding="bytes").load()
    x = np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return x, np.asarray(d[b"labels"], np.uint8).reshape(-1, 1)


def load_data() -> tuple:
    """``(x_train, y_train), (x_test, y_test)``; images (n, 32, 32, 3) uint8, labels (n, 1).

    The archive is downloaded once and cached under ``<home>/datasets``. Unlike Keras, the images are
    always channels-last, whatever ``image_data_format()`` is.

    Returns:
        Two tuples of NumPy arrays: ``x_train`` ``(50000, 32, 32, 3)`` and ``x_test``
        ``(10000, 32, 32, 3)`` uint8 images, ``y_train`` ``(50000, 1)`` and ``y_test`` ``(10000, 1)``
        uint8 labels in ``0..9``.
    """
    path = get_file("cifar-10-python.tar.gz", ORIGIN)
    with tarfile.open(path, "r:gz") as tar:
        parts = [_batch(tar, f"cifar-10-batches-py/data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = _batch(tar, "cifar-10-batches-py/test_batch")
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return (x_train, y_train), (x_test, y_test)
