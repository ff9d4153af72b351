"""Callbacks driven by a fake model and fake log sequences, following the trainer contract;
where real Keras 3 is installed, the same scenarios are also run through Keras' callbacks and
the outcomes compared."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import kshim.callbacks as kc


# ------------------------------------------------------------------ fakes
class FakeOptimizer:
    def __init__(self, lr=0.1, name="sgd"):
        self.learning_rate = lr
        self.name = name
        self.built = True


class FakeModel:
    """Minimal model: settable lr, weights, file saving, ``stop_training``."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)
        self.built = True
        self.weights = [np.zeros((2,), "float32"), np.zeros((), "float32")]
        self.saved: list[tuple[str, str]] = []
        self.loaded: list[str] = []
        self._initial_epoch = None

    def train_step(self, epoch, batch):
        v = float(epoch * 10 + batch + 1)
        self.weights = [np.full((2,), v, "float32"), np.asarray(-v, "float32")]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def _write(self, path, kind):
        with open(path, "w") as f:
            json.dump([w.tolist() for w in self.weights], f)
        self.saved.append((kind, os.fspath(path)))

    def save(self, filepath, overwrite=True):
        self._write(filepath, "model")

    def save_weights(self, filepath, overwrite=True):
        self._write(filepath, "weights")

    def load_weights(self, filepath):
        with open(filepath) as f:
            self.weights = [np.asarray(w, "float32") for w in json.load(f)]
        self.loaded.append(os.fspath(filepath))


class Interrupt(Exception):
    pass


def run_fit(model, callbacks, epoch_logs, steps=2, batch_logs=None, initial_epoch=0, interrupt_at=None,
            cbl=None, epochs=None):
    """What ``model.fit`` does with callbacks, per the trainer contract. Returns epochs run."""
    cbl = cbl or kc.CallbackList
    epochs = epochs if epochs is not None else len(epoch_logs)
    cbs = cbl(callbacks, add_history=True, add_progbar=False, model=model, verbose=0, epochs=epochs,
              steps=steps)
    model.stop_training = False
    model._initial_epoch = None
    cbs.on_train_begin()
    start = model._initial_epoch or initial_epoch
    ran = []
    logs = {}
    for epoch in range(start, epochs):
        cbs.on_epoch_begin(epoch)
        for b in range(steps):
            if interrupt_at == (epoch, b):
                raise Interrupt(f"interrupted at epoch {epoch} batch {b}")
            cbs.on_train_batch_begin(b)
            model.train_step(epoch, b)
            blogs = batch_logs(epoch, b) if batch_logs else {"loss": epoch_logs[epoch].get("loss", 1.0)}
            cbs.on_train_batch_end(b, blogs)
            if model.stop_training:
                break
        logs = dict(epoch_logs[epoch])
        cbs.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return ran


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def seq(key, values, **others):
    return [{key: v, **{k: o[i] for k, o in others.items()}} for i, v in enumerate(values)]


# -------------------------------------------------------- base / list / history
def test_callback_base_defaults_and_forwarding():
    calls = []

    class C(kc.Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append(("batch_end", batch, logs))

    c = C()
    assert c.model is None and c.params is None
    c.on_train_batch_end(3, {"loss": 1.0})
    assert calls == [("batch_end", 3, {"loss": 1.0})]
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
                 "on_predict_end"):
        getattr(c, hook)({})
    for hook in ("on_epoch_begin", "on_epoch_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin"):
        getattr(c, hook)(0, {})
    c.set_params({"epochs": 3})
    assert c.params == {"epochs": 3}


def test_callback_list_defaults_params_model_and_logs():
    model = FakeModel()
    seen = []

    class C(kc.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))
            logs["added"] = 1.0

    user_history = kc.History()
    cbs = kc.CallbackList([C(), [user_history]], add_history=True, add_progbar=True, model=model,
                          verbose=0, epochs=2, steps=5)
    assert sum(isinstance(c, kc.History) for c in cbs.callbacks) == 1
    assert isinstance(cbs.callbacks[-1], kc.ProgbarLogger)
    assert model.history is user_history
    assert all(c.model is model and c.params == {"verbose": 0, "epochs": 2, "steps": 5} for c in cbs.callbacks)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"z": np.float32(2.5), "a": np.array(1.0), "nested": {"m": 3}})
    assert list(seen[0]) == ["a", "m", "z"]  # flattened and sorted
    assert all(type(v) is float for v in seen[0].values() if not isinstance(v, str))
    # a key added by one callback is seen by the ones after it (History)
    assert user_history.history == {"a": [1.0], "m": [3.0], "z": [2.5], "added": [1.0]}
    cbs.on_train_end()
    with pytest.raises(ValueError):
        cbs.on_train_end()


