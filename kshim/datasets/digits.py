"""The bundled UCI handwritten digits: 1,797 grayscale 8×8 images, labels 0-9 (no download)."""

from __future__ import annotations

import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_data(test_split: float = 0.2, seed: int = 113) -> tuple:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 8, 8) in 0..16 and uint8 labels.

    The split is a fixed permutation (``seed``), so every run and backend sees the same data.
    """
    if not 0.0 < test_split < 1.0:
        raise ValueError(f"test_split must be in (0, 1), got {test_split}.")
    with np.load(_PATH) as f:
        x, y = f["images"], f["labels"]
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(round(len(x) * (1.0 - test_split)))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
