"""Boston housing (Keras' loader): 506 samples, 13 features, price targets."""

from __future__ import annotations

import numpy as np

from ._cache import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` shuffled with ``seed`` as Keras does.

    The file is downloaded once and cached under ``<home>/datasets``.

    Args:
        path: File name in the cache (default ``"boston_housing.npz"``).
        test_split: Fraction of the data used as the test set, in ``[0, 1)`` (default ``0.2``).
        seed: Seed of the shuffling done before the split (default ``113``).

    Returns:
        Two tuples of NumPy arrays: ``x`` of shape ``(n, 13)`` (the features) and ``y`` of shape
        ``(n,)`` (median home values, in thousands of dollars).

    Raises:
        ValueError: If ``test_split`` is outside ``[0, 1)``.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}.")
    fpath = get_file(path, ORIGIN)
    with np.load(fpath, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    rng = np.random.RandomState(seed)
    idx = np.arange(len(x))
    rng.shuffle(idx)
    x, y = x[idx], y[idx]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