def test_history_records_epochs_and_fit_returns_it():
    model = FakeModel()
    logs = seq("loss", [3.0, 2.0, 1.0], val_loss=[3.5, 2.5, 1.5])
    run_fit(model, [], logs)
    assert model.history.epoch == [0, 1, 2]
    assert model.history.history == {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 1.5]}


def test_kshim_tensors_in_logs_become_floats():
    import kshim.ops as ops
    h = kc.History()
    cbs = kc.CallbackList([h], model=FakeModel())
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": ops.convert_to_tensor(0.5)})
    assert h.history["loss"] == [0.5] and type(h.history["loss"][0]) is float


def test_predict_batch_logs_keep_backend_tensors(backend):
    """Predict batch outputs reach callbacks as backend tensors (as in Keras, and unsynced: an async
    backend keeps computing); scalar logs still become floats; ``predict`` returns NumPy."""
    import kshim

    seen = []

    class Spy(kc.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(logs["outputs"])

    model = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2)])
    x = np.arange(15, dtype="float32").reshape(5, 3)
    out = model.predict(x, batch_size=2, verbose=0, callbacks=[Spy()])
    assert isinstance(out, np.ndarray) and out.shape == (5, 2)
    assert len(seen) == 3 and all(backend.is_tensor(t) for t in seen)
    np.testing.assert_array_equal(np.concatenate([kshim.ops.convert_to_numpy(t) for t in seen]), out)
    from kshim.callbacks._utils import pythonify_logs
    t = backend.convert_to_tensor(np.ones((2, 2), "float32"))
    got = pythonify_logs({"o": t, "one": backend.convert_to_tensor(np.ones((), "float32"))})
    assert got["o"] is t and got["one"] == 1.0 and type(got["one"]) is float


# ------------------------------------------------------------- EarlyStopping
def test_early_stopping_stops_and_restores_best():
    model = FakeModel()
    es = kc.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    logs = seq("val_loss", [1.0, 0.5, 0.6, 0.7, 0.4, 0.3])
    ran = run_fit(model, [es], logs)
    assert ran == [0, 1, 2, 3]  # best at epoch 1, two epochs without improvement
    assert es.stopped_epoch == 3 and es.best_epoch == 1 and es.best == 0.5
    assert model.stop_training
    # weights at the end of epoch 1 (2 steps: value 1*10+2)
    np.testing.assert_array_equal(model.weights[0], [12.0, 12.0])
    assert len(model.history.history["val_loss"]) == 4


def test_early_stopping_no_restore_keeps_last_weights_and_messages(capsys):
    model = FakeModel()
    es = kc.EarlyStopping(monitor="loss", patience=0, verbose=1)
    ran = run_fit(model, [es], seq("loss", [1.0, 1.0, 0.1]))
    assert ran == [0, 1]
    np.testing.assert_array_equal(model.weights[0], [12.0, 12.0])
    assert capsys.readouterr().out == "Epoch 2: early stopping\n"


def test_early_stopping_min_delta_mode_max_start_from_epoch():
    model = FakeModel()
    es = kc.EarlyStopping(monitor="val_accuracy", mode="max", min_delta=0.05, patience=1, start_from_epoch=2)
    logs = seq("val_accuracy", [0.9, 0.1, 0.5, 0.52, 0.53, 0.9])
    ran = run_fit(model, [es], logs)
    # epochs 0-1 ignored; 0.5 best; 0.52 and 0.53 don't beat it by 0.05 -> stop at epoch 3
    assert ran == [0, 1, 2, 3]


