"""``ArrayDataset``: the dataset object kshim's data utilities return (Keras returns ``tf.data``).

An ``ArrayDataset`` is a :class:`PyDataset` — ``fit``/``evaluate``/``predict`` (and ``validation_data=``)
take it directly — whose elements are batches (or single samples) of NumPy arrays. It offers the
small part of ``tf.data.Dataset`` that Keras code uses on these datasets: iteration, ``len()``,
``map``, ``batch``, ``unbatch``, ``take``, ``shuffle``, ``cache``, ``prefetch``, ``class_names``
and ``file_paths``.

Order: a shuffled dataset draws a fresh permutation per epoch from its seed (epoch ``e`` uses
``numpy.random.default_rng([seed, e])``), so the sequence of epochs is reproducible. An epoch
ends when ``fit`` calls ``on_epoch_end`` or when an iteration over the dataset starts (each
``iter()`` sees the next epoch, like ``tf.data``'s reshuffle on every iteration).

Elements are produced lazily; when read in order (``fit``, a ``for`` loop) the next one is prepared
on a background thread while the current one is used. Functions given to :meth:`map` run under
the NumPy backend (as :func:`kshim.layers.preprocessing.run_on_numpy` does), so preprocessing and
augmentation layers work in the pipeline whatever backend the model trains on.
"""

from __future__ import annotations

import contextvars
import math
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .py_dataset import PyDataset

__all__ = ["ArrayDataset", "stack_elements", "index_element"]


# ---- element trees (tuples, lists, dicts of arrays) -------------------------------------------------
def index_element(element: Any, i: Any) -> Any:
    """``element`` with every array leaf indexed by ``i`` along its first axis."""
    if isinstance(element, tuple):
        return tuple(index_element(e, i) for e in element)
    if isinstance(element, list):
        return [index_element(e, i) for e in element]
    if isinstance(element, dict):
        return {k: index_element(v, i) for k, v in element.items()}
    return element[i]


def stack_elements(elements: Sequence[Any]) -> Any:
    """Stack a list of same-structured elements along a new first axis (strings -> object arrays)."""
    first = elements[0]
    if isinstance(first, (tuple, list)):
        cols = [stack_elements([e[j] for e in elements]) for j in range(len(first))]
        return tuple(cols) if isinstance(first, tuple) else cols
    if isinstance(first, dict):
        return {k: stack_elements([e[k] for e in elements]) for k in first}
    if isinstance(first, (str, bytes)) or (isinstance(first, np.ndarray) and first.dtype == object):
        out = np.empty((len(elements),) + np.shape(first), dtype=object)
        for j, e in enumerate(elements):
            out[j] = e
        return out
    return np.stack([np.asarray(e) for e in elements])


def _num_rows(element: Any) -> int:
    while isinstance(element, (tuple, list, dict)):
        element = next(iter(element.values())) if isinstance(element, dict) else element[0]
    return len(element)


