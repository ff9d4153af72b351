"""California housing (Keras' loader): 20,640 districts, 8 features, median house value targets."""

from __future__ import annotations

import numpy as np

from ._cache import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(
    version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` shuffled with ``seed`` as Keras does.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first 600).
        path: File name in the cache (``<home>/datasets``).
        test_split: Fraction of the data used as the test set, in ``[0, 1)``.
        seed: Seed of the shuffling.

    Returns:
        Two tuples of NumPy arrays: ``x`` of shape ``(n, 8)`` (the district features) and ``y`` of
        shape ``(n,)`` (median house values).

    Raises:
        ValueError: ``test_split`` outside ``[0, 1)`` or an unknown ``version``.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of 1).")
    fpath = get_file(path, ORIGIN, file_hash=FILE_HASH)
    with np.load(fpath, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