def test_early_stopping_baseline_restores_best_even_below_baseline(capsys):
    model = FakeModel()
    es = kc.EarlyStopping(monitor="loss", baseline=0.1, patience=3, restore_best_weights=True, verbose=1)
    ran = run_fit(model, [es], seq("loss", [1.0, 0.8, 0.9, 0.95, 0.2, 0.1]))
    assert ran == [0, 1, 2]
    np.testing.assert_array_equal(model.weights[0], [12.0, 12.0])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n" == out


def test_early_stopping_restores_at_end_without_stopping():
    model = FakeModel()
    es = kc.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    ran = run_fit(model, [es], seq("loss", [1.0, 0.2, 0.3]))
    assert ran == [0, 1, 2] and not model.stop_training
    np.testing.assert_array_equal(model.weights[0], [12.0, 12.0])


def test_early_stopping_missing_monitor_warns_and_auto_mode_error():
    with pytest.warns(UserWarning, match="not available"):
        run_fit(FakeModel(), [kc.EarlyStopping(monitor="val_loss")], seq("loss", [1.0, 2.0]))
    with pytest.raises(ValueError, match="mode='max'"):
        run_fit(FakeModel(), [kc.EarlyStopping(monitor="weird_thing")], seq("weird_thing", [1.0]))
    with pytest.warns(UserWarning, match="unknown"):
        kc.EarlyStopping(mode="bogus")


def test_auto_mode_infers_direction():
    for monitor, expected in [("val_loss", "min"), ("accuracy", "max"), ("val_sparse_categorical_accuracy", "max"),
                              ("mean_absolute_error", "min"), ("val_auc", "max")]:
        es = kc.EarlyStopping(monitor=monitor)
        es.set_model(FakeModel())
        es._set_monitor_op()
        assert (es.monitor_op(1, 2) and expected == "min") or (es.monitor_op(2, 1) and expected == "max")


def test_auto_mode_uses_model_metric_direction():
    class M:
        name = "foo"
        _direction = "up"

    model = FakeModel()
    model.metrics = [M()]
    es = kc.EarlyStopping(monitor="val_foo", patience=0)
    ran = run_fit(model, [es], seq("val_foo", [0.5, 0.6, 0.55, 0.9]))
    assert ran == [0, 1, 2]


EARLY_CONFIGS = [
    dict(monitor="val_loss", patience=0),
    dict(monitor="val_loss", patience=2, restore_best_weights=True),
    dict(monitor="val_loss", patience=1, min_delta=0.15),
    dict(monitor="val_loss", patience=2, baseline=0.2, restore_best_weights=True),
    dict(monitor="val_loss", patience=1, start_from_epoch=3, restore_best_weights=True),
    dict(monitor="val_loss", mode="max", patience=1),
    dict(monitor="val_loss", patience=3, baseline=0.5),
]
EARLY_SEQS = [[1.0, 0.9, 0.95, 0.7, 0.72, 0.71, 0.69, 0.8, 0.9, 0.3],
              [0.3, 0.4, 0.2, 0.2, 0.19, 0.5, 0.1, 0.05, 0.06, 0.07],
              [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]


@pytest.mark.oracle
@pytest.mark.parametrize("config", EARLY_CONFIGS)
@pytest.mark.parametrize("values", EARLY_SEQS)
def test_early_stopping_matches_keras(config, values):
    keras = keras_or_skip()
    results = []
    for mod in (keras.callbacks, kc):
        model = FakeModel()
        es = mod.EarlyStopping(**config)
        ran = run_fit(model, [es], seq("val_loss", values, loss=values), cbl=mod.CallbackList)
        results.append((ran, es.stopped_epoch, es.best_epoch, es.wait, float(es.best),
                        model.weights[0].tolist(), model.history.history))
    assert results[1] == results[0]


# ---------------------------------------------------------- ReduceLROnPlateau
def _lr_trajectory(cb_factory, values, mod=kc, lr=1.0, key="val_loss"):
    model = FakeModel(lr)
    lrs = []

    class Spy(mod.Callback):
        def on_epoch_end(self, epoch, logs=None):
            lrs.append(float(model.optimizer.learning_rate))

    cb = cb_factory(mod)
    run_fit(model, [cb, Spy()], seq(key, values), cbl=mod.CallbackList)
    return lrs, model.history.history


def test_reduce_lr_on_plateau_factor_patience():
    lrs, hist = _lr_trajectory(lambda m: m.ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0),
                               [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    # logs carry the learning rate *before* the epoch's reduction
    assert hist["learning_rate"] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25]


def test_reduce_lr_on_plateau_cooldown_and_min_lr(capsys):
    lrs, _ = _lr_trajectory(lambda m: m.ReduceLROnPlateau(factor=0.1, patience=1, cooldown=2, min_lr=0.005,
                                                          verbose=1),
                            [1.0] * 9)
    # reduce at epoch 1; cooldown counts down over epochs 2-3 (patience resumes on epoch 3), reduce at 3;
    # again at 5, clamped to min_lr, where it stays
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005])
    out = capsys.readouterr().out
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.1.\n" in out
    assert "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.005.\n" in out