def _to_numpy(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_to_numpy(v) for v in value)
    if isinstance(value, list):
        return [_to_numpy(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if value is None or isinstance(value, (np.ndarray, np.generic, str, bytes, int, float, bool)):
        return value
    from .. import ops

    return np.asarray(ops.convert_to_numpy(value))


# ---- the dataset --------------------------------------------------------------------------------------
class ArrayDataset(PyDataset):
    """A finite, re-orderable sequence of elements (batches or samples of NumPy arrays).

    Build one with :meth:`from_arrays`, or get one from ``image_dataset_from_directory`` and the
    other ``*_dataset_from_*`` utilities. Indexing (``ds[i]``) returns element ``i`` of the current
    epoch; iterating yields the elements of one epoch.

    Attributes:
        class_names: The class names of a labelled directory dataset (else ``None``).
        file_paths: The files of a directory dataset, in the order of its first epoch (else ``None``).
    """

    def __init__(
        self, parent: "ArrayDataset | None" = None, class_names: list | None = None, file_paths: list | None = None
    ):
        super().__init__()
        self._parent = parent
        self.class_names = class_names if parent is None else getattr(parent, "class_names", None)
        self.file_paths = file_paths if parent is None else getattr(parent, "file_paths", None)
        self._epoch_count = 0
        self._pending: dict = {}
        self._executor: ThreadPoolExecutor | None = None

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls, data: Any, batch_size: int | None = None, shuffle: bool = False, seed: int | None = None
    ) -> "ArrayDataset":
        """A dataset of the rows of ``data`` (an array, or a tuple/list/dict of arrays of equal length),
        like ``tf.data.Dataset.from_tensor_slices(data)`` (then ``.batch(batch_size)`` if given).

        Args:
            data: The arrays; element ``i`` is the structure of their ``i``-th rows.
            batch_size: Rows per element, or ``None`` for one row per element.
            shuffle: Whether to reorder the rows each epoch.
            seed: Seed of the shuffling (``None``: a random one).

        Returns:
            An ``ArrayDataset``.
        """
        data = _as_arrays(data)
        return SourceDataset(
            _num_rows(data), lambda idx: index_element(data, idx), batch_size=batch_size, shuffle=shuffle, seed=seed
        )

    def _decode_threads(self) -> int:
        """Threads that decode this dataset's files while a step runs (0: none); see
        ``backends._base.BaseBackend.decoding_context``."""
        return self._parent._decode_threads() if self._parent is not None else 0

    # -- the element protocol (subclasses) ------------------------------------------------------------
    def __len__(self) -> int:
        raise NotImplementedError

    def _element(self, index: int, epoch: int) -> Any:
        raise NotImplementedError

    def _sizes(self) -> list[int]:
        """Rows in each element (for ``unbatch``)."""
        raise ValueError(f"{type(self).__name__} does not know the size of its elements, so it cannot be unbatched.")

    @property
    def _epoch(self) -> int:
        return self._epoch_count

    # -- PyDataset -------------------------------------------------------------------------------------
    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"ArrayDataset indices must be integers, got {type(index).__name__}.")
        index = int(index) + n if index < 0 else int(index)
        if not 0 <= index < n:
            raise IndexError(f"ArrayDataset index {index} out of range for {n} elements.")
        return self._fetch(index, self._epoch)

    def on_epoch_end(self) -> None:
        """Advance to the next epoch (a shuffled dataset then reads in a new order)."""
        self._epoch_count += 1
        self._pending.clear()

    def __iter__(self) -> Iterator[Any]:
        epoch = self._epoch
        self._epoch_count += 1  # the next iteration (or fit epoch) sees a new order
        for i in range(len(self)):
            yield self._fetch(i, epoch)

    def _fetch(self, index: int, epoch: int) -> Any:
        """Element ``index`` of ``epoch``, prepared ahead by one on a worker thread. One worker per
        dataset keeps the calls (and the random draws of mapped layers) in order."""
        future = self._pending.pop((index, epoch), None) or self._submit(index, epoch)
        stale = [k for k in self._pending if k[1] != epoch]
        for k in stale:
            self._pending.pop(k)
        if index + 1 < len(self) and (index + 1, epoch) not in self._pending:
            self._pending[(index + 1, epoch)] = self._submit(index + 1, epoch)
        return future.result()

    def _submit(self, index: int, epoch: int) -> Future:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kshim-data")
        return self._executor.submit(contextvars.copy_context().run, self._element, index, epoch)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_executor"], state["_pending"] = None, {}
        return state

    @property
    def num_batches(self) -> int:
        return len(self)

    def cardinality(self) -> int:
        """The number of elements (``tf.data``'s name for ``len``)."""
        return len(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} elements={len(self)}>"

    # -- transformations ------------------------------------------------------------------------------
    def map(
        self, map_func: Callable, num_parallel_calls: Any = None, deterministic: Any = None, name: str | None = None
    ) -> "ArrayDataset":
        """Apply ``map_func`` to every element (``map_func(*element)`` for a tuple element), under the
        NumPy backend; tensors it returns become NumPy arrays.

        Args:
            map_func: The function (e.g. a preprocessing layer, or ``lambda x, y: (layer(x), y)``).
            num_parallel_calls: Accepted for ``tf.data`` compatibility; elements are mapped in order.
            deterministic: Accepted for ``tf.data`` compatibility.
            name: Unused.

        Returns:
            The mapped dataset (elements are assumed to keep their number of rows, for ``unbatch``).
        """
        return _MapDataset(self, map_func)

    def batch(self, batch_size: int, drop_remainder: bool = False, **kwargs: Any) -> "ArrayDataset":
        """Group ``batch_size`` consecutive elements into one (stacked along a new first axis)."""
        if int(batch_size) <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        return _BatchDataset(self, int(batch_size), bool(drop_remainder))

    def unbatch(self, name: str | None = None) -> "ArrayDataset":
        """Split every element into its rows."""
        return _UnbatchDataset(self)

    def take(self, count: int, name: str | None = None) -> "ArrayDataset":
        """The first ``count`` elements (``-1``: all)."""
        return _TakeDataset(self, int(count))

    def skip(self, count: int, name: str | None = None) -> "ArrayDataset":
        """All elements but the first ``count``."""
        return _SkipDataset(self, max(0, int(count)))

    def shuffle(
        self,
        buffer_size: int | None = None,
        seed: int | None = None,
        reshuffle_each_iteration: bool = True,
        name: str | None = None,
    ) -> "ArrayDataset":
        """Reorder the elements each epoch (a full shuffle: ``buffer_size`` is accepted and ignored)."""
        return _ShuffleDataset(self, _seed_or_random(seed), reshuffle_each_iteration)

    def cache(self, filename: str = "", name: str | None = None) -> "ArrayDataset":
        """Keep the elements of the first epoch in memory and serve them again afterwards."""
        return _CacheDataset(self)

    def prefetch(self, buffer_size: Any = None, name: str | None = None) -> "ArrayDataset":
        """Returns the dataset itself: elements are always prepared one ahead."""
        return self

    def as_numpy_iterator(self) -> Iterator[Any]:
        """Iterate the elements (they already are NumPy arrays)."""
        return iter(self)


