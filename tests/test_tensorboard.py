"""``kshim.callbacks.TensorBoard``: the event files are read back and checked against the History and
against what real Keras 3's TensorBoard writes for the same model, weights and data.

Reading: the TFRecord framing (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of
the data) is parsed here, CRCs checked, and each record decoded with the ``Event`` protobuf that
tensorboardX ships.

Oracle: Keras' TensorBoard needs ``tensorflow.summary``; it looks it up through its ``summary``
property, so the test hands it a recorder with TensorFlow's semantics (a stack of default writers,
``record_if`` conditions evaluated at write time, writes without a default writer dropped). Keras
runs on JAX with the same initial weights and unshuffled data.

Tolerances: scalars are stored as float32 ``simple_value`` (a float32 rounding of the History's
Python float: rtol 1e-6); kshim (any backend) and Keras (JAX) train the same float32 model, so
their losses after a few SGD steps agree to float32 accumulation noise (rtol 1e-5, atol 1e-6).
Images are stored as 8-bit PNG pixels: ±1 level covers the rounding of ``x * 255``.
"""
from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
from tensorboardX.proto.event_pb2 import Event  # noqa: E402

import kshim  # noqa: E402
from kshim import layers  # noqa: E402
from kshim.callbacks import LambdaCallback, TensorBoard  # noqa: E402

SCALAR_TOL = dict(rtol=1e-5, atol=1e-6)
rng = np.random.default_rng(7)
X = rng.normal(size=(8, 3)).astype("float32")
Y = rng.normal(size=(8, 1)).astype("float32")
VX = rng.normal(size=(4, 3)).astype("float32")
VY = rng.normal(size=(4, 1)).astype("float32")
W0 = [rng.normal(size=(3, 4)).astype("float32") * 0.5, np.full((4,), 0.1, "float32"),
      rng.normal(size=(4, 1)).astype("float32") * 0.5, np.zeros((1,), "float32")]


