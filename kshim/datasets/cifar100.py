"""CIFAR-100 (Keras' loader): 50,000 + 10,000 32×32 colour images, 100 fine or 20 coarse classes."""

from __future__ import annotations

import os

import numpy as np

from .. import _config
from ._cache import get_file, restricted_unpickler

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def _load_batch(fpath: str, label_key: str) -> tuple[np.ndarray, list]:
    with open(fpath, "rb") as f:
        d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in restricted_unpickler(f).load().items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data(label_mode: str = "fine") -> tuple:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)`` (``(n, 3, 32, 32)``
    with ``channels_first``) and int64 labels ``(n, 1)``.

    The archive is cached and extracted as Keras does (``<home>/datasets/cifar-100-python-target``).

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        Two tuples of NumPy arrays: 50,000 training and 10,000 test images with their labels
        (``0..99`` for ``"fine"``, ``0..19`` for ``"coarse"``).

    Raises:
        ValueError: another ``label_mode``.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    path = get_file("cifar-100-python-target", ORIGIN, file_hash=FILE_HASH, extract=True)
    path = os.path.join(path, "cifar-100-python")
    out = []
    for split in ("train", "test"):
        x, labels = _load_batch(os.path.join(path, split), f"{label_mode}_labels")
        y = np.reshape(labels, (len(labels), 1))
        if _config.image_data_format() == "channels_last":
            x = x.transpose(0, 2, 3, 1)
        out.append((x, y))
    return out[0], out[1]
