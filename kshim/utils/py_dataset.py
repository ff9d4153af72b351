"""``PyDataset``: a Python-side dataset of batches (``keras.utils.PyDataset``)."""

from __future__ import annotations

from typing import Any


class PyDataset:
    """Subclass and implement ``__len__`` (number of batches) and ``__getitem__(index)`` returning
    ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_end`` runs after each epoch.

    An instance can be passed as ``x`` to ``fit``, ``evaluate`` and ``predict`` (without ``y``). Unlike
    Keras, kshim reads the batches one after another in the calling thread: the three arguments
    below are stored (subclasses should pass them on with ``super().__init__(**kwargs)``) but start no
    workers.

    Args:
        workers: Number of workers Keras would use to load batches (default ``1``); recorded only.
        use_multiprocessing: Whether Keras would use processes instead of threads (default ``False``);
            recorded only.
        max_queue_size: Number of batches Keras would prefetch (default ``10``); recorded only.
    """

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