# ---------------------------------------------------------------- reading event files
def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def _masked_crc(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(run_dir: str) -> list:
    """``(tag, step, kind, value)`` for every summary value in the run's event files, files in name order
    (as TensorBoard reads them: the writer's names must sort in creation order)."""
    out = []
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            buf = f.read()
        i = 0
        while i < len(buf):
            header = buf[i:i + 8]
            (n,) = struct.unpack("<Q", header)
            (hcrc,) = struct.unpack("<I", buf[i + 8:i + 12])
            data = buf[i + 12:i + 12 + n]
            (dcrc,) = struct.unpack("<I", buf[i + 12 + n:i + 16 + n])
            assert hcrc == _masked_crc(header) and dcrc == _masked_crc(data), f"bad CRC in {path}"
            i += 16 + n
            event = Event.FromString(data)
            for v in event.summary.value:
                kind = v.WhichOneof("value")
                value = {"simple_value": v.simple_value, "histo": v.histo, "image": v.image,
                         "tensor": v.tensor}[kind]
                out.append((v.tag, event.step, kind, value))
    return out


def by_key(events: list) -> dict:
    return {(tag, step): (kind, value) for tag, step, kind, value in events}


# ---------------------------------------------------------------- models
def kshim_model():
    inp = kshim.Input((3,), name="x")
    h = layers.Dense(4, activation="relu", name="hidden")(inp)
    out = layers.Dense(1, name="out")(h)
    model = kshim.Model(inp, out, name="net")
    model.set_weights(W0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def fit(model, tb, epochs=2, batch_size=2, validation=True, extra=()):
    return model.fit(X, Y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                     validation_data=(VX, VY) if validation else None, callbacks=[tb, *extra])


# ---------------------------------------------------------------- the Keras oracle
class _Recorder:
    """Stands in for ``tensorflow.summary`` with its write semantics; records what would be written."""

    def __init__(self):
        self.records: list = []
        self._writers: list = []
        self._conditions: list = []

    def create_file_writer(self, logdir):
        return _RecWriter(self, logdir)

    @contextlib.contextmanager
    def record_if(self, condition):
        self._conditions.append(condition)
        try:
            yield
        finally:
            self._conditions.pop()

    def _record(self, kind, name, data, step):
        if not self._writers:
            return False
        if self._conditions:
            c = self._conditions[-1]
            if not (c() if callable(c) else c):
                return False
        run = os.path.basename(self._writers[-1].logdir)
        self.records.append((run, kind, name, int(np.asarray(step)), data))
        return True

    def scalar(self, name, data, step=None):
        return self._record("scalar", name, float(np.asarray(data)), step)

    def histogram(self, name, data, step=None):
        return self._record("histogram", name, np.array(data), step)

    def image(self, name, data, step=None):
        return self._record("image", name, np.array(data), step)


class _RecWriter:
    def __init__(self, rec, logdir):
        self.rec, self.logdir = rec, logdir

    @contextlib.contextmanager
    def as_default(self, step=None):
        self.rec._writers.append(self)
        try:
            yield self
        finally:
            self.rec._writers.pop()

    def flush(self):
        pass

    def close(self):
        pass


@pytest.fixture(scope="module")
def keras_records(tmp_path_factory):
    """What Keras 3 (JAX) writes for: fit 2 epochs x 4 batches (update_freq=2, histograms and images
    every epoch, steps per second), validation, then a standalone evaluate. Returns (fit records,
    evaluate records, fit history)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    import keras.src.callbacks.tensorboard as ktb

    rec = _Recorder()
    model = keras.Model(*_keras_graph(keras), name="net")
    model.set_weights(W0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    logdir = str(tmp_path_factory.mktemp("keras_tb"))
    original = ktb.keras_model_summary
    ktb.keras_model_summary = lambda name, data, step=None: rec._record("graph", name, data.to_json(), step)
    try:
        tb = keras.callbacks.TensorBoard(logdir, histogram_freq=1, write_images=True, update_freq=2,
                                         write_steps_per_second=True)
        tb._summary_module = rec
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hist = model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0, validation_data=(VX, VY),
                             callbacks=[tb])
            n_fit = len(rec.records)
            model.evaluate(VX, VY, batch_size=2, verbose=0, callbacks=[tb])
    finally:
        ktb.keras_model_summary = original
    return rec.records[:n_fit], rec.records[n_fit:], hist.history


def _keras_graph(keras):
    inp = keras.Input((3,), name="x")
    h = keras.layers.Dense(4, activation="relu", name="hidden")(inp)
    return inp, keras.layers.Dense(1, name="out")(h)


def _kshim_run(tmp_path):
    model = kshim_model()
    tb = TensorBoard(str(tmp_path), histogram_freq=1, write_images=True, update_freq=2, write_steps_per_second=True)
    hist = fit(model, tb)
    n_train, n_val = len(read_events(str(tmp_path / "train"))), len(read_events(str(tmp_path / "validation")))
    model.evaluate(VX, VY, batch_size=2, verbose=0, callbacks=[tb])
    train, val = read_events(str(tmp_path / "train")), read_events(str(tmp_path / "validation"))
    return model, hist, train[:n_train], val[:n_val], train[n_train:], val[n_val:]


def _keys(records, runs=("train", "validation"), exclude=()):
    return {(run, name, step) for run, _, name, step, _ in records
            if run in runs and not any(name.startswith(e) for e in exclude)}


def test_fit_matches_keras_oracle(backend, tmp_path, keras_records):
    krec, _, khist = keras_records
    _, hist, train, val, _, _ = _kshim_run(tmp_path)
    mine = {("train", t, s) for t, s, _, _ in train} | {("validation", t, s) for t, s, _, _ in val
                                                        if not t.startswith("evaluation_")}
    # evaluation_*_vs_iterations during fit's validation: see test_fit_validation_writes_evaluation_scalars.
    assert mine == _keys(krec, exclude=("evaluation_",))
    tr, va = by_key(train), by_key(val)
    for run, kind, name, step, data in krec:
        if name.startswith("evaluation_"):
            continue
        kind_, value = (tr if run == "train" else va)[(name, step)]
        if kind == "scalar":
            assert kind_ == "simple_value"
            if "steps_per_second" in name:
                assert value > 0
            else:
                np.testing.assert_allclose(value, data, **SCALAR_TOL, err_msg=f"{run}/{name}@{step}")
        elif kind == "histogram":
            assert kind_ == "histo"
            assert (value.num, value.min, value.max) == (data.size, pytest.approx(data.min(), rel=1e-5, abs=1e-6),
                                                         pytest.approx(data.max(), rel=1e-5, abs=1e-6))
            np.testing.assert_allclose(value.sum, data.sum(), rtol=1e-5, atol=1e-5)
            assert len(value.bucket) == len(value.bucket_limit) and sum(value.bucket) == data.size
        elif kind == "image":
            assert kind_ == "image"
            _check_image(value, data)
        else:
            assert kind == "graph" and kind_ == "tensor" and name == "keras"
            k_layers = [(l["class_name"], l["config"]["name"]) for l in json.loads(data)["config"]["layers"]]
            s_cfg = json.loads(value.string_val[0].decode())
            assert [(l["class_name"], l["config"]["name"]) for l in s_cfg["config"]["layers"]] == k_layers
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(hist.history[key], khist[key], **SCALAR_TOL)


def _check_image(img, keras_data):
    """The PNG holds Keras' ``NHWC`` image (one here), saturated to [0, 1] and scaled to 8 bits."""
    from PIL import Image
    assert keras_data.shape[0] == 1
    expected = np.clip(keras_data[0, :, :, 0], 0, 1) * 255
    pixels = np.asarray(Image.open(io.BytesIO(img.encoded_image_string)))
    assert (img.height, img.width) == expected.shape
    gray = pixels[..., 0] if pixels.ndim == 3 else pixels
    assert np.all(np.abs(gray.astype("float64") - expected) <= 1.0)


def test_evaluate_matches_keras_oracle(backend, tmp_path, keras_records):
    _, keval, _ = keras_records
    model, _, _, _, train_after, val_after = _kshim_run(tmp_path)
    evals = [(t, s, v) for t, s, _, v in val_after]
    # evaluate's set_model writes the model config again (as Keras does), then the evaluation scalars
    assert {("validation", t, s) for t, s, _ in evals} | {("train", t, s) for t, s, _, _ in train_after} == \
        _keys(keval) == {("validation", "evaluation_loss_vs_iterations", 8),
                         ("validation", "evaluation_mae_vs_iterations", 8), ("train", "keras", 0)}
    kvals = {name: data for _, _, name, _, data in keval}
    result = model.evaluate(VX, VY, batch_size=2, verbose=0, return_dict=True)
    for t, _, v in evals:
        np.testing.assert_allclose(v, kvals[t], **SCALAR_TOL)
        np.testing.assert_allclose(v, result[t[len("evaluation_"):-len("_vs_iterations")]], rtol=1e-6)


def test_fit_validation_writes_evaluation_scalars(backend, tmp_path, keras_records):
    krec, _, _ = keras_records
    fit(kshim_model(), TensorBoard(str(tmp_path), update_freq=2))
    val = read_events(str(tmp_path / "validation"))
    expected = {k for k in _keys(krec) if k[1].startswith("evaluation_")}
    assert expected == {("validation", f"evaluation_{n}_vs_iterations", s) for n in ("loss", "mae") for s in (4, 8)}
    mine = {(t, s): v for t, s, _, v in val if t.startswith("evaluation_")}
    assert {("validation", t, s) for t, s in mine} == expected
    for _, _, name, step, data in krec:
        if name.startswith("evaluation_"):
            np.testing.assert_allclose(mine[(name, step)], data, **SCALAR_TOL)


def test_epoch_scalars_equal_history(backend, tmp_path):
    model = kshim_model()
    hist = fit(model, TensorBoard(str(tmp_path), write_graph=False), epochs=3)
    train, val = read_events(str(tmp_path / "train")), read_events(str(tmp_path / "validation"))
    val = [e for e in val if not e[0].startswith("evaluation_")]  # see test_fit_validation_writes_evaluation_scalars
    assert sorted({t for t, *_ in train}) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    assert sorted({t for t, *_ in val}) == ["epoch_loss", "epoch_mae"]
    tr, va = by_key(train), by_key(val)
    assert len(tr) == 9 and len(va) == 6
    for epoch in range(3):
        for name in ("loss", "mae"):
            np.testing.assert_allclose(tr[(f"epoch_{name}", epoch)][1], hist.history[name][epoch], rtol=1e-6)
            np.testing.assert_allclose(va[(f"epoch_{name}", epoch)][1], hist.history[f"val_{name}"][epoch],
                                       rtol=1e-6)
        np.testing.assert_allclose(tr[("epoch_learning_rate", epoch)][1], 0.01, rtol=1e-6)


def test_batch_scalars_every_n_batches(backend, tmp_path):
    seen = []
    rec = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(dict(logs)))
    fit(kshim_model(), TensorBoard(str(tmp_path), update_freq=3, write_graph=False), validation=False,
        extra=[rec])
    tr = by_key(read_events(str(tmp_path / "train")))
    batch = {k: v for k, v in tr.items() if k[0].startswith("batch_")}
    # 4 batches per epoch, 2 epochs: global batches 1..8, written at 3 and 6 (the count goes on across epochs)
    assert set(batch) == {(f"batch_{n}", s) for n in ("loss", "mae") for s in (3, 6)}
    for (tag, step), (_, value) in batch.items():
        np.testing.assert_allclose(value, seen[step - 1][tag[len("batch_"):]], rtol=1e-6)


def test_update_freq_batch_is_every_batch(backend, tmp_path):
    fit(kshim_model(), TensorBoard(str(tmp_path), update_freq="batch", write_graph=False), epochs=1,
        validation=False)
    steps = sorted(s for t, s, _, _ in read_events(str(tmp_path / "train")) if t == "batch_loss")
    assert steps == [1, 2, 3, 4]


def test_write_graph_only_for_functional_and_sequential(backend, tmp_path):
    seq = kshim.Sequential([kshim.Input((3,)), layers.Dense(1, name="d")], name="seq")
    seq.compile("sgd", "mse")
    seq.fit(X, Y, epochs=1, verbose=0, callbacks=[TensorBoard(str(tmp_path / "s"))])
    (graph,) = [v for t, s, k, v in read_events(str(tmp_path / "s" / "train")) if t == "keras"]
    assert json.loads(graph.string_val[0].decode())["class_name"] == "Sequential"

    class Sub(kshim.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub.compile("sgd", "mse")
    sub.fit(X, Y, epochs=1, verbose=0, callbacks=[TensorBoard(str(tmp_path / "c"))])
    assert "keras" not in {t for t, *_ in read_events(str(tmp_path / "c" / "train"))}
    fit(kshim_model(), TensorBoard(str(tmp_path / "f"), write_graph=False), epochs=1, validation=False)
    assert "keras" not in {t for t, *_ in read_events(str(tmp_path / "f" / "train"))}


def test_invalid_arguments_raise_value_error():
    for bad in (-1, (5, 2), [1, 2, 3], "a,b", 1.5):
        with pytest.raises(ValueError, match="profile_batch must be"):
            TensorBoard(profile_batch=bad)
    for bad in ("sometimes", 0, -2, 1.5):
        with pytest.raises(ValueError, match="update_freq"):
            TensorBoard(update_freq=bad)


def test_profile_batch_without_backend_hook_warns_and_trains(backend, tmp_path):
    with pytest.warns(UserWarning, match="profiling is not available"):
        tb = TensorBoard(str(tmp_path), profile_batch=2)
    fit(kshim_model(), tb, epochs=1, validation=False)
    assert os.path.isdir(tmp_path / "train")


def test_profile_batch_uses_backend_hook(backend, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(backend, "start_trace", lambda logdir: calls.append(("start", logdir)), raising=False)
    monkeypatch.setattr(backend, "stop_trace", lambda: calls.append(("stop",)), raising=False)
    batches = LambdaCallback(on_train_batch_begin=lambda b, logs: calls.append(("batch", b)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tb = TensorBoard(str(tmp_path), profile_batch="2,3", write_graph=False)
    fit(kshim_model(), tb, epochs=1, validation=False, extra=[batches])
    train_dir = os.path.join(str(tmp_path), "train")
    # global batch 2 is the epoch's batch index 1; the trace stops after global batch 3
    assert calls == [("batch", 0), ("start", train_dir), ("batch", 1), ("batch", 2), ("stop",), ("batch", 3)]


def test_profiler_failure_is_not_fatal(backend, tmp_path, monkeypatch):
    def boom(logdir):
        raise RuntimeError("no profiler here")
    monkeypatch.setattr(backend, "start_trace", boom, raising=False)
    monkeypatch.setattr(backend, "stop_trace", lambda: None, raising=False)
    tb = TensorBoard(str(tmp_path), profile_batch=1, write_graph=False)
    with pytest.warns(UserWarning, match="failed to start the profiler"):
        fit(kshim_model(), tb, epochs=1, validation=False)


def test_embeddings(backend, tmp_path):
    inp = kshim.Input((2,), dtype="int32")
    out = layers.Dense(1, name="head")(layers.Flatten()(layers.Embedding(5, 3, name="emb")(inp)))
    model = kshim.Model(inp, out)
    model.compile("sgd", "mse")
    x = np.array([[0, 1], [2, 3], [4, 0], [1, 1]], "int32")
    with pytest.warns(UserWarning, match="projector"):
        tb = TensorBoard(str(tmp_path), embeddings_freq=1, embeddings_metadata={"emb": "meta.tsv"})
    model.fit(x, np.zeros((4, 1), "float32"), epochs=2, verbose=0, callbacks=[tb])
    with open(tmp_path / "projector_config.pbtxt") as f:
        text = f.read()
    assert text == ('embeddings {\n  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"\n'
                    '  metadata_path: "meta.tsv"\n}\n')
    for epoch in (0, 1):
        assert os.path.isfile(tmp_path / "train" / f"keras_embedding.ckpt-{epoch}.weights.h5")
    with pytest.warns(UserWarning):
        bad = TensorBoard(str(tmp_path / "bad"), embeddings_freq=1, embeddings_metadata={"nope": "m.tsv"})
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names"):
        model.fit(x, np.zeros((4, 1), "float32"), epochs=1, verbose=0, callbacks=[bad])


def test_no_tensorboardx_raises_import_error_naming_the_extra(backend, tmp_path, monkeypatch):
    tb = TensorBoard(str(tmp_path))  # constructing needs no tensorboardX
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"kshim\[data\]"):
        fit(kshim_model(), tb, epochs=1, validation=False)


def test_importing_callbacks_does_not_import_tensorboardx():
    code = "import sys, kshim, kshim.callbacks; kshim.callbacks.TensorBoard(); print('tensorboardX' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_learning_rate_through_wrapping_optimizers(backend, tmp_path):
    model = kshim_model()
    model.compile(optimizer=kshim.optimizers.LossScaleOptimizer(kshim.optimizers.SGD(0.25)), loss="mse")
    fit(model, TensorBoard(str(tmp_path / "ls"), write_graph=False), epochs=1, validation=False)
    tr = by_key(read_events(str(tmp_path / "ls" / "train")))
    np.testing.assert_allclose(tr[("epoch_learning_rate", 0)][1], 0.25, rtol=1e-6)

    a, b = kshim.optimizers.SGD(0.5, name="opt_a"), kshim.optimizers.Adam(0.125, name="opt_b")
    model = kshim_model()
    model.compile(optimizer=kshim.optimizers.MultiOptimizer(lambda v: a if "hidden" in v.path else b), loss="mse")
    fit(model, TensorBoard(str(tmp_path / "multi"), write_graph=False), epochs=1, validation=False)
    tr = by_key(read_events(str(tmp_path / "multi" / "train")))
    assert {t for t, _ in tr} == {"epoch_loss", "epoch_learning_rate_opt_a", "epoch_learning_rate_opt_b"}
    np.testing.assert_allclose(tr[("epoch_learning_rate_opt_a", 0)][1], 0.5, rtol=1e-6)
    np.testing.assert_allclose(tr[("epoch_learning_rate_opt_b", 0)][1], 0.125, rtol=1e-6)


def test_event_file_names_sort_in_creation_order(tmp_path):
    from kshim.callbacks.tensorboard_writer import EventWriter
    for i in range(12):  # more than 10 writers in the same second: the counter must not sort as text
        w = EventWriter(str(tmp_path))
        w.scalar("i", i, i)
        w.close()
    assert [int(s) for t, s, _, _ in read_events(str(tmp_path))] == list(range(12))
