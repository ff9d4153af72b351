"""``PyDataset``: a Python-side dataset of batches (``keras.utils.PyDataset``)."""
from __future__ import annotations

from typing import Any


class PyDataset:
    """Subclass and implement ``__len__`` (number of batches) and ``__getitem__(index)`` returning
    ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_end`` runs after each epoch."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self) -> int:
        return len(self)

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""