def _seed_or_random(seed: int | None) -> int:
    return int(np.random.randint(1_000_000)) if seed is None else int(seed)


def _as_arrays(data: Any) -> Any:
    if isinstance(data, tuple):
        return tuple(_as_arrays(d) for d in data)
    if isinstance(data, list) and data and all(isinstance(d, np.ndarray) for d in data):
        return [_as_arrays(d) for d in data]
    if isinstance(data, dict):
        return {k: _as_arrays(v) for k, v in data.items()}
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(_to_numpy(data))


def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([int(seed) % (2**32), int(epoch)]).permutation(n)


class SourceDataset(ArrayDataset):
    """``n`` samples read by ``load(indices)`` (a batch for an index array), batched and reordered.

    Args:
        n: Number of samples.
        load: ``load(indices) -> element`` with a leading axis of ``len(indices)`` rows.
        batch_size: Rows per element, or ``None`` for single samples.
        shuffle: Reorder the samples each epoch.
        seed: Seed of the order (``None``: random).
        first_epoch_in_order: Read epoch 0 in index order (the caller already shuffled the samples,
            as ``index_directory`` does), and permute from epoch 1 on.
        class_names: The class names of a labelled directory dataset.
        file_paths: The files of a directory dataset, in the order of its first epoch.
        decode_threads: Threads ``load`` decodes files on while a step runs (0: none).
    """

    def __init__(
        self,
        n: int,
        load: Callable[[np.ndarray], Any],
        batch_size: int | None = None,
        shuffle: bool = False,
        seed: int | None = None,
        first_epoch_in_order: bool = False,
        class_names: list | None = None,
        file_paths: list | None = None,
        decode_threads: int = 0,
    ):
        super().__init__(None, class_names, file_paths)
        self._decoding = int(decode_threads)
        if batch_size is not None and int(batch_size) <= 0:
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}.")
        self._n, self._load = int(n), load
        self._batch_size = None if batch_size is None else int(batch_size)
        self._shuffle, self._seed = bool(shuffle), _seed_or_random(seed) if shuffle else seed
        self._first_in_order = first_epoch_in_order
        self._orders: dict = {}

    def __len__(self) -> int:
        return self._n if self._batch_size is None else math.ceil(self._n / self._batch_size)

    def _decode_threads(self) -> int:
        return self._decoding

    def _order(self, epoch: int) -> np.ndarray:
        if not self._shuffle or (epoch == 0 and self._first_in_order):
            return np.arange(self._n)
        if epoch not in self._orders:
            assert self._seed is not None  # shuffle=True drew one
            self._orders = {epoch: _permutation(self._n, self._seed, epoch)}
        return self._orders[epoch]

    def _element(self, index: int, epoch: int) -> Any:
        order = self._order(epoch)
        if self._batch_size is None:
            return index_element(self._load(order[index : index + 1]), 0)
        return self._load(order[index * self._batch_size : (index + 1) * self._batch_size])

    def _sizes(self) -> list[int]:
        if self._batch_size is None:
            return super()._sizes()
        full, rest = divmod(self._n, self._batch_size)
        return [self._batch_size] * full + ([rest] if rest else [])


