"""``SwapEMAWeights`` and ``RemoteMonitor``.

SwapEMAWeights: driven through ``SGD(use_ema=True)`` whose averages (``_model_variables_moving_average``)
are set here to known values and not updated by training; real Keras 3 (JAX), with its own
``SGD(use_ema=True)`` and the same averages, is the oracle for the evaluation numbers (float32 forward
pass of a tiny model on both sides: rtol 1e-5, atol 1e-6). Without EMA, both raise the same ValueError.

RemoteMonitor: a local ``http.server`` on 127.0.0.1 records each request; the payload is compared
with the one Keras sends (``requests`` is not installed here, so Keras' callback cannot run).
"""
from __future__ import annotations

import http.server
import json
import os
import socket
import threading
import urllib.parse
import warnings

import numpy as np
import pytest

import kshim
from kshim import layers
from kshim.callbacks import LambdaCallback, RemoteMonitor, SwapEMAWeights

TOL = dict(rtol=1e-5, atol=1e-6)
rng = np.random.default_rng(3)
X = rng.normal(size=(6, 3)).astype("float32")
Y = rng.normal(size=(6, 2)).astype("float32")
W0 = [rng.normal(size=(3, 2)).astype("float32"), np.zeros((2,), "float32")]
W_EMA = [rng.normal(size=(3, 2)).astype("float32"), np.full((2,), 0.5, "float32")]


class EMASGD(kshim.optimizers.SGD):
    """``SGD(use_ema=True)`` whose averages stay as set (training does not update them): the swap is
    what is tested here; the EMA arithmetic itself is tested against Keras in test_optimizer_ema.py."""

    def __init__(self, **kwargs):
        super().__init__(use_ema=True, **kwargs)

    def _update_moving_averages(self):
        pass

    def set_averages(self, values):
        for avg, value in zip(self._model_variables_moving_average, values):
            avg.assign(value)

    def averages(self):
        return [np.asarray(kshim.ops.convert_to_numpy(a.value)) for a in self._model_variables_moving_average]


def kshim_model(optimizer=None):
    inp = kshim.Input((3,))
    model = kshim.Model(inp, layers.Dense(2, name="d")(inp))
    model.set_weights(W0)
    optimizer = optimizer if optimizer is not None else EMASGD(learning_rate=0.1)
    model.compile(optimizer=optimizer, loss="mse")
    if isinstance(optimizer, EMASGD):
        optimizer.build(model.trainable_variables)
        optimizer.set_averages(W_EMA)
    return model


def same_weights(model, expected):
    for w, e in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(w, e)