def test_reduce_lr_on_plateau_with_kshim_optimizer():
    from kshim import ops, optimizers
    model = FakeModel()
    model.optimizer = optimizers.Adam(learning_rate=0.01)
    run_fit(model, [kc.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)], seq("loss", [1.0] * 3))
    assert float(ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.0025)
    assert model.history.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.005])


def test_reduce_lr_on_plateau_factor_error_and_missing_monitor():
    with pytest.raises(ValueError, match="factor"):
        kc.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="not available"):
        _lr_trajectory(lambda m: m.ReduceLROnPlateau(), [1.0], key="loss")


@pytest.mark.oracle
@pytest.mark.parametrize("config", [dict(factor=0.5, patience=1), dict(factor=0.2, patience=2, cooldown=1),
                                    dict(factor=0.5, patience=0, min_lr=0.2, min_delta=0.05),
                                    dict(factor=0.5, patience=1, mode="max", cooldown=3)])
def test_reduce_lr_on_plateau_matches_keras(config):
    keras = keras_or_skip()
    values = [1.0, 0.99, 0.98, 0.5, 0.5, 0.5, 0.51, 0.4, 0.4, 0.4, 0.4, 0.3]
    ours = _lr_trajectory(lambda m: m.ReduceLROnPlateau(**config), values)
    theirs = _lr_trajectory(lambda m: m.ReduceLROnPlateau(**config), values, mod=keras.callbacks)
    assert ours[0] == pytest.approx(theirs[0])
    assert ours[1]["learning_rate"] == pytest.approx(theirs[1]["learning_rate"])


# ------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_values_and_logs(capsys):
    model = FakeModel(lr=0.1)
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr * 0.5

    run_fit(model, [kc.LearningRateScheduler(schedule, verbose=1)], seq("loss", [1.0] * 4))
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.1), (3, 0.05)]
    assert model.optimizer.learning_rate == 0.025
    assert model.history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025]
    assert "\nEpoch 3: LearningRateScheduler setting learning rate to 0.05.\n" in capsys.readouterr().out


def test_learning_rate_scheduler_one_arg_and_bad_output():
    model = FakeModel()
    run_fit(model, [kc.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], seq("loss", [1.0] * 3))
    assert model.optimizer.learning_rate == pytest.approx(0.03)
    with pytest.raises(ValueError, match="should be a float"):
        run_fit(FakeModel(), [kc.LearningRateScheduler(lambda e, lr: "x")], seq("loss", [1.0]))


def test_learning_rate_scheduler_with_kshim_optimizer():
    from kshim import optimizers
    model = FakeModel()
    model.optimizer = optimizers.SGD(learning_rate=0.5)
    run_fit(model, [kc.LearningRateScheduler(lambda e, lr: lr / 2)], seq("loss", [1.0] * 2))
    assert model.history.history["learning_rate"] == pytest.approx([0.25, 0.125])
    from kshim import ops
    assert float(ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.125)


# ------------------------------------------------------------- ModelCheckpoint
def _files(d):
    return sorted(os.listdir(d))


def test_model_checkpoint_every_epoch_format_fields(tmp_path):
    model = FakeModel()
    path = tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras"
    run_fit(model, [kc.ModelCheckpoint(path)], seq("val_loss", [0.5, 0.25, 0.75]))
    assert _files(tmp_path) == ["ckpt-01-0.50.keras", "ckpt-02-0.25.keras", "ckpt-03-0.75.keras"]
    assert {k for k, _ in model.saved} == {"model"}


