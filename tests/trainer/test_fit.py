"""compile / fit / evaluate / predict semantics on every backend."""
import numpy as np
import pytest

import kshim as keras
from kshim import layers


def _data(n=20, d=3, seed=0):
    r = np.random.RandomState(seed)
    return r.rand(n, d).astype("float32"), r.rand(n, 1).astype("float32")


def _linear(seed=0, lr=0.1, **compile_kw):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(keras.optimizers.SGD(lr), "mse", **compile_kw)
    return m


def _numpy_sgd_mse(w, b, batches, lr):
    """Reference: plain NumPy SGD on mean squared error, returns per-batch losses and weights."""
    losses = []
    for x, y in batches:
        pred = x @ w + b
        err = pred - y
        losses.append(float(np.mean(err ** 2)))
        g = 2 * err / err.size
        w = w - lr * x.T @ g
        b = b - lr * g.sum(0)
    return losses, w, b


def test_fit_matches_numpy_sgd_and_history_is_batch_weighted(backend):
    x, y = _data(10)
    m = _linear()
    w, b = m.get_weights()
    batches = [(x[i:i + 4], y[i:i + 4]) for i in range(0, 10, 4)]
    losses, w_ref, b_ref = _numpy_sgd_mse(w, b, batches, 0.1)
    h = m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    sizes = [4, 4, 2]
    np.testing.assert_allclose(h.history["loss"][0], np.average(losses, weights=sizes), rtol=1e-5)
    np.testing.assert_allclose(m.get_weights()[0], w_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], b_ref, rtol=1e-5, atol=1e-6)


def test_train_on_batch_returns_loss_before_update(backend):
    x, y = _data(8)
    m = _linear()
    w, b = m.get_weights()
    before = float(np.mean((x @ w + b - y) ** 2))
    loss = m.train_on_batch(x, y)
    assert np.isclose(loss, before, rtol=1e-5)
    assert not np.allclose(m.get_weights()[0], w)


