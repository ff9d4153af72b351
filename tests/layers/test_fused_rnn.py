"""The fused LSTM/GRU path (``kshim/layers/rnn/fused.py``; backend hooks ``lstm``/``gru``).

The unfused path (the cell over ``scan``) defines the numbers, and is itself checked against real Keras
in ``test_rnn_layers.py``. Here the fused path is compared with it on the same weights and inputs:

* float64: forward, gradients w.r.t. every weight and the input, and the weights after a few ``fit``
  steps, to rel 1e-12 (the kernels do the same arithmetic in another order -- torch's ATen loop, NumPy's
  hand-written VJP with one GEMM over all steps for the weight gradients --, observed ~3e-16);
* float32: rel 1e-5 / atol 1e-6 (oneDNN's float32 LSTM/GRU on torch rounds differently: observed
  ~1e-7 after a few steps; 1e-5 leaves two orders of headroom, as in ``test_rnn_layers.py``);
* the NumPy kernel's hand-derived VJP against central finite differences (float64, step 1e-6, the
  O(h^2) truncation error is ~1e-10, so rel 1e-6);
* configurations the kernels do not implement take the unfused path (asserted by spying on the hook),
  and those they do take the fused one.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers.rnn import GRU, LSTM, Bidirectional, fused

from ._util import installed_backends

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

N = ops.convert_to_numpy


@contextlib.contextmanager
def fused_enabled(on: bool):
    old = fused.ENABLED
    fused.ENABLED = on
    try:
        yield
    finally:
        fused.ENABLED = old


@contextlib.contextmanager
def spy(backend, name):
    """Count calls of the backend's fused hook ``name`` (None: the backend has none)."""
    calls = []
    orig = getattr(backend, name)
    if orig is None:
        yield None
        return

    def wrapped(*a, **kw):
        calls.append(1)
        return orig(*a, **kw)
    setattr(backend, name, wrapped)
    try:
        yield calls
    finally:
        delattr(backend, name)


def _hook(cls):
    return "lstm" if cls is LSTM else "gru"


def _needs_hook(backend, cls):
    if getattr(backend, _hook(cls)) is None:
        pytest.skip(f"{backend.name} has no fused {_hook(cls)} kernel (its scan path is the only path)")


def _set_random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.standard_normal(w.shape) * 0.4 for w in layer.get_weights()])


def _loss_and_grads(backend, layer, x, initial_state=None):
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def f(tv, xx):
        kw = {} if initial_state is None else {"initial_state": initial_state}
        out, _ = layer.stateless_call(tv, ntv, xx, **kw)
        outs = out if isinstance(out, (list, tuple)) else [out]
        total = ops.sum(ops.sin(outs[0]))
        for o in outs[1:]:
            total = ops.add(total, ops.sum(ops.cos(o)))
        return total
    value, (gw, gx) = backend.value_and_grad(f, argnums=(0, 1))(tv, ops.convert_to_tensor(x))
    return float(N(value)), [N(g) for g in gw] + [N(gx)]


