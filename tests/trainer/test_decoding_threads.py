"""While ``fit``/``evaluate``/``predict`` read an ``image_dataset_from_directory`` dataset (files
decoded on threads while the step runs), the torch backend computes on the cores the decoding
leaves, and restores its thread count afterwards — also after an early stop or an exception."""

from __future__ import annotations

import os

import numpy as np
import pytest

import kshim

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        os.makedirs(tmp_path / c)
        for i in range(6):
            PIL.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / c / f"{i}.jpg")
    return str(tmp_path)


def _model():
    m = kshim.Sequential([kshim.Input((8, 8, 3)), kshim.layers.GlobalAveragePooling2D(), kshim.layers.Dense(2)])
    m.compile("sgd", kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


class _Threads(kshim.callbacks.Callback):
    """Records torch's thread count at every batch of fit, evaluate and predict."""

    def __init__(self, stop_at=None, fail_at=None):
        super().__init__()
        self.seen: list = []
        self.stop_at, self.fail_at = stop_at, fail_at

    def _record(self, batch):
        import torch

        self.seen.append(torch.get_num_threads())
        if batch == self.fail_at:
            raise RuntimeError("boom")
        if batch == self.stop_at:
            self.model.stop_training = True

    def on_train_batch_begin(self, batch, logs=None):
        self._record(batch)

    def on_test_batch_begin(self, batch, logs=None):
        self._record(batch)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record(batch)


@pytest.fixture
def torch_files(image_dir, monkeypatch):
    """``(torch, dataset)``: the torch backend active, a file dataset decoded on one thread."""
    torch = pytest.importorskip("torch")
    if "OMP_NUM_THREADS" in os.environ:
        pytest.skip("OMP_NUM_THREADS is set: the user's thread count is left alone")
    monkeypatch.setenv("KSHIM_DECODE_THREADS", "1")
    with kshim.backend.use("torch"):
        yield torch, kshim.utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=4, seed=1)


def test_torch_computes_on_the_cores_decoding_leaves(torch_files):
    torch, ds = torch_files
    default = torch.get_num_threads()
    expected = min(default, max(1, (os.cpu_count() or 1) - 1))
    assert ds._decode_threads() == 1 and ds.map(lambda x, y: (x / 255.0, y))._decode_threads() == 1
    m, cb = _model(), _Threads()
    m.fit(ds, epochs=2, verbose=0, callbacks=[cb])
    m.evaluate(ds, verbose=0, callbacks=[cb])
    m.predict(ds, verbose=0, callbacks=[cb])
    assert cb.seen == [expected] * 12  # 3 batches × (2 epochs + evaluate + predict)
    assert torch.get_num_threads() == default
    # arrays decode nothing: torch's own count
    cb_arrays = _Threads()
    m.fit(np.zeros((4, 8, 8, 3), "float32"), np.zeros(4), batch_size=2, verbose=0, callbacks=[cb_arrays])
    assert cb_arrays.seen == [default] * 2


def test_restored_after_an_early_stop_and_an_exception(torch_files):
    torch, ds = torch_files
    default = torch.get_num_threads()
    m = _model()
    m.fit(ds, epochs=3, verbose=0, callbacks=[_Threads(stop_at=0)])
    assert torch.get_num_threads() == default
    with pytest.raises(RuntimeError, match="boom"):
        m.fit(ds, epochs=1, verbose=0, callbacks=[_Threads(fail_at=1)])
    assert torch.get_num_threads() == default


def test_a_thread_count_the_user_chose_is_kept(torch_files):
    torch, ds = torch_files
    default = torch.get_num_threads()
    torch.set_num_threads(default + 1)  # any count but torch's default is the user's choice
    chosen = torch.get_num_threads()
    try:
        cb = _Threads()
        _model().fit(ds, epochs=1, verbose=0, callbacks=[cb])
        assert cb.seen == [chosen] * 3
    finally:
        torch.set_num_threads(default)


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_other_backends_are_unchanged(image_dir, name):
    pytest.importorskip(name)
    with kshim.backend.use(name):
        ctx = kshim.backend.current().decoding_context(2)
        with ctx:
            pass  # a no-op context: XLA's and NumPy's threads are not changed while running
        ds = kshim.utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=4, seed=1)
        history = _model().fit(ds, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