def test_model_checkpoint_save_best_only(tmp_path, capsys):
    model = FakeModel()
    cb = kc.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.h5"), save_best_only=True, save_weights_only=True,
                            verbose=1)
    run_fit(model, [cb], seq("val_loss", [0.5, 0.6, 0.4, 0.4, 0.1]))
    assert _files(tmp_path) == ["w-1.weights.h5", "w-3.weights.h5", "w-5.weights.h5"]
    assert {k for k, _ in model.saved} == {"weights"}
    out = capsys.readouterr().out
    assert f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {tmp_path}/w-1.weights.h5\n" in out
    assert "\nEpoch 2: val_loss did not improve from 0.50000\n" in out
    assert f"\nEpoch 5: finished saving model to {tmp_path}/w-5.weights.h5\n" in out


def test_model_checkpoint_best_overwrites_single_file_and_threshold(tmp_path):
    model = FakeModel()
    cb = kc.ModelCheckpoint(tmp_path / "best.keras", monitor="val_acc", mode="max", save_best_only=True,
                            initial_value_threshold=0.6)
    run_fit(model, [cb], seq("val_acc", [0.5, 0.7, 0.65, 0.8]))
    assert _files(tmp_path) == ["best.keras"]
    assert [os.path.basename(p) for _, p in model.saved] == ["best.keras", "best.keras"]
    with open(tmp_path / "best.keras") as f:
        assert json.load(f)[0] == [32.0, 32.0]  # epoch 3's weights