def _both_paths(backend, cls, kw, x, dtype, initial_state=None):
    res = {}
    for on in (True, False):
        with fused_enabled(on), spy(backend, _hook(cls)) as calls:
            layer = cls(5, dtype=dtype, **kw)
            layer(x)
            _set_random_weights(layer, 1)
            out = layer(x) if initial_state is None else layer(x, initial_state=initial_state)
            outs = [N(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
            value, grads = _loss_and_grads(backend, layer, x, initial_state)
        res[on] = (outs, value, grads, len(calls))
    return res


CONFIGS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
    {"return_state": True},
    {"use_bias": False},
]


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=["lstm", "gru"])
@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(kw) or "default")
def test_fused_equals_unfused_float64(backend, cls, kw):
    _needs_hook(backend, cls)
    x = np.random.default_rng(0).standard_normal((3, 6, 4))
    res = _both_paths(backend, cls, kw, x, "float64")
    assert res[True][3] > 0 and res[False][3] == 0        # the fused path ran, and only when enabled
    for a, b in zip(res[True][0], res[False][0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res[True][1], res[False][1], rtol=1e-12)
    assert len(res[True][2]) == len(res[False][2])
    for a, b in zip(res[True][2], res[False][2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=["lstm", "gru"])
def test_fused_equals_unfused_float32(backend, cls):
    _needs_hook(backend, cls)
    x = np.random.default_rng(2).standard_normal((4, 7, 3)).astype("float32")
    res = _both_paths(backend, cls, {"return_sequences": True, "return_state": True}, x, "float32")
    assert res[True][3] > 0
    for a, b in zip(res[True][0], res[False][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(res[True][2], res[False][2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)   # gradient sums over 7 steps x 4 samples


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=["lstm", "gru"])
def test_fused_with_initial_state(backend, cls):
    _needs_hook(backend, cls)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3))
    n_states = 2 if cls is LSTM else 1
    init = [ops.convert_to_tensor(rng.standard_normal((2, 5))) for _ in range(n_states)]
    res = _both_paths(backend, cls, {"return_state": True}, x, "float64", initial_state=init)
    assert res[True][3] > 0
    for a, b in zip(res[True][0], res[False][0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for a, b in zip(res[True][2], res[False][2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_fused_stateful_carries_state(backend):
    _needs_hook(backend, LSTM)
    x = np.random.default_rng(4).standard_normal((2, 3, 4))
    outs = {}
    for on in (True, False):
        with fused_enabled(on):
            layer = LSTM(3, stateful=True, dtype="float64")
            layer(x)
            _set_random_weights(layer, 5)
            layer.reset_state()
            outs[on] = [N(layer(x)), N(layer(x)), N(layer.states[1].value)]
    assert not np.allclose(outs[True][0], outs[True][1])   # the second call starts from the carried state
    for a, b in zip(outs[True], outs[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_fused_bidirectional(backend):
    _needs_hook(backend, LSTM)
    x = np.random.default_rng(6).standard_normal((2, 5, 3))
    outs = {}
    for on in (True, False):
        with fused_enabled(on), spy(backend, "lstm") as calls, spy(backend, "rnn_pair") as pairs:
            layer = Bidirectional(LSTM(4, return_sequences=True, dtype="float64"), dtype="float64")
            layer(x)
            _set_random_weights(layer, 7)
            outs[on] = N(layer(x))
        if on:
            # forward and backward layer, two calls each; a backend with rnn_pair (NumPy, torch) takes both
            # directions of a call in one pair call (tests/layers/test_bidirectional_pair.py)
            assert len(calls) + 2 * len(pairs or []) == 4
    np.testing.assert_allclose(outs[True], outs[False], rtol=1e-12, atol=1e-14)


def _fit_weights(cls, x, y):
    inp = kshim.Input(x.shape[1:], dtype="float64")
    model = kshim.Model(inp, kshim.layers.Dense(3, dtype="float64")(cls(6, dtype="float64")(inp)))
    _set_random_weights(model, 8)
    model.compile(optimizer=kshim.optimizers.Adam(0.05),
                  loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return hist.history["loss"], model.get_weights()


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=["lstm", "gru"])
def test_fit_steps_match(backend, cls):
    _needs_hook(backend, cls)
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((12, 5, 3)), rng.integers(0, 3, 12)
    res = {}
    for on in (True, False):
        with fused_enabled(on), spy(backend, _hook(cls)) as calls:
            res[on] = _fit_weights(cls, x, y)
        assert (len(calls) > 0) == on
    assert res[True][0][-1] < res[True][0][0]
    np.testing.assert_allclose(res[True][0], res[False][0], rtol=1e-12)
    for a, b in zip(res[True][1], res[False][1]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)   # 6 Adam updates of rel-1e-15 gradients


# ---- eligibility ------------------------------------------------------------------------------
UNFUSED = [
    (LSTM, {"activation": "relu"}),
    (LSTM, {"recurrent_activation": "hard_sigmoid"}),
    (LSTM, {"unroll": True}),
    (LSTM, {"use_cudnn": False}),
    (GRU, {"reset_after": False}),
    (GRU, {"activation": "relu"}),
]


@pytest.mark.parametrize("cls,kw", UNFUSED, ids=lambda v: v.__name__ if isinstance(v, type) else "-".join(v))
def test_configurations_the_kernel_does_not_implement_fall_back(backend, cls, kw):
    _needs_hook(backend, cls)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    with spy(backend, _hook(cls)) as calls:
        layer = cls(3, **kw)
        layer(x)
    assert calls == []


def test_mask_and_training_dropout_fall_back(backend):
    _needs_hook(backend, LSTM)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    layer = LSTM(3, dropout=0.3, seed=1)
    layer(x)
    with spy(backend, "lstm") as calls:
        layer(x, mask=np.array([[True, True, False], [True, False, False]]))
        layer(x, training=True)
    assert calls == []
    with spy(backend, "lstm") as calls:
        layer(x, training=False)                      # dropout is inactive at inference: fused
    assert len(calls) == 1


def test_rnn_of_lstm_cell_stays_unfused(backend):
    """Only the LSTM/GRU layers use the kernel (as Keras uses cuDNN only there)."""
    _needs_hook(backend, LSTM)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    with spy(backend, "lstm") as calls:
        kshim.layers.RNN(kshim.layers.LSTMCell(3))(x)
    assert calls == []


# ---- the NumPy kernel's hand-derived VJP vs finite differences ---------------------------------
def _fd_check(forward, args, seed):
    rng = np.random.default_rng(seed)
    outs, vjp = forward(*args)
    cts = [rng.standard_normal(o.shape) for o in outs]
    grads = vjp(cts)

    def scalar(*a):
        return sum(float(np.sum(o * c)) for o, c in zip(forward(*a)[0], cts))
    eps = 1e-6
    for k, arg in enumerate(args):
        if arg is None:
            continue
        fd = np.zeros_like(arg)
        for idx in np.ndindex(arg.shape):
            plus = [a if a is None else a.copy() for a in args]
            minus = [a if a is None else a.copy() for a in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            fd[idx] = (scalar(*plus) - scalar(*minus)) / (2 * eps)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, atol=1e-8, err_msg=f"argument {k}")


@pytest.mark.parametrize("with_bias", [True, False])
def test_numpy_lstm_vjp_finite_differences(with_bias):
    from kshim.backends.numpy import rnn
    rng = np.random.default_rng(11)
    b, t, f, u = 2, 3, 2, 3
    args = [rng.standard_normal((b, t, f)), rng.standard_normal((b, u)), rng.standard_normal((b, u)),
            rng.standard_normal((f, 4 * u)) * 0.5, rng.standard_normal((u, 4 * u)) * 0.5,
            rng.standard_normal(4 * u) * 0.5 if with_bias else None]
    _fd_check(rnn.lstm_forward, args, 12)


@pytest.mark.parametrize("with_bias", [True, False])
def test_numpy_gru_vjp_finite_differences(with_bias):
    from kshim.backends.numpy import rnn
    rng = np.random.default_rng(13)
    b, t, f, u = 2, 3, 2, 3
    args = [rng.standard_normal((b, t, f)), rng.standard_normal((b, u)),
            rng.standard_normal((f, 3 * u)) * 0.5, rng.standard_normal((u, 3 * u)) * 0.5,
            rng.standard_normal((2, 3 * u)) * 0.5 if with_bias else None]
    _fd_check(rnn.gru_forward, args, 14)


def test_hooks_are_declared_with_base_defaults():
    from kshim.backends._base import BaseBackend
    from kshim.backends._protocol import Backend
    import kshim.backends as B
    for name in ("lstm", "gru"):
        assert name in Backend.__annotations__ and getattr(BaseBackend, name) is None
    for name in ("numpy", "jax", "torch"):                # a hook left at None keeps a backend a Backend
        if name in installed_backends():
            assert isinstance(B.get(name), Backend)


@pytest.mark.backends("jax")
def test_jax_recurrence_is_one_scan_inside_the_jitted_step(backend):
    """On JAX the layer's whole recurrence is one ``lax.scan`` traced into the jitted train step: after
    the first epoch compiled it, further steps never run the layer's Python again."""
    from kshim.layers.rnn.rnn import RNN
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 6, 3)).astype("float32"), rng.integers(0, 3, 16)
    inp = kshim.Input((6, 3))
    model = kshim.Model(inp, kshim.layers.Dense(3)(LSTM(4)(inp)))
    model.compile(optimizer="adam", loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    calls = []
    orig = RNN.inner_loop

    def counting(self, *a, **k):
        calls.append(1)
        return orig(self, *a, **k)
    RNN.inner_loop = counting
    try:
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        first = len(calls)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    finally:
        RNN.inner_loop = orig
    assert 1 <= first <= 2 and len(calls) == first
