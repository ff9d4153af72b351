"""``PyDataset(workers=N)``: batches read ahead on N threads, handed to fit/evaluate/predict in order."""

import threading

import numpy as np
import pytest

import kshim as keras
from kshim import layers
from kshim.utils.py_dataset import iterate_batches, read_ahead_threads


def _data(n=24, d=3, seed=0):
    r = np.random.RandomState(seed)
    return r.rand(n, d).astype("float32"), r.rand(n, 1).astype("float32")


def _linear(seed=0):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse")
    return m


class Batches(keras.utils.PyDataset):
    """Batches of 4 rows; the first ``meet`` reads wait for each other (so they must run at once)."""

    def __init__(self, x, y, meet=0, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.fail_at = x, y, fail_at
        self.barrier = threading.Barrier(meet, timeout=20) if meet else None
        self.reads, self.threads, self.epochs_ended = [], set(), 0
        self.lock = threading.Lock()

    def __len__(self):
        return len(self.x) // 4

    def __getitem__(self, i):
        with self.lock:
            self.reads.append(i)
            first = len(self.reads) <= (self.barrier.parties if self.barrier else 0)
            self.threads.add(threading.get_ident())
        if first:
            self.barrier.wait()  # raises BrokenBarrierError if the reads do not overlap
        if i == self.fail_at:
            raise ValueError(f"bad batch {i}")
        return self.x[i * 4 : (i + 1) * 4], self.y[i * 4 : (i + 1) * 4]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_workers_read_in_parallel_and_train_as_in_order(backend):
    x, y = _data()
    ds = Batches(x, y, meet=3, workers=3)
    m, ref = _linear(), _linear()
    h = m.fit(ds, epochs=2, verbose=0)
    h_ref = ref.fit(x, y, batch_size=4, shuffle=False, epochs=2, verbose=0)
    np.testing.assert_array_equal(h.history["loss"], h_ref.history["loss"])  # same batches, same order
    for w, w_ref in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(w, w_ref)
    assert len(ds.threads) >= 3 and threading.get_ident() not in ds.threads  # a new pool each epoch
    assert sorted(ds.reads) == sorted(list(range(6)) * 2) and ds.epochs_ended == 2


def test_default_worker_reads_in_the_calling_thread(backend):
    x, y = _data()
    ds = Batches(x, y)
    _linear().fit(ds, epochs=1, verbose=0)
    assert ds.threads == {threading.get_ident()} and ds.reads == list(range(6))


def test_predict_and_evaluate_keep_the_order(backend):
    x, y = _data()
    m = _linear()
    np.testing.assert_array_equal(m.predict(Batches(x, y, workers=4), verbose=0), m.predict(x, batch_size=4, verbose=0))
    assert m.evaluate(Batches(x, y, workers=2), verbose=0) == pytest.approx(m.evaluate(x, y, batch_size=4, verbose=0))


def test_an_error_in_a_worker_reaches_fit(backend):
    x, y = _data()
    ds = Batches(x, y, fail_at=2, workers=2)
    with pytest.raises(ValueError, match="bad batch 2"):
        _linear().fit(ds, epochs=1, verbose=0)


def test_steps_per_epoch_wraps_and_the_queue_is_bounded():
    x, y = _data()
    ds = Batches(x, y, workers=2, max_queue_size=3)
    seen = []
    for i, (bx, _) in enumerate(iterate_batches(ds, 9)):
        # batches are read at most max_queue_size ahead of the one handed out
        assert len(ds.reads) <= i + 1 + 3
        seen.append(bx)
    np.testing.assert_array_equal(np.concatenate(seen), np.concatenate([x, x[:12]]))


def test_stopping_early_cancels_the_queued_reads():
    x, y = _data(n=400)
    ds = Batches(x, y, workers=2, max_queue_size=4)
    it = iterate_batches(ds, len(ds))
    next(it)
    it.close()
    assert len(ds.reads) <= 1 + 4


@pytest.mark.parametrize(
    ("kwargs", "threads"),
    [
        ({}, 0),
        ({"workers": 1}, 0),
        ({"workers": 0}, 0),
        ({"workers": 5}, 5),
        ({"use_multiprocessing": True}, 1),
        ({"workers": 3, "use_multiprocessing": True}, 3),
        ({"workers": 0, "use_multiprocessing": True}, 0),
    ],
)
def test_read_ahead_threads(kwargs, threads):
    assert read_ahead_threads(keras.utils.PyDataset(**kwargs)) == threads


def test_a_non_integer_workers_is_refused():
    with pytest.raises(ValueError, match="workers"):
        read_ahead_threads(keras.utils.PyDataset(workers=2.5))
