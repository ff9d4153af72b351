"""``timeseries_dataset_from_array``: sliding windows over an array, as batches, without TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np

from .array_dataset import ArrayDataset, SourceDataset

__all__ = ["timeseries_dataset_from_array"]


def _check(data: Any, start_index: Any, end_index: Any, sampling_rate: int, sequence_stride: int, format: str) -> None:
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= n:
            raise ValueError(
                f"`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {n}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                f"and end_index={end_index} "
            )
        if end_index >= n:
            raise ValueError(
                f"`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {n}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= n:
        raise ValueError(
            f"`sampling_rate` must be lower than the length of the data. Received: "
            f"sampling_rate={sampling_rate}, for data of length {n}"
        )
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= n:
        raise ValueError(
            f"`sequence_stride` must be lower than the length of the data. Received: "
            f"sequence_stride={sequence_stride}, for data of length {n}"
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> ArrayDataset:
    """A dataset of sliding windows over ``data`` (and the target at each window's start).

    Window ``k`` holds the steps ``p_k, p_k + sampling_rate, ..., p_k + (sequence_length - 1) *
    sampling_rate`` of ``data[start_index:end_index]``, with ``p_k = k * sequence_stride``; its target
    is ``targets[start_index + p_k]``. Windows that would run past the end are dropped. Same
    arguments and checks as ``keras.utils.timeseries_dataset_from_array``; with ``shuffle`` the window
    order of the first epoch is Keras' (``numpy.random.RandomState(seed)``), later epochs reorder
    with the seed (Keras' ``tf.data`` buffer shuffle is not reproduced).

    Args:
        data: Array-like with time along the first axis.
        targets: Targets (same first axis as ``data``), or ``None``.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of consecutive windows.
        sampling_rate: Steps between consecutive elements of a window.
        batch_size: Windows per batch; ``None`` yields single windows.
        shuffle: Shuffle the windows.
        seed: Seed of the shuffling (``None``: random).
        start_index: First step used (inclusive).
        end_index: Last step used (exclusive).
        format: ``"tf"`` or ``"grain"`` (both give an ``ArrayDataset`` here).

    Returns:
        An ``ArrayDataset`` of ``(windows, targets)`` batches (windows only without targets), in
        ``data``'s dtype.

    Raises:
        ValueError: invalid indices, rates or strides (as Keras).
    """
    _check(data, start_index, end_index, sampling_rate, sequence_stride, format)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        np.random.RandomState(seed).shuffle(positions)
    steps = np.asarray(data[start:end])
    offsets = np.arange(sequence_length, dtype="int64") * sampling_rate
    target_steps = None if targets is None else np.asarray(targets[start:end])

    def load(idx: np.ndarray) -> Any:
        p = positions[idx]
        windows = steps[p[:, None] + offsets[None, :]]
        return windows if target_steps is None else (windows, target_steps[p])

    return SourceDataset(
        len(positions), load, batch_size=batch_size, shuffle=shuffle, seed=seed, first_epoch_in_order=True
    )
