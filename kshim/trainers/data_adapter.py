"""Turning ``fit``/``evaluate``/``predict`` inputs into per-epoch batch iterators."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Generator, Iterator

import numpy as np
import optree

from .. import _config as config
from .._validation import positive_int
from ..backend import current
from ..random import host


def _to_host(x: Any) -> Any:
    """Array leaves -> NumPy (float64 -> floatx, as Keras' adapters do)."""

    def conv(a):
        if a is None:
            return None
        if hasattr(a, "numpy") and not isinstance(a, np.ndarray):
            try:
                b = current()
                a = b.to_numpy(a) if b.is_tensor(a) else np.asarray(a.detach().cpu() if hasattr(a, "detach") else a)
            except TypeError:
                a = np.asarray(a)
        a = np.asarray(a)
        if a.dtype == np.float64 and config.floatx() != "float64":
            a = a.astype(config.floatx())
        if a.dtype == object:
            if not all(isinstance(v, (str, bytes)) for v in a.reshape(-1)):
                raise TypeError(
                    "Input data contains Python objects; pass numeric arrays (or strings, for a "
                    "model whose Input has dtype='string')."
                )
            a = np.array([v.decode("utf-8") if isinstance(v, bytes) else v for v in a.reshape(-1)], dtype=str).reshape(
                a.shape
            )
        return a

    return optree.tree_map(conv, x, none_is_leaf=False, namespace="kshim")


def unpack(data: Any) -> tuple:
    """``(x, y, sample_weight)`` from a batch tuple of length 1-3 or a bare x."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"Data batches must be (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)}.")
    if isinstance(data, list) and len(data) in (2, 3) and not isinstance(data[0], (int, float)):
        return unpack(tuple(data))
    return data, None, None


def _num_samples(*structs: Any) -> int:
    sizes: dict[str, set[int]] = {}
    for name, s in zip(("x", "y", "sample_weight"), structs):
        for leaf in optree.tree_leaves(s, namespace="kshim"):
            sizes.setdefault(name, set()).add(int(np.shape(leaf)[0]) if np.ndim(leaf) else -1)
    flat = {n for v in sizes.values() for n in v}
    if -1 in flat:
        raise ValueError("Input arrays must have a leading batch dimension (got a scalar).")
    if len(flat) > 1:
        desc = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: all inputs must have the same number of samples "
            f"({desc}). Make sure x, y and sample_weight have the same first dimension."
        )
    if not flat:
        raise ValueError("No data given: pass x (and y) arrays, a generator or a PyDataset.")
    return flat.pop()


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    y = np.asarray(y)
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=config.floatx())


def _host_views(struct: Any) -> Any:
    """Leaves as backend tensors sharing the host arrays' memory where the backend offers that
    (``host_view``: torch on CPU), so a batch is a cheap slice instead of a conversion per step."""
    view = getattr(current(), "host_view", None)
    if view is None:
        return struct
    return optree.tree_map(lambda a: a if (v := view(a)) is None else v, struct, namespace="kshim")


def take(struct: Any, idx: Any) -> Any:
    return optree.tree_map(lambda a: a[idx], struct, none_is_leaf=False, namespace="kshim")


def train_validation_split(x: Any, y: Any, sw: Any, split: float) -> tuple:
    """The last ``split`` fraction (before any shuffling) becomes validation data."""
    if not 0.0 < split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {split}.")
    x, y, sw = _to_host(x), _to_host(y), _to_host(sw)
    n = _num_samples(x, y, sw)
    cut = int(math.floor(n * (1.0 - split)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={split} leaves an empty training or validation set for {n} samples.")
    first, last = slice(0, cut), slice(cut, n)
    return (take(x, first), take(y, first), take(sw, first)), (take(x, last), take(y, last), take(sw, last))


class DataHandler:
    """Iterates batches ``(x, y, sample_weight)`` epoch by epoch for any supported input type."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        steps_per_epoch: int | None = None,
        shuffle: Any = False,
        class_weight: dict | None = None,
    ):
        if batch_size is not None:
            batch_size = positive_int(batch_size, "batch_size")
        if steps_per_epoch is not None:
            steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
        self.steps_per_epoch = steps_per_epoch
        self._iterator: Any = None
        self.kind = self._kind(x)
        if self.kind == "arrays":
            if batch_size is None:
                batch_size = 32
            self.x, self.y, self.sw = _to_host(x), _to_host(y), _to_host(sample_weight)
            self.n = _num_samples(self.x, self.y, self.sw)
            if class_weight is not None:
                if self.y is None:
                    raise ValueError("class_weight needs targets y.")
                cw = class_weights_to_sample_weights(optree.tree_leaves(self.y, namespace="kshim")[0], class_weight)
                self.sw = cw if self.sw is None else self.sw * cw
            self.x, self.y, self.sw = _host_views(self.x), _host_views(self.y), _host_views(self.sw)
            self.batch_size = int(batch_size)
            self.num_batches: int | None = max(1, math.ceil(self.n / self.batch_size))  # None: unknown length
            self.shuffle = shuffle
        else:
            if y is not None or sample_weight is not None:
                raise ValueError(
                    f"When x is a {self.kind}, y and sample_weight must come from it (got y or "
                    f"sample_weight arguments)."
                )
            self.x = x
            self.class_weight = class_weight
            self.num_batches = len(x) if self.kind in ("pydataset", "dataloader") else None
        if steps_per_epoch is not None:
            self.num_batches = int(steps_per_epoch)

    @staticmethod
    def _kind(x: Any) -> str:
        from ..utils.py_dataset import PyDataset

        if isinstance(x, PyDataset):
            return "pydataset"
        mod = type(x).__module__ or ""
        if mod.startswith("torch.utils.data"):
            return "dataloader"
        if hasattr(x, "__next__") or (
            hasattr(x, "__iter__") and not isinstance(x, (list, tuple, dict, np.ndarray)) and not hasattr(x, "shape")
        ):
            return "generator"
        return "arrays"

    def __iter__(self) -> Iterator:
        raise TypeError("Use DataHandler.epoch(epoch) to iterate.")

    def epoch(self, epoch: int, start: int = 0) -> Generator[tuple, None, None]:
        """Batches ``(step, (x, y, sw))`` of one epoch from step ``start`` on (a resumed run).

        The epoch's shuffle order is drawn from the host generator when this is called, not
        when iteration begins, so a caller can restore the generator's state around the draw.
        """
        if self.kind == "arrays":
            order = host.permutation(host.next_key(), self.n) if self.shuffle else None
            return self._array_batches(order, start)
        return self._other_batches(start)

    def _array_batches(self, order: Any, start: int) -> Generator[tuple, None, None]:
        assert self.num_batches is not None  # arrays always have a known length
        for step in range(start, self.num_batches):
            lo = (step * self.batch_size) % self.n if self.steps_per_epoch else step * self.batch_size
            idx = slice(lo, min(lo + self.batch_size, self.n))
            if order is not None:
                idx = order[idx]
            yield step, (take(self.x, idx), take(self.y, idx), take(self.sw, idx))

    def _other_batches(self, start: int) -> Generator[tuple, None, None]:
        for step, batch in self._source_batches():
            if step >= start:
                yield step, batch

    def _source_batches(self) -> Iterator[tuple]:
        if self.kind == "pydataset":
            assert self.num_batches is not None  # a PyDataset has a length
            from ..utils.py_dataset import iterate_batches

            decoding = getattr(self.x, "_decode_threads", lambda: 0)()
            with current().decoding_context(decoding) if decoding else contextlib.nullcontext():
                for step, batch in enumerate(iterate_batches(self.x, self.num_batches)):
                    yield step, self._std(batch)
            self.x.on_epoch_end()
            return
        if self.kind == "dataloader":
            for step, batch in enumerate(self.x):
                if self.steps_per_epoch is not None and step >= self.steps_per_epoch:
                    break
                yield step, self._std(batch)
            return
        if self._iterator is None:
            self._iterator = iter(self.x)
        step = 0
        while self.steps_per_epoch is None or step < self.steps_per_epoch:
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self.steps_per_epoch is None:
                    self.num_batches = step
                return
            yield step, self._std(batch)
            step += 1

    def _std(self, batch: Any) -> tuple:
        x, y, sw = unpack(tuple(batch) if isinstance(batch, list) and len(batch) in (2, 3) else batch)
        x, y, sw = _to_host(x), _to_host(y), _to_host(sw)
        cw = getattr(self, "class_weight", None)
        if cw is not None and y is not None:
            w = class_weights_to_sample_weights(optree.tree_leaves(y, namespace="kshim")[0], cw)
            sw = w if sw is None else sw * w
        return x, y, sw