def test_model_checkpoint_save_freq_batches(tmp_path):
    model = FakeModel()
    cb = kc.ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.keras", save_freq=3)
    run_fit(model, [cb], seq("loss", [1.0, 1.0]), steps=4)
    # 8 batches, every 3rd: epoch 1 batch 3, epoch 2 batch 2
    assert _files(tmp_path) == ["e1-b3.keras", "e2-b2.keras"]


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        kc.ModelCheckpoint(tmp_path / "x.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        kc.ModelCheckpoint(tmp_path / "x.weights")
    with pytest.raises(ValueError, match="save_freq"):
        kc.ModelCheckpoint(tmp_path / "x.keras", save_freq="batch")
    kc.ModelCheckpoint(tmp_path / "legacy.h5")  # legacy full-model name accepted, as in Keras
    with pytest.raises(KeyError, match="Failed to format"):
        run_fit(FakeModel(), [kc.ModelCheckpoint(tmp_path / "{val_acc}.keras")], seq("loss", [1.0]))
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(IOError, match="non-directory"):
        run_fit(FakeModel(), [kc.ModelCheckpoint(tmp_path / "dir.keras")], seq("loss", [1.0]))


def test_model_checkpoint_best_only_on_batches_from_first_batch(tmp_path):
    model = FakeModel()
    cb = kc.ModelCheckpoint(tmp_path / "b{batch}.keras", monitor="loss", save_freq=1, save_best_only=True)
    run_fit(model, [cb], seq("loss", [1.0]), steps=4, batch_logs=lambda e, b: {"loss": [3.0, 2.0, 2.5, 1.0][b]})
    assert _files(tmp_path) == ["b1.keras", "b2.keras", "b4.keras"]


def test_model_checkpoint_creates_directories(tmp_path):
    run_fit(FakeModel(), [kc.ModelCheckpoint(tmp_path / "a" / "b" / "m.keras")], seq("loss", [1.0]))
    assert (tmp_path / "a" / "b" / "m.keras").exists()


@pytest.mark.oracle
@pytest.mark.parametrize("kw", [dict(save_best_only=True), dict(save_best_only=True, mode="max"),
                                dict(save_best_only=True, initial_value_threshold=0.45),
                                dict(save_freq=3), dict(save_freq=5, save_best_only=True, monitor="loss")])
def test_model_checkpoint_matches_keras(tmp_path, kw):
    keras = keras_or_skip()
    values = [0.5, 0.6, 0.4, 0.4, 0.1, 0.3]
    out = []
    for name, mod in (("keras", keras.callbacks), ("kshim", kc)):
        d = tmp_path / name
        d.mkdir()
        model = FakeModel()
        pattern = "m-{epoch:02d}" + ("-{batch}" if "save_freq" in kw else "") + "-{val_loss:.3f}.keras"
        cb = mod.ModelCheckpoint(os.path.join(d, pattern), **kw)
        run_fit(model, [cb], seq("val_loss", values, loss=values), steps=4, cbl=mod.CallbackList,
                batch_logs=lambda e, b: {"loss": values[e] + b, "val_loss": 0.0})
        out.append((_files(d), [os.path.basename(p) for _, p in model.saved]))
    assert out[1] == out[0]


# ------------------------------------------------------------------- CSVLogger
def test_csv_logger_contents(tmp_path):
    path = tmp_path / "log.csv"
    run_fit(FakeModel(), [kc.CSVLogger(path)], seq("loss", [0.5, 0.25], accuracy=[0.75, 1.0]))
    assert path.read_bytes() == (b"epoch,accuracy,loss,val_accuracy,val_loss\r\n"
                                 b"0,0.75,0.5,NA,NA\r\n1,1.0,0.25,NA,NA\r\n")


def test_csv_logger_separator_append_and_validation(tmp_path):
    path = tmp_path / "log.tsv"
    logs = seq("loss", [0.5, 0.25], val_loss=[0.6, 0.3])
    run_fit(FakeModel(), [kc.CSVLogger(path, separator="\t")], logs)
    run_fit(FakeModel(), [kc.CSVLogger(path, separator="\t", append=True)], logs)
    assert path.read_text().splitlines() == ["epoch\tloss\tval_loss", "0\t0.5\t0.6", "1\t0.25\t0.3",
                                             "0\t0.5\t0.6", "1\t0.25\t0.3"]
    run_fit(FakeModel(), [kc.CSVLogger(path, separator="\t")], logs[:1])  # overwrite
    assert path.read_text().splitlines() == ["epoch\tloss\tval_loss", "0\t0.5\t0.6"]


@pytest.mark.oracle
@pytest.mark.parametrize("append", [False, True])
def test_csv_logger_matches_keras(tmp_path, append):
    keras = keras_or_skip()
    logs = [{"loss": 0.5, "acc": 1e-9, "val_loss": 2.0}, {"loss": float("nan"), "acc": 3.0}]
    out = []
    for name, mod in (("keras", keras.callbacks), ("kshim", kc)):
        path = tmp_path / f"{name}.csv"
        for _ in range(2 if append else 1):
            run_fit(FakeModel(), [mod.CSVLogger(path, separator=";", append=append)], logs, cbl=mod.CallbackList)
        out.append(path.read_bytes())
    assert out[1] == out[0]


# -------------------------------------------------------------- LambdaCallback
def test_lambda_callback_passes_logs_as_keyword():
    got = []
    cb = kc.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: got.append(("eb", epoch, logs)),
        on_epoch_end=lambda epoch, **kw: got.append(("ee", epoch, kw)),
        on_train_begin=lambda logs: got.append(("tb", logs)),
        on_train_end=lambda logs=None: got.append(("te", logs)),
        on_train_batch_begin=lambda batch, logs: got.append(("bb", batch)),
        on_train_batch_end=lambda batch, logs: got.append(("be", batch, logs)),
        extra_attr=7)
    run_fit(FakeModel(), [cb], seq("loss", [0.5]), steps=1)
    assert cb.extra_attr == 7
    assert got == [("tb", {}), ("eb", 0, {}), ("bb", 0), ("be", 0, {"loss": 0.5}),
                   ("ee", 0, {"logs": {"loss": 0.5}}), ("te", {"loss": 0.5})]


def test_lambda_callback_positional_logs_name():
    got = []
    cb = kc.LambdaCallback(on_epoch_end=lambda e, l: got.append((e, l)))  # noqa: E741
    run_fit(FakeModel(), [cb], seq("loss", [0.5]))
    assert got == [(0, {"loss": 0.5})]


# -------------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float32("nan")])
def test_terminate_on_nan(capsys, bad):
    model = FakeModel()
    ran = run_fit(model, [kc.TerminateOnNaN()], seq("loss", [1.0, 1.0, 1.0]), steps=3,
                  batch_logs=lambda e, b: {"loss": bad if (e, b) == (1, 1) else 0.5})
    assert model.stop_training and ran == [0, 1]
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"
    np.testing.assert_array_equal(model.weights[0], [12.0, 12.0])


