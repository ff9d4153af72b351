"""``split_dataset``: split arrays or a dataset into a left and a right dataset (e.g. train / test)."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

import numpy as np

from .array_dataset import ArrayDataset, SourceDataset, index_element, stack_elements

__all__ = ["split_dataset"]


def _split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    """Keras' rules: floats are fractions in (0, 1) (rounded), ints are counts in (0, total)."""
    lt, rt = type(left_size), type(right_size)
    if left_size is not None and lt not in (int, float) and right_size is not None and rt not in (int, float):
        raise TypeError(
            f"Invalid `left_size` and `right_size` Types. Expected: integer or float or None, Received: "
            f"type(left_size)={lt} and type(right_size)={rt}"
        )
    if left_size is not None and lt not in (int, float):
        raise TypeError(f"Invalid `left_size` Type. Expected: int or float or None, Received: type(left_size)={lt}.  ")
    if right_size is not None and rt not in (int, float):
        raise TypeError(f"Invalid `right_size` Type. Expected: int or float or None,Received: type(right_size)={rt}.")
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero."
        )
    for size, kind, side in ((left_size, lt, "left"), (right_size, rt, "right")):
        if (kind is int and (size <= 0 or size >= total)) or (kind is float and (size <= 0 or size >= 1)):
            raise ValueError(
                f"`{side}_size` should be either a positive integer smaller than {total}, or a float "
                f"within the range `[0, 1]`. Received: {side}_size={size}"
            )
    if lt is float and rt is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1."
        )
    left = round(left_size * total) if lt is float else left_size
    right = round(right_size * total) if rt is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
            f"left_size + right_size = {left + right}and total_length = {total}"
        )
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. "
                f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                f"parameters"
            )
    return int(left), int(right)


def _samples(dataset: Any) -> tuple[Any, int, int | None]:
    """``(structure of stacked arrays, number of samples, batch size or None)``."""
    if isinstance(dataset, np.ndarray):
        return dataset, len(dataset), None
    if isinstance(dataset, (list, tuple)):
        if len(dataset) == 0:
            raise ValueError(
                f"Received an empty {type(dataset).__name__} dataset. Please provide a non-empty "
                f"{type(dataset).__name__} of arrays."
            )
        arrays = []
        for i, a in enumerate(dataset):
            if not isinstance(a, np.ndarray):
                raise ValueError(
                    f"Expected a {type(dataset).__name__} of `numpy.ndarray` objects,Received: {type(a)} at index {i}."
                )
            if len(a) != len(dataset[0]):
                raise ValueError(
                    f"Received a {type(dataset).__name__} of NumPy arrays with different lengths."
                    f"Mismatch found at index {i}, Expected shape={dataset[0].shape} Received shape="
                    f"{a.shape}.Please provide a {type(dataset).__name__} of NumPy arrays of the same "
                    f"length."
                )
            arrays.append(a)
        return tuple(arrays), len(arrays[0]), None
    if isinstance(dataset, ArrayDataset):
        batch = getattr(dataset, "_batch_size", None)
        rows = dataset.unbatch() if batch is not None else dataset
        items = list(rows)
    elif hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):  # e.g. a torch Dataset
        items, batch = [dataset[i] for i in range(len(dataset))], None
    else:
        raise TypeError(
            f"The `dataset` argument must be either a kshim ArrayDataset, a sequence of samples (such "
            f"as a torch Dataset), or a list/tuple of arrays. Received: dataset={dataset} of type "
            f"{type(dataset)}"
        )
    if not items:
        raise ValueError(
            "Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of "
            "`numpy.ndarray` objects or a dataset."
        )
    items = [tuple(np.asarray(v) for v in s) if isinstance(s, (tuple, list)) else s for s in items]
    return stack_elements(items), len(items), batch


def split_dataset(
    dataset: Any,
    left_size: Any = None,
    right_size: Any = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[ArrayDataset, ArrayDataset]:
    """Split a dataset into a left and a right part.

    Sizes and the shuffled order follow ``keras.utils.split_dataset`` (the samples are shuffled with
    Python's ``random`` seeded with ``seed``; the left part is the first ``left_size`` samples, the
    right part the last ``right_size``). Both parts are ``ArrayDataset`` objects whatever
    ``preferred_backend`` says: of single samples, or batched like the input when it was a batched
    ``ArrayDataset``.

    Args:
        dataset: An array, a tuple/list of arrays of equal length, an ``ArrayDataset``, or any
            sequence of samples with ``len`` and indexing (a torch ``Dataset``).
        left_size: Fraction (float in (0, 1)) or number (int) of samples on the left; ``None``: the
            complement of ``right_size``.
        right_size: The same for the right part.
        shuffle: Shuffle the samples before splitting.
        seed: The shuffle's seed.
        preferred_backend: Accepted for compatibility; the result type does not depend on it.

    Returns:
        ``(left, right)``.

    Raises:
        TypeError: unsupported dataset or size types.
        ValueError: empty data or invalid sizes.
    """
    data, total, batch = _samples(dataset)
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    left, right = _split_sizes(left_size, right_size, total)
    parts = []
    for idx in (np.asarray(order[:left]), np.asarray(order[total - right :])):
        rows = index_element(data, idx)
        parts.append(SourceDataset(len(idx), partial(index_element, rows), batch_size=batch))
    return parts[0], parts[1]