@pytest.fixture(scope="module")
def keras_oracle():
    """Keras 3: evaluate/predict with SwapEMAWeights and averages W_EMA; and its error without EMA."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(inp))
    model.set_weights(W0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, use_ema=True), loss="mse")
    model.optimizer.build(model.trainable_variables)
    for avg, value in zip(model.optimizer._model_variables_moving_average, W_EMA):
        avg.assign(value)
    loss = model.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    weights_after = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    with pytest.raises(ValueError) as err:
        model.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    return {"loss": loss, "weights_after": weights_after, "error": str(err.value)}


# ---------------------------------------------------------------- SwapEMAWeights
def test_evaluate_uses_ema_weights_then_restores(backend, keras_oracle):
    model = kshim_model()
    loss = model.evaluate(X, Y, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(loss, keras_oracle["loss"], **TOL)
    np.testing.assert_allclose(loss, np.mean((X @ W_EMA[0] + W_EMA[1] - Y) ** 2), **TOL)
    same_weights(model, W0)
    for w, k in zip(W0, keras_oracle["weights_after"]):
        np.testing.assert_array_equal(w, k)
    for a, e in zip(model.optimizer.averages(), W_EMA):
        np.testing.assert_array_equal(a, e)


def test_predict_uses_ema_weights_then_restores(backend):
    model = kshim_model()
    out = model.predict(X, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(out, X @ W_EMA[0] + W_EMA[1], **TOL)
    same_weights(model, W0)  # Keras 3.15 leaves the EMA weights in the model here (see the docstring)
    np.testing.assert_allclose(model.predict(X, verbose=0), X @ W0[0] + W0[1], **TOL)


def test_swap_on_epoch(backend):
    model = kshim_model()
    seen = {"begin": [], "end": []}
    snap = lambda key: lambda epoch, logs: seen[key].append(model.get_weights())  # noqa: E731
    before = LambdaCallback(on_epoch_begin=snap("begin"))
    after = LambdaCallback(on_epoch_end=snap("end"))
    model.fit(X, Y, epochs=2, batch_size=6, shuffle=False, verbose=0,
              callbacks=[SwapEMAWeights(swap_on_epoch=True), before, after])
    for weights in seen["end"]:  # callbacks after it see the EMA weights at epoch end ...
        for w, e in zip(weights, W_EMA):
            np.testing.assert_array_equal(w, e)
    # ... and the training weights come back for the next epoch: epoch 1 starts from one SGD step on W0
    grad_w = 2 * X.T @ (X @ W0[0] + W0[1] - Y) / Y.size
    np.testing.assert_allclose(seen["begin"][1][0], W0[0] - 0.1 * grad_w, **TOL)
    same_weights(model, W_EMA)  # last epoch: EMA weights stay in the model, the averages are finalized to them
    for a, e in zip(model.optimizer.averages(), W_EMA):
        np.testing.assert_array_equal(a, e)


def test_fit_validation_uses_ema_weights(backend):
    model = kshim_model()
    hist = model.fit(X, Y, epochs=1, batch_size=6, verbose=0, validation_data=(X, Y), callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(hist.history["val_loss"][0], np.mean((X @ W_EMA[0] + W_EMA[1] - Y) ** 2), **TOL)


def test_without_ema_raises_keras_value_error(backend, keras_oracle):
    model = kshim_model(kshim.optimizers.SGD())
    with pytest.raises(ValueError) as err:
        model.evaluate(X, Y, verbose=0, callbacks=[SwapEMAWeights()])
    assert str(err.value) == keras_oracle["error"]


def test_through_loss_scale_and_multi_optimizer(backend):
    opt = EMASGD(learning_rate=0.1)
    wrapper = kshim.optimizers.LossScaleOptimizer(opt)
    model = kshim_model(wrapper)
    wrapper.build(model.trainable_variables)  # builds the inner EMASGD
    opt.set_averages(W_EMA)
    np.testing.assert_allclose(model.predict(X, verbose=0, callbacks=[SwapEMAWeights()]), X @ W_EMA[0] + W_EMA[1],
                               **TOL)
    same_weights(model, W0)
    plain = kshim.optimizers.SGD()
    multi = kshim.optimizers.MultiOptimizer(lambda v: plain)
    model = kshim_model(multi)
    model.fit(X, Y, epochs=1, verbose=0)  # builds the map
    with pytest.raises(ValueError, match="at least one inner optimizer has `use_ema=True`"):
        model.evaluate(X, Y, verbose=0, callbacks=[SwapEMAWeights()])


# ---------------------------------------------------------------- RemoteMonitor
class _Server:
    """A local HTTP server that records (path, headers, body) of every POST and answers ``status``."""

    def __init__(self, status=200):
        self.requests: list = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.requests.append((self.path, dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def test_form_payload_during_fit(backend):
    model = kshim_model(kshim.optimizers.SGD())
    with _Server() as server:
        hist = model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[RemoteMonitor(root=server.root)])
    assert len(server.requests) == 2
    for epoch, (path, headers, body) in enumerate(server.requests):
        assert path == "/publish/epoch/end/"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = urllib.parse.parse_qs(body.decode())
        assert list(form) == ["data"]
        expected = {"epoch": epoch, **{k: v[epoch] for k, v in sorted(hist.history.items())}}
        assert form["data"] == [json.dumps(expected)]  # the exact string Keras' json.dumps(send) gives


def test_json_payload_headers_and_numpy_values():
    cb = RemoteMonitor(path="/p", field="ignored", headers={"X-Token": "abc"}, send_as_json=True)
    with _Server() as server:
        cb.root = server.root
        cb.on_epoch_end(3, {"loss": np.float32(0.25), "acc": np.array(0.5), "note": "ok", "n": 7})
    ((path, headers, body),) = server.requests
    assert path == "/p" and headers["Content-Type"] == "application/json" and headers["X-Token"] == "abc"
    payload = {"epoch": 3, "loss": 0.25, "acc": 0.5, "note": "ok", "n": 7}
    assert body == json.dumps(payload).encode()
    assert json.loads(body) == payload and type(json.loads(body)["loss"]) is float


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_server_warns():
    cb = RemoteMonitor(root=f"http://127.0.0.1:{_free_port()}")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://127.0.0.1:"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_http_error_status_is_not_a_warning():
    with _Server(status=500) as server:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            RemoteMonitor(root=server.root).on_epoch_end(0, {"loss": 1.0})
    assert len(server.requests) == 1


def test_nan_in_json_mode_warns_and_form_mode_sends_it():
    with _Server() as server:
        with pytest.warns(UserWarning, match="Could not reach"):
            RemoteMonitor(root=server.root, send_as_json=True).on_epoch_end(0, {"loss": float("nan")})
        RemoteMonitor(root=server.root).on_epoch_end(0, {"loss": float("nan")})
    ((_, _, body),) = server.requests  # only the form request went out (JSON has no NaN; requests refuses it)
    assert urllib.parse.parse_qs(body.decode())["data"] == ['{"epoch": 0, "loss": NaN}']


def _params(fn):
    import inspect
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def test_signatures_and_defaults_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    from kshim.utils import plotting
    pairs = [(RemoteMonitor.__init__, keras.callbacks.RemoteMonitor.__init__),
             (SwapEMAWeights.__init__, keras.callbacks.SwapEMAWeights.__init__),
             (kshim.callbacks.TensorBoard.__init__, keras.callbacks.TensorBoard.__init__),
             (plotting.model_to_dot, keras.utils.model_to_dot), (plotting.plot_model, keras.utils.plot_model)]
    for mine, theirs in pairs:
        assert _params(mine) == _params(theirs), mine.__qualname__