def test_terminate_on_nan_raise_error_and_ok_losses():
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        run_fit(FakeModel(), [kc.TerminateOnNaN(raise_error=True)], seq("loss", [1.0]),
                batch_logs=lambda e, b: {"loss": math.nan})
    model = FakeModel()
    assert run_fit(model, [kc.TerminateOnNaN()], seq("loss", [1.0, 2.0])) == [0, 1]
    assert not model.stop_training


# ------------------------------------------------------------ BackupAndRestore
def test_backup_and_restore_resumes_from_next_epoch(tmp_path):
    backup = tmp_path / "backup"
    logs = seq("loss", [5.0, 4.0, 3.0, 2.0, 1.0])
    model = FakeModel()
    cb = kc.BackupAndRestore(backup)
    with pytest.raises(Interrupt):
        run_fit(model, [cb], logs, interrupt_at=(3, 1))
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 3

    fresh = FakeModel()  # a new process: fresh weights
    cb2 = kc.BackupAndRestore(backup)
    ran = run_fit(fresh, [cb2], logs)
    assert cb2._initial_epoch == 3
    assert fresh.loaded == [str(backup / "latest.weights.h5")]
    assert ran == [3, 4]  # epochs 0-2 finished before the interruption
    assert fresh.history.history["loss"] == [2.0, 1.0]
    assert not backup.exists()  # deleted at the end of a successful fit
    assert fresh._initial_epoch is None  # cleared so a later fit starts normally


