"""``PyDataset``: a Python-side dataset of batches (``keras.utils.PyDataset``)."""

from __future__ import annotations

import contextvars
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterator


class PyDataset:
    """Subclass and implement ``__len__`` (number of batches) and ``__getitem__(index)`` returning
    ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_end`` runs after each epoch.

    An instance can be passed as ``x`` to ``fit``, ``evaluate`` and ``predict`` (without ``y``).
    Subclasses should pass the three arguments below on with ``super().__init__(**kwargs)``. As in
    Keras, ``workers=1`` (the default) reads the batches one after another in the calling thread, and
    ``workers > 1`` reads up to ``max_queue_size`` batches ahead on that many threads, handing them to
    the model in index order.

    Args:
        workers: Threads that call ``__getitem__`` ahead of the model (default ``1``: none, the
            calling thread reads each batch when it is needed).
        use_multiprocessing: Keras then reads with processes. kshim deliberately uses threads either
            way (``max(workers, 1)`` of them when this is True): forking a process that runs JAX's or
            torch's thread pools can deadlock, and NumPy, Pillow and file reads release the GIL, so
            threads load batches in parallel.
        max_queue_size: Most batches read ahead of the model (default ``10``; at least ``workers``).
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


def read_ahead_threads(dataset: PyDataset) -> int:
    """Threads that read ``dataset``'s batches ahead of the model: 0 when it is read in the calling
    thread (``workers <= 1`` without ``use_multiprocessing``)."""
    workers = getattr(dataset, "workers", 1)
    multi = bool(getattr(dataset, "use_multiprocessing", False))
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValueError(f"PyDataset `workers` must be an integer, got {workers!r}.")
    if workers > 1:
        return workers
    return 1 if multi and workers > 0 else 0


def iterate_batches(dataset: PyDataset, num_batches: int) -> Iterator[Any]:
    """``dataset[step % len(dataset)]`` for ``step`` in ``range(num_batches)``, in order.

    With :func:`read_ahead_threads` > 0 the batches are read on that many threads, at most
    ``max(max_queue_size, workers)`` ahead of the consumer; an exception raised by ``__getitem__``
    reaches the consumer at that batch, and batches still queued when the consumer stops are
    cancelled.
    """
    threads = read_ahead_threads(dataset)
    size = len(dataset)
    if threads == 0:
        for step in range(num_batches):
            yield dataset[step % size]
        return
    depth = max(int(getattr(dataset, "max_queue_size", 10) or 1), threads)
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kshim-pydataset")
    queued: deque[Future] = deque()
    try:
        submitted = 0
        for _ in range(num_batches):
            while submitted < num_batches and len(queued) < depth:
                ctx = contextvars.copy_context()
                queued.append(pool.submit(ctx.run, dataset.__getitem__, submitted % size))
                submitted += 1
            yield queued.popleft().result()
    finally:
        for future in queued:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