class _MapDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset, fn: Callable):
        super().__init__(parent)
        self._fn = fn

    def __len__(self) -> int:
        return len(self._parent)

    def _element(self, index: int, epoch: int) -> Any:
        from .. import backend

        element = self._parent._element(index, epoch)
        with backend.use("numpy"):
            out = self._fn(*element) if isinstance(element, tuple) else self._fn(element)
            return _to_numpy(out)

    def _sizes(self) -> list[int]:
        return self._parent._sizes()


class _BatchDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset, batch_size: int, drop_remainder: bool):
        super().__init__(parent)
        self._batch_size, self._drop = batch_size, drop_remainder

    def __len__(self) -> int:
        n = len(self._parent)
        return n // self._batch_size if self._drop else math.ceil(n / self._batch_size)

    def _element(self, index: int, epoch: int) -> Any:
        lo = index * self._batch_size
        hi = min(lo + self._batch_size, len(self._parent))
        return stack_elements([self._parent._element(i, epoch) for i in range(lo, hi)])

    def _sizes(self) -> list[int]:
        n = len(self._parent)
        return [min(self._batch_size, n - i * self._batch_size) for i in range(len(self))]


class _UnbatchDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset):
        super().__init__(parent)
        self._ends = np.cumsum(parent._sizes())
        self._last: tuple = (None, None)

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def _element(self, index: int, epoch: int) -> Any:
        b = int(np.searchsorted(self._ends, index, side="right"))
        key, cached = self._last
        if key != (b, epoch):
            cached = self._parent._element(b, epoch)
            self._last = ((b, epoch), cached)
        start = int(self._ends[b - 1]) if b else 0
        return index_element(cached, index - start)


class _TakeDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset, count: int):
        super().__init__(parent)
        self._count = count

    def __len__(self) -> int:
        n = len(self._parent)
        return n if self._count < 0 else min(n, self._count)

    def _element(self, index: int, epoch: int) -> Any:
        return self._parent._element(index, epoch)

    def _sizes(self) -> list[int]:
        return self._parent._sizes()[: len(self)]


class _SkipDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset, count: int):
        super().__init__(parent)
        self._count = count

    def __len__(self) -> int:
        return max(0, len(self._parent) - self._count)

    def _element(self, index: int, epoch: int) -> Any:
        return self._parent._element(index + self._count, epoch)

    def _sizes(self) -> list[int]:
        return self._parent._sizes()[self._count :]


class _ShuffleDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset, seed: int, reshuffle: bool):
        super().__init__(parent)
        self._seed, self._reshuffle = seed, reshuffle
        self._order: tuple = (None, None)

    def __len__(self) -> int:
        return len(self._parent)

    def _element(self, index: int, epoch: int) -> Any:
        e = epoch if self._reshuffle else 0
        if self._order[0] != e:
            self._order = (e, _permutation(len(self), self._seed, e))
        return self._parent._element(int(self._order[1][index]), epoch)


class _CacheDataset(ArrayDataset):
    _parent: ArrayDataset  # a derived dataset always has one

    def __init__(self, parent: ArrayDataset):
        super().__init__(parent)
        self._store: dict = {}

    def __len__(self) -> int:
        return len(self._parent)

    def _element(self, index: int, epoch: int) -> Any:
        if index not in self._store:
            self._store[index] = self._parent._element(index, epoch)
        return self._store[index]

    def _sizes(self) -> list[int]:
        return self._parent._sizes()