def test_evaluate_predict_and_return_dict(backend):
    x, y = _data(12)
    m = _linear(metrics=["mae"])
    w, b = m.get_weights()
    pred = x @ w + b
    res = m.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    assert set(res) == {"loss", "mae"}
    np.testing.assert_allclose(res["loss"], np.mean((pred - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(res["mae"], np.mean(np.abs(pred - y)), rtol=1e-5)
    assert m.evaluate(x, y, verbose=0) == pytest.approx([res["loss"], res["mae"]], rel=1e-6)
    np.testing.assert_allclose(m.predict(x, batch_size=5, verbose=0), pred, rtol=1e-5, atol=1e-6)


def test_validation_split_takes_last_fraction(backend):
    x, y = _data(10)
    m = _linear(lr=0.0)
    h = m.fit(x, y, validation_split=0.2, epochs=1, verbose=0, shuffle=True)
    w, b = m.get_weights()
    np.testing.assert_allclose(h.history["val_loss"][0], np.mean((x[8:] @ w + b - y[8:]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(h.history["loss"][0], np.mean((x[:8] @ w + b - y[:8]) ** 2), rtol=1e-5)


def test_sample_weight_and_class_weight(backend):
    x, y = _data(6)
    sw = np.array([1, 0, 2, 0, 1, 1], "float32")
    m = _linear(lr=0.0)
    w, b = m.get_weights()
    h = m.fit(x, y, sample_weight=sw, batch_size=6, epochs=1, verbose=0)
    per = ((x @ w + b - y) ** 2)[:, 0]
    # Keras' sum_over_batch_size divides by the batch size, not by the sum of weights.
    np.testing.assert_allclose(h.history["loss"][0], np.sum(per * sw) / 6, rtol=1e-5)
    labels = np.array([0, 1, 1, 0, 1, 0])
    m2 = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    m2.compile(keras.optimizers.SGD(0.0), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    logits = x @ m2.get_weights()[0] + m2.get_weights()[1]
    ce = -(logits[np.arange(6), labels] - np.log(np.exp(logits).sum(1)))
    h2 = m2.fit(x, labels, class_weight={0: 1.0, 1: 3.0}, batch_size=6, verbose=0)
    np.testing.assert_allclose(h2.history["loss"][0], np.mean(ce * np.where(labels == 1, 3.0, 1.0)), rtol=1e-5)


def test_initial_epoch_steps_and_validation_freq(backend):
    x, y = _data(16)
    m = _linear()
    h = m.fit(x, y, batch_size=4, epochs=5, initial_epoch=2, steps_per_epoch=2, verbose=0,
              validation_data=(x, y), validation_freq=2)
    assert h.epoch == [2, 3, 4]
    assert len(h.history["loss"]) == 3 and len(h.history["val_loss"]) == 1
    assert int(m.optimizer.iterations.numpy()) == 6


def test_generator_and_pydataset_inputs(backend):
    x, y = _data(12)

    def gen():
        while True:
            for i in range(0, 12, 4):
                yield x[i:i + 4], y[i:i + 4]

    m = _linear()
    h = m.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2

    class DS(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]

    m2 = _linear()
    m3 = _linear()
    h2 = m2.fit(DS(), epochs=1, verbose=0)
    h3 = m3.fit(x, y, batch_size=4, shuffle=False, epochs=1, verbose=0)
    np.testing.assert_allclose(h2.history["loss"], h3.history["loss"], rtol=1e-6)
    assert m2.predict(DS(), verbose=0).shape == (12, 1)


def test_torch_dataloader_input(backend):
    torch = pytest.importorskip("torch")
    x, y = _data(12)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=False)
    m, ref = _linear(), _linear()
    h = m.fit(loader, epochs=1, verbose=0)
    h_ref = ref.fit(x, y, batch_size=4, shuffle=False, epochs=1, verbose=0)
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-6)


def test_multi_output_history_keys(backend):
    a = keras.Input((3,), name="a")
    h = layers.Dense(4)(a)
    cls = layers.Dense(2, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    m = keras.Model(a, [cls, reg])
    m.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]],
              loss_weights=[1.0, 0.5])
    x, yr = _data(10)
    yc = np.random.RandomState(1).randint(0, 2, 10)
    hist = m.fit(x, [yc, yr], epochs=1, verbose=0, validation_split=0.2)
    assert sorted(hist.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae", "val_cls_accuracy",
                                    "val_cls_loss", "val_loss", "val_reg_loss", "val_reg_mae"]
    r = m.evaluate(x, [yc, yr], verbose=0, return_dict=True)
    np.testing.assert_allclose(r["loss"], r["cls_loss"] + 0.5 * r["reg_loss"], rtol=1e-5)
    assert len(m.evaluate(x, [yc, yr], verbose=0)) == 5


def test_progbar_lines(backend, capsys):
    x, y = _data(8)
    m = _linear(metrics=["mae"])
    m.fit(x, y, batch_size=4, epochs=2, verbose=2)
    out = capsys.readouterr().out
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    import re
    assert re.fullmatch(r"2/2 - \d+s - \d+(ms|us|s)/step - loss: \S+ - mae: \S+", lines[1]) or \
        re.fullmatch(r"2/2 - \d+s - \d+(ms|us|s)/step - mae: \S+ - loss: \S+", lines[1]), lines[1]


def test_nan_loss_terminates(backend):
    x, y = _data(8)
    y[3] = np.nan
    m = _linear()
    h = m.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) == 1 and np.isnan(h.history["loss"][0])


def test_dropout_training_flag_in_fit_vs_predict(backend):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((50,)), layers.Dropout(0.5)])
    m.compile("sgd", "mse")
    x = np.ones((4, 50), "float32")
    np.testing.assert_array_equal(m.predict(x, verbose=0), x)
    out = keras.ops.convert_to_numpy(m(x, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1


def test_steps_per_execution_groups_callbacks(backend):
    x, y = _data(16)
    m = _linear(steps_per_execution=2)
    calls = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: calls.append(batch))
    m.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[cb])
    assert calls == [0, 1] and int(m.optimizer.iterations.numpy()) == 4


def test_run_eagerly_and_jit_compile_flags(backend):
    x, y = _data(8)
    results = []
    for kw in (dict(run_eagerly=True), dict(jit_compile=False), dict(jit_compile="auto")):
        m = _linear(**kw)
        results.append(m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"])
        assert m._use_jit() == (backend.name in ("jax", "torch") and "run_eagerly" not in kw and kw.get("jit_compile") != False)  # noqa: E712
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-5)


def test_lazily_built_metrics_work_in_fit(backend):
    x, y = _data(12)
    m = _linear(metrics=[keras.metrics.R2Score()])
    h = m.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert "r2_score" in h.history and np.isfinite(h.history["r2_score"][0])


def test_jitted_jax_steps_take_numpy_batches_unconverted(backend):
    """On jax, jitted steps get NumPy batch arrays as they are (the jit transfers them); results equal
    the eager path, which converts every leaf first."""
    from kshim.trainers.trainer import _step_inputs

    x, y = _data(12)
    batch = _step_inputs((x, y, None), True)
    if backend.name == "jax":
        assert batch[0] is x and batch[1] is y
    else:
        assert backend.is_tensor(batch[0]) and backend.is_tensor(batch[1])
    assert all(backend.is_tensor(t) for t in _step_inputs((x, y), False))
    runs = []
    for kw in (dict(run_eagerly=True), dict()):
        m = _linear(**kw)
        h = m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
        runs.append((h, m.evaluate(x, y, batch_size=4, verbose=0), m.predict(x, batch_size=4, verbose=0)))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-5)
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-5)