def test_backup_and_restore_restored_weights_are_last_backup(tmp_path):
    model = FakeModel()
    loaded = []

    class Spy(kc.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not loaded:
                loaded.append((epoch, model.get_weights()[0].tolist()))

    with pytest.raises(Interrupt):
        run_fit(model, [kc.BackupAndRestore(tmp_path)], seq("loss", [1.0] * 4), interrupt_at=(2, 0))
    model.weights = [np.zeros(2), np.zeros(())]
    run_fit(model, [kc.BackupAndRestore(tmp_path), Spy()], seq("loss", [1.0] * 4))
    assert loaded == [(2, [12.0, 12.0])]  # weights at the end of epoch 1


def test_backup_and_restore_no_backup_and_keep_checkpoint(tmp_path):
    model = FakeModel()
    cb = kc.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    assert run_fit(model, [cb], seq("loss", [1.0] * 3)) == [0, 1, 2]
    assert cb._initial_epoch is None and model.loaded == []
    assert json.loads((tmp_path / "b" / "training_metadata.json").read_text()) == {"epoch": 3, "batch": 0}
    # a later fit with the kept checkpoint resumes after the end: nothing left to run
    cb2 = kc.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    assert run_fit(FakeModel(), [cb2], seq("loss", [1.0] * 3)) == []
    assert cb2._initial_epoch == 3


def test_backup_and_restore_batch_freq_resumes_interrupted_epoch(tmp_path):
    model = FakeModel()
    with pytest.raises(Interrupt):
        run_fit(model, [kc.BackupAndRestore(tmp_path, save_freq=2)], seq("loss", [1.0] * 4), steps=3,
                interrupt_at=(2, 2))
    meta = json.loads((tmp_path / "training_metadata.json").read_text())
    assert meta["epoch"] == 2  # a mid-epoch backup: epoch 2 is not finished
    fresh = FakeModel()
    assert run_fit(fresh, [kc.BackupAndRestore(tmp_path, save_freq=2)], seq("loss", [1.0] * 4), steps=3) == [2, 3]


def test_backup_and_restore_double_checkpoint_falls_back(tmp_path):
    model = FakeModel()
    with pytest.raises(Interrupt):
        run_fit(model, [kc.BackupAndRestore(tmp_path, double_checkpoint=True)], seq("loss", [1.0] * 5),
                interrupt_at=(3, 0))
    assert sorted(os.listdir(tmp_path)) == ["latest.weights.h5", "latest.weights.h5.bkp",
                                            "training_metadata.json", "training_metadata.json.bkp"]
    (tmp_path / "training_metadata.json").write_text("{corrupt")
    fresh = FakeModel()
    cb = kc.BackupAndRestore(tmp_path, double_checkpoint=True)
    assert run_fit(fresh, [cb], seq("loss", [1.0] * 5)) == [2, 3, 4]
    assert cb._initial_epoch == 2


def test_backup_and_restore_errors(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        kc.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        kc.BackupAndRestore(tmp_path, save_freq="batch")
    model = FakeModel()
    model.built = False
    run_fit(model, [kc.BackupAndRestore(tmp_path / "b")], seq("loss", [1.0]))  # nothing to restore: fine
    with pytest.raises(Interrupt):
        run_fit(FakeModel(), [kc.BackupAndRestore(tmp_path / "b")], seq("loss", [1.0] * 3), interrupt_at=(2, 0))
    with pytest.raises(ValueError, match="must be built"):
        run_fit(model, [kc.BackupAndRestore(tmp_path / "b")], seq("loss", [1.0]))


def test_callback_list_initial_epoch_override(tmp_path):
    model = FakeModel()
    with pytest.raises(Interrupt):
        run_fit(model, [kc.BackupAndRestore(tmp_path)], seq("loss", [1.0] * 4), interrupt_at=(2, 0))
    cbs = kc.CallbackList([kc.History(), kc.BackupAndRestore(tmp_path)], model=FakeModel())
    assert cbs.initial_epoch_override is None
    cbs.on_train_begin()
    assert cbs.initial_epoch_override == 2


@pytest.mark.oracle
def test_backup_and_restore_matches_keras(tmp_path):
    keras = keras_or_skip()
    out = []
    for name, mod in (("keras", keras.callbacks), ("kshim", kc)):
        model = FakeModel()
        d = tmp_path / name
        with pytest.raises(Interrupt):
            run_fit(model, [mod.BackupAndRestore(d)], seq("loss", [1.0] * 6), cbl=mod.CallbackList,
                    interrupt_at=(4, 1))
        meta = json.loads((d / "training_metadata.json").read_text())
        fresh = FakeModel()
        ran = run_fit(fresh, [mod.BackupAndRestore(d)], seq("loss", [1.0] * 6), cbl=mod.CallbackList)
        out.append((meta, ran, fresh.history.history, d.exists()))
    assert out[1] == out[0]


# ------------------------------------------------- with kshim's own trainer
def _small_model(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss=keras.losses.MeanSquaredError())
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((32, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5], "float32"))[:, None]


def test_with_kshim_fit_backup_resume_and_history(backend, tmp_path):
    import kshim as keras

    class Boom(kc.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise Interrupt()

    x, y = _data()
    model = _small_model(keras)
    with pytest.raises(Interrupt):
        model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[kc.BackupAndRestore(tmp_path), Boom()])
    saved = [w.copy() for w in model.get_weights()]
    model2 = _small_model(keras)
    lrs = []
    history = model2.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[
        kc.BackupAndRestore(tmp_path),
        kc.LambdaCallback(on_epoch_begin=lambda e, logs: lrs.append((e, [w.copy() for w in model2.get_weights()])))])
    assert history.epoch == [2, 3] and len(history.history["loss"]) == 2
    for a, b in zip(lrs[0][1], saved):
        np.testing.assert_allclose(a, b)
    assert not tmp_path.exists()


def test_with_kshim_fit_terminate_on_nan_gets_batch_logs(backend):
    import kshim as keras
    x, y = _data()
    y[:] = np.nan
    model = _small_model(keras)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[kc.TerminateOnNaN()])
    assert model.stop_training and len(history.history["loss"]) == 1


def test_with_kshim_fit_early_stopping_and_lr(backend):
    import kshim as keras
    x, y = _data()
    model = _small_model(keras)
    es = kc.EarlyStopping(monitor="loss", patience=0, min_delta=1e9, restore_best_weights=True)
    first = []
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[
        es, kc.LearningRateScheduler(lambda e, lr: 0.01 * (e + 1)),
        kc.LambdaCallback(on_epoch_end=lambda e, logs: first.append(model.get_weights()) if e == 0 else None)])
    assert history.epoch == [0, 1] and es.stopped_epoch == 1
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.02])
    for a, b in zip(model.get_weights(), first[0]):
        np.testing.assert_allclose(a, b)
