"""Recurrent layers: RNN, SimpleRNN, LSTM, GRU (+cells), StackedRNNCells, Bidirectional,
TimeDistributed, ConvLSTM1D/2D.

* Forward values vs real Keras 3 (JAX) on the same weights, float32, rtol=atol=1e-5: each step
  is a few float32 matmuls + tanh/sigmoid, and errors compound over at most 6 steps; the observed
  max abs difference is ~1e-7 (kshim hoists ``x @ W + b`` out of the loop, so additions happen in
  a different order than in Keras), 1e-5 leaves two orders of magnitude of headroom.
* Gradients (inputs and weights) agree across numpy/jax/torch in float64 to rel 1e-10 (the same
  math, different summation orders: ~1e-15 relative), and match central finite differences on
  numpy for a tiny LSTM (step 1e-6, rel 1e-6: the O(h^2) truncation error).
* Training: Embedding(mask_zero=True) + LSTM + Dense with ``fit(shuffle=False)`` under a float64
  policy gives the same loss history on all backends to rel 1e-9 (float64 rounding differences
  amplified by a few hundred SGD updates stay far below that).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import backends, ops  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim.layers.rnn import (GRU, LSTM, RNN, Bidirectional, ConvLSTM1D, ConvLSTM2D, GRUCell, LSTMCell,  # noqa: E402
                              SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed)

from ._numpy_refs_b import cell_step, rnn_layer_reference  # noqa: E402
from ._util import installed_backends  # noqa: E402
from .keras_oracle import _norm_cfg  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
MINE = {"RNN": RNN, "SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU, "SimpleRNNCell": SimpleRNNCell,
        "LSTMCell": LSTMCell, "GRUCell": GRUCell, "Bidirectional": Bidirectional, "TimeDistributed": TimeDistributed,
        "ConvLSTM1D": ConvLSTM1D, "ConvLSTM2D": ConvLSTM2D, "StackedRNNCells": StackedRNNCells}


def N(t):
    return np.asarray(ops.convert_to_numpy(t))


def _list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _mask(b=3, t=5):
    m = np.ones((b, t), bool)
    m[0, 3:] = False          # trailing padding
    m[1, :2] = False          # leading padding
    if b > 2:
        m[2, 2] = False       # a hole
    return m


def _build(mod, spec):
    """spec: (name, args, kwargs); cells given as nested specs for RNN/StackedRNNCells."""
    name, args, kw = spec
    cls = getattr(mod.layers, name) if mod is keras else (MINE.get(name) or getattr(L, name))
    is_spec = lambda a: isinstance(a, tuple) and a and isinstance(a[0], str)  # noqa: E731
    args = [_build(mod, a) if is_spec(a) else [_build(mod, c) for c in a] if isinstance(a, list) else a
            for a in args]
    kw = {k: _build(mod, v) if isinstance(v, tuple) and v and isinstance(v[0], str) else v for k, v in kw.items()}
    return cls(*args, **kw)


S = lambda name, *args, **kw: (name, args, kw)  # noqa: E731
RS, ST = dict(return_sequences=True), dict(return_state=True)
FORWARD_CASES = {
    "lstm": (S("LSTM", 4), {}),
    "lstm_seq_mask": (S("LSTM", 4, **RS), {"mask": True}),
    "lstm_state_back": (S("LSTM", 4, return_state=True, go_backwards=True), {}),
    "lstm_seq_back_mask": (S("LSTM", 4, go_backwards=True, **RS), {"mask": True}),
    "lstm_unroll_mask": (S("LSTM", 4, unroll=True, **RS), {"mask": True}),
    "lstm_initial_state": (S("LSTM", 4, **ST), {"initial_state": [(3, 4), (3, 4)], "mask": True}),
    "lstm_no_bias_relu": (S("LSTM", 3, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid"), {}),
    "gru": (S("GRU", 4), {}),
    "gru_seq_mask": (S("GRU", 4, **RS), {"mask": True}),
    "gru_reset_before": (S("GRU", 4, reset_after=False, **RS, **ST), {"mask": True}),
    "gru_reset_before_back": (S("GRU", 4, reset_after=False, go_backwards=True), {}),
    "simple_rnn_no_bias": (S("SimpleRNN", 4, use_bias=False, activation="relu", **RS), {}),
    "gru_initial_state_unroll": (S("GRU", 4, unroll=True, **ST), {"initial_state": [(3, 4)]}),
    "simple_rnn": (S("SimpleRNN", 4, **RS), {"mask": True}),
    "simple_rnn_state_back": (S("SimpleRNN", 4, **ST, go_backwards=True), {"initial_state": [(3, 4)]}),
    "rnn_lstmcell_zero_out": (S("RNN", S("LSTMCell", 3), zero_output_for_mask=True, **RS), {"mask": True}),
    "rnn_stacked": (S("RNN", [S("LSTMCell", 3), S("GRUCell", 2), S("SimpleRNNCell", 2)], **RS, **ST), {"mask": True}),
    "stacked_cells_obj": (S("RNN", S("StackedRNNCells", [S("GRUCell", 3), S("LSTMCell", 2)])), {}),
    "bidi_concat": (S("Bidirectional", S("LSTM", 3, **RS)), {"mask": True}),
    "bidi_sum": (S("Bidirectional", S("GRU", 3, **RS), merge_mode="sum"), {"mask": True}),
    "bidi_mul": (S("Bidirectional", S("SimpleRNN", 3), merge_mode="mul"), {}),
    "bidi_ave": (S("Bidirectional", S("LSTM", 3, **RS), merge_mode="ave"), {}),
    "bidi_none_state": (S("Bidirectional", S("GRU", 3, **ST), merge_mode=None), {"mask": True}),
    "bidi_concat_state_init": (S("Bidirectional", S("LSTM", 3, **ST, **RS)), {"initial_state": [(3, 3)] * 4}),
    "bidi_backward_layer": (S("Bidirectional", S("LSTM", 3, **RS),
                              backward_layer=S("GRU", 3, go_backwards=True, **RS)), {}),
    "time_distributed_dense": (S("TimeDistributed", S("Dense", 3, activation="tanh")), {}),
}


_KERAS_CACHE: dict = {}


def _keras_forward(case, spec, call, rng):
    """Keras' result does not depend on the kshim backend: compute it once per case."""
    if case not in _KERAS_CACHE:
        x = rng.standard_normal((3, 5, 4)).astype("float32")
        kw = {}
        if call.get("mask"):
            kw["mask"] = _mask()
        if "initial_state" in call:
            kw["initial_state"] = [rng.standard_normal(s).astype("float32") for s in call["initial_state"]]
        kl = _build(keras, spec)
        kl(x, **kw)
        ws = [w + rng.standard_normal(w.shape).astype("float32") * 0.2 for w in kl.get_weights()]
        kl.set_weights(ws)
        _KERAS_CACHE[case] = (x, kw, ws, [np.asarray(a) for a in _list(kl(x, **kw))])
    return _KERAS_CACHE[case]


def _run_forward(case, spec, call, rng):
    x, kw, ws, ky = _keras_forward(case, spec, call, rng)
    ml = _build(kshim, spec)
    ml(x, **kw)
    ml.set_weights(ws)
    my = _list(ml(x, **kw))
    assert len(ky) == len(my)
    for a, b in zip(ky, my):
        np.testing.assert_allclose(N(b), a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", list(FORWARD_CASES))
def test_forward_matches_keras(backend, case):
    spec, call = FORWARD_CASES[case]
    _run_forward(case, spec, call, np.random.default_rng(len(case)))


# NumPy reference: every FORWARD_CASES recurrent case recomputed from the cell equations with the layer's
# own (randomized, float32) weights, in float64. float32 layer vs float64 reference: a few float32
# matmuls + tanh/sigmoid per step over 5 steps, errors ~1e-7; rtol=atol=1e-5 as for the Keras oracle.
NP_FORWARD_CASES = [c for c in FORWARD_CASES if c != "time_distributed_dense"]


def _flat(y):
    """Outputs and states as one flat list (a stack of cells returns each cell's states as a list)."""
    return [a for item in _list(y) for a in (_flat(item) if isinstance(item, (list, tuple)) else [item])]


def _np_inputs(call, rng):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    kw = {}
    if call.get("mask"):
        kw["mask"] = _mask()
    if "initial_state" in call:
        kw["initial_state"] = [rng.standard_normal(s).astype("float32") for s in call["initial_state"]]
    return x, kw


@pytest.mark.parametrize("case", NP_FORWARD_CASES)
def test_forward_matches_numpy_reference(backend, case):
    spec, call = FORWARD_CASES[case]
    rng = np.random.default_rng(100 + len(case))
    x, kw = _np_inputs(call, rng)
    layer = _build(kshim, spec)
    layer(x, **kw)
    layer.set_weights([w + rng.standard_normal(w.shape).astype("float32") * 0.2 for w in layer.get_weights()])
    got = _flat(layer(x, **kw))
    want = rnn_layer_reference(layer, x.astype("float64"), kw.get("mask"),
                               [s.astype("float64") for s in kw["initial_state"]] if "initial_state" in kw else None)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert N(a).shape == b.shape
        np.testing.assert_allclose(N(a), b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_standalone_cell_step_matches_numpy_reference(backend, cls):
    """One call of a cell is one step of its equations (float64: rtol=atol=1e-12, the same math)."""
    rng = np.random.default_rng(7)
    cell = cls(3, dtype="float64")
    x = rng.standard_normal((2, 4))
    cell.build((2, 4))
    cell.set_weights([rng.standard_normal(w.shape) * 0.5 for w in cell.get_weights()])
    n = 2 if cls is LSTMCell else 1
    states = [rng.standard_normal((2, 3)) for _ in range(n)]
    out, new = cell(x, states)
    ref_out, ref_new = cell_step(cell)[0](x, states)
    np.testing.assert_allclose(N(out), ref_out, rtol=1e-12, atol=1e-12)
    for a, b in zip(_list(new), ref_new):
        np.testing.assert_allclose(N(a), b, rtol=1e-12, atol=1e-12)


def test_time_distributed_dense_matches_numpy(backend):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 5, 4))
    layer = TimeDistributed(L.Dense(3, activation="tanh", dtype="float64"), dtype="float64")
    layer(x)
    w, b = [rng.standard_normal(v.shape) for v in layer.get_weights()]
    layer.set_weights([w, b])
    np.testing.assert_allclose(N(layer(x)), np.tanh(x @ w + b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec,shape", [
    (S("ConvLSTM2D", 3, 3, padding="same", **RS), (2, 3, 6, 6, 2)),
    (S("ConvLSTM2D", 2, (2, 3), strides=(2, 1), **ST), (2, 3, 6, 5, 2)),
    (S("ConvLSTM2D", 2, (2, 3), data_format="channels_first", **RS), (2, 3, 2, 6, 5)),
    (S("ConvLSTM1D", 3, 2, dilation_rate=2, go_backwards=True, **RS), (2, 4, 7, 2)),
], ids=["2d_same_seq", "2d_strided_state", "2d_channels_first", "1d_dilated_back"])
def test_conv_lstm_matches_keras(backend, spec, shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype("float32")
    kl, ml = _build(keras, spec), _build(kshim, spec)
    ky = _list(kl(x))
    ml(x)
    ml.set_weights(kl.get_weights())
    for a, b in zip(ky, _list(ml(x))):
        np.testing.assert_allclose(N(b), np.asarray(a), rtol=1e-5, atol=1e-5)


def test_conv_lstm_channels_first_matches_channels_last(backend):
    x = np.random.default_rng(6).standard_normal((2, 3, 6, 5, 2)).astype("float32")
    last = ConvLSTM2D(2, (2, 3), strides=(2, 1), return_sequences=True, return_state=True)
    first = ConvLSTM2D(2, (2, 3), strides=(2, 1), data_format="channels_first", return_sequences=True,
                       return_state=True)
    yl = last(x)
    first(np.moveaxis(x, -1, 2))
    first.set_weights(last.get_weights())
    yf = first(np.moveaxis(x, -1, 2))
    np.testing.assert_allclose(N(yf[0]), np.moveaxis(N(yl[0]), -1, 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(N(yf[1]), np.moveaxis(N(yl[1]), -1, 1), rtol=1e-5, atol=1e-6)


def test_weights_layout_and_paths(backend):
    x = np.zeros((2, 3, 5), "float32")
    lstm, gru, gru_b = LSTM(4), GRU(4), GRU(4, reset_after=False)
    for layer in (lstm, gru, gru_b):
        layer(x)
    assert [w.shape for w in lstm.get_weights()] == [(5, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(lstm.get_weights()[2], np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert [w.shape for w in gru.get_weights()] == [(5, 12), (4, 12), (2, 12)]
    assert [w.shape for w in gru_b.get_weights()] == [(5, 12), (4, 12), (12,)]
    assert lstm.cell is lstm._layers[0] and len(lstm.non_trainable_variables) == 1
    bi = Bidirectional(LSTM(2, name="enc"))
    bi(x)
    assert [l.name for l in (bi.forward_layer, bi.backward_layer)] == ["forward_enc", "backward_enc"]
    assert len(bi.get_weights()) == 6 and bi.backward_layer.go_backwards


# ---- config ---------------------------------------------------------------------------------
CONFIG_CASES = {
    "lstm": S("LSTM", 3, dropout=0.1, recurrent_dropout=0.2, seed=4, unit_forget_bias=False, kernel_regularizer="l2"),
    "gru": S("GRU", 3, reset_after=False, return_sequences=True, go_backwards=True, activity_regularizer="l1"),
    "simple_rnn": S("SimpleRNN", 3, activation="relu", stateful=True, unroll=True),
    "lstm_cell": S("LSTMCell", 3, recurrent_activation="hard_sigmoid"),
    "gru_cell": S("GRUCell", 3, dropout=0.5),
    "simple_rnn_cell": S("SimpleRNNCell", 3, use_bias=False),
    "rnn_cell": S("RNN", S("LSTMCell", 3), return_state=True, zero_output_for_mask=True),
    "rnn_stacked": S("RNN", [S("LSTMCell", 3), S("GRUCell", 2)]),
    "bidi": S("Bidirectional", S("LSTM", 3, return_sequences=True), merge_mode="ave"),
    "bidi_backward": S("Bidirectional", S("GRU", 3), backward_layer=S("GRU", 3, go_backwards=True), merge_mode=None),
    "time_distributed": S("TimeDistributed", S("Dense", 3)),
    "conv_lstm2d": S("ConvLSTM2D", 3, (3, 2), padding="same", dilation_rate=2),
    "conv_lstm1d": S("ConvLSTM1D", 3, 2),
}


def _norm_names(c):
    """Auto-generated sub-layer names depend on how many layers each library has created."""
    if isinstance(c, dict):
        return {k: "<name>" if k == "name" else _norm_names(v) for k, v in c.items()}
    if isinstance(c, list):
        return [_norm_names(v) for v in c]
    return c


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_matches_keras(backend, case):
    spec = CONFIG_CASES[case]
    name_kw = {"name": "r"}
    kl = _build(keras, (spec[0], spec[1], {**spec[2], **name_kw}))
    ml = _build(kshim, (spec[0], spec[1], {**spec[2], **name_kw}))
    kc, mc = kl.get_config(), ml.get_config()
    sub = ({k: _norm_names(v) for k, v in _norm_cfg(kc).items()},
           {k: _norm_names(v) for k, v in _norm_cfg(mc).items()})
    assert sub[1] == sub[0], sub
    clone = type(ml).from_config(mc)
    assert clone.get_config() == mc


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_roundtrip_without_keras(backend, case):
    layer = _build(kshim, CONFIG_CASES[case])
    cfg = layer.get_config()
    assert type(layer).from_config(cfg).get_config() == cfg


def test_config_roundtrip_after_build(backend):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    for layer in (Bidirectional(GRU(3, return_sequences=True)), RNN([LSTMCell(2), GRUCell(3)]),
                  TimeDistributed(L.Dense(2))):
        y = layer(x)
        clone = type(layer).from_config(layer.get_config())
        clone(x)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(N(clone(x)), N(y), rtol=1e-6)


# ---- masks, symbolic use, stateful, dropout ------------------------------------------------
def test_masked_steps_carry_state_and_compute_mask(backend):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    m = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = LSTM(4, return_sequences=True, return_state=True)
    seq, h, c = layer(x, mask=m)
    short_seq, h3, c3 = layer(x[:, :3])
    # the same float32 steps over a longer/shorter sequence (the hoisted input matmul may block
    # differently): ~1e-9 absolute on values of a few 1e-3 -- hence atol 1e-7 next to rtol 1e-6
    np.testing.assert_allclose(N(h)[0], N(h3)[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(N(c)[0], N(c3)[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(N(seq)[0, 3:], np.repeat(N(h3)[0:1], 2, 0), rtol=1e-6, atol=1e-7)  # output carried
    assert layer.compute_mask(x, m)[0] is m and layer.compute_mask(x, m)[1:] == [None, None]
    assert LSTM(2).compute_mask(x, m) is None
    bi = Bidirectional(LSTM(4, return_sequences=True))
    y = N(bi(x, mask=m))
    assert np.all(y[0, 3:] == 0)  # Bidirectional forces zero_output_for_mask when returning sequences


def test_functional_embedding_mask_matches_keras(backend):
    rng = np.random.default_rng(2)
    tokens = rng.integers(1, 10, (4, 6))
    tokens[0, 4:] = 0
    tokens[2, 1:] = 0

    def model(mod):
        inp = mod.layers.Input((6,), dtype="int32")
        e = mod.layers.Embedding(10, 5, mask_zero=True)(inp)
        s = (mod.layers.Bidirectional if mod is keras else Bidirectional)(
            (mod.layers.GRU if mod is keras else GRU)(3, return_sequences=True))(e)
        o = (mod.layers.LSTM if mod is keras else LSTM)(4)(s)
        return mod.Model(inp, mod.layers.Dense(2)(o))
    km, mm = model(keras), model(kshim)
    mm.set_weights(km.get_weights())
    np.testing.assert_allclose(N(mm(tokens)), np.asarray(km(tokens)), rtol=1e-5, atol=1e-5)
    assert tuple(mm.output.shape) == (None, 2)


def test_symbolic_shapes(backend):
    inp = L.Input((7, 3))
    outs = LSTM(4, return_sequences=True, return_state=True)(inp)
    assert [tuple(o.shape) for o in outs] == [(None, 7, 4), (None, 4), (None, 4)]
    assert tuple(Bidirectional(GRU(2))(inp).shape) == (None, 4)
    assert tuple(TimeDistributed(L.Dense(5))(inp).shape) == (None, 7, 5)


def test_stateful_and_reset(backend):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    full = GRU(4)
    ref = N(full(x))
    st = GRU(4, stateful=True)
    st(x[:, :3])
    st.set_weights(full.get_weights())
    st.reset_states()
    st(x[:, :3])
    np.testing.assert_allclose(N(st(x[:, 3:])), ref, rtol=1e-5, atol=1e-6)
    assert len(st.weights) == 3 and len(st.states) == 1
    st.reset_states()
    np.testing.assert_array_equal(N(st.states[0].value), 0)
    with pytest.raises(ValueError, match="batch size"):
        st(x[:1])


def test_dropout_masks_fixed_and_portable():
    """Same seed -> identical training outputs on every backend; the input-dropout mask is shared
    across time steps (a constant input sequence gives a constant projected input)."""
    x = np.random.default_rng(4).standard_normal((3, 4, 5))
    outs = {}
    for name in ("numpy", "jax", "torch"):
        if name not in installed_backends():
            continue
        with kshim.backend.use(backends.get(name)):
            layer = LSTM(3, dropout=0.4, recurrent_dropout=0.3, seed=7, dtype="float64", return_sequences=True)
            layer(x)
            layer.set_weights([np.full(w.shape, 0.1) for w in layer.get_weights()])
            outs[name] = N(layer(x, training=True))
            assert not np.allclose(outs[name], N(layer(x, training=False)))
    first = next(iter(outs.values()))
    for v in outs.values():
        np.testing.assert_allclose(v, first, rtol=1e-12, atol=1e-14)


def test_standalone_cell_reuses_dropout_mask(backend):
    cell = SimpleRNNCell(4, dropout=0.5, seed=1, activation="linear")
    xc = np.ones((2, 6), "float32")
    cell.build((2, 6))
    h0 = [np.zeros((2, 4), "float32")]
    a, _ = cell(xc, h0, training=True)
    b, _ = cell(xc, h0, training=True)  # cached mask reused until reset
    np.testing.assert_array_equal(N(a), N(b))


# ---- gradients -------------------------------------------------------------------------------
def _grads_on(name, spec, x, call_kw, ws):
    b = backends.get(name)
    with kshim.backend.use(b):
        layer = _build(kshim, spec)
        layer(x, **call_kw)
        layer.set_weights(ws)
        ntv = [v.value for v in layer.non_trainable_variables]

        def loss(tv, xt):
            out, _ = layer.stateless_call(tv, ntv, xt, **call_kw)
            total = 0.0
            for i, o in enumerate(_list(out)):
                p = ops.convert_to_tensor(np.random.default_rng(i).standard_normal(tuple(ops.shape(o))))
                total = ops.add(total, ops.sum(ops.multiply(o, p)))
            return total
        tv = [v.value for v in layer.trainable_variables]
        val, grads = b.value_and_grad(loss, argnums=(0, 1))(tv, ops.convert_to_tensor(x))
        return float(N(val)), [N(g) for g in grads[0]] + [N(grads[1])]


GRAD_CASES = {
    "lstm_seq_mask": (S("LSTM", 3, dtype="float64", **RS), True),
    "lstm_state_back_unroll": (S("LSTM", 3, dtype="float64", go_backwards=True, unroll=True, **ST), False),
    "gru_after": (S("GRU", 3, dtype="float64", **RS), True),
    "gru_before": (S("GRU", 3, dtype="float64", reset_after=False, **ST), True),
    "simple_rnn": (S("SimpleRNN", 3, dtype="float64"), False),
    "bidi_lstm": (S("Bidirectional", S("LSTM", 2, dtype="float64", **RS), dtype="float64"), True),
    "stacked": (S("RNN", [S("LSTMCell", 2, dtype="float64"), S("GRUCell", 2, dtype="float64")],
                  dtype="float64", **RS), True),
    "time_distributed": (S("TimeDistributed", S("Dense", 2, dtype="float64"), dtype="float64"), False),
    "conv_lstm1d": (S("ConvLSTM1D", 2, 2, padding="same", dtype="float64", **RS), False),
}


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_gradients_agree_across_backends(case):
    spec, use_mask = GRAD_CASES[case]
    names = installed_backends()
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 5, 2) if case == "conv_lstm1d" else (3, 5, 4))
    kw = {"mask": _mask()} if use_mask else {}
    with kshim.backend.use(backends.get(names[0])):
        probe = _build(kshim, spec)
        probe(x, **kw)
        ws = [rng.standard_normal(w.shape) * 0.5 for w in probe.get_weights()]
    res = {n: _grads_on(n, spec, x, kw, ws) for n in names}
    v0, g0 = res[names[0]]
    for n in names[1:]:
        v, g = res[n]
        assert abs(v - v0) <= 1e-10 * abs(v0)
        for a, b in zip(g, g0):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * (np.abs(b).max() + 1e-300))
    assert any(np.abs(g).max() > 0 for g in g0)


def test_lstm_gradients_match_finite_differences():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 2))
    spec = S("LSTM", 2, dtype="float64", **RS)
    kw = {"mask": np.array([[1, 1, 0], [0, 1, 1]], bool)}
    with kshim.backend.use(backends.get("numpy")):
        layer = _build(kshim, spec)
        layer(x, **kw)
        ws = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
    _, grads = _grads_on("numpy", spec, x, kw, ws)
    with kshim.backend.use(backends.get("numpy")):
        layer.set_weights(ws)
        p = np.random.default_rng(0).standard_normal((2, 3, 2))

        def f(wlist, xx):
            layer.set_weights(wlist)
            return float(np.sum(N(layer(xx, **kw)) * p))
        h = 1e-6
        params = [w.copy() for w in ws] + [x.copy()]
        for k, arr in enumerate(params):
            num = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                for sgn in (1, -1):
                    pert = [q.copy() for q in params]
                    pert[k][idx] += sgn * h
                    num[idx] += sgn * f(pert[:-1], pert[-1]) / (2 * h)
            np.testing.assert_allclose(grads[k], num, rtol=1e-6, atol=1e-8)


# ---- training ----------------------------------------------------------------------------------
def _train(name, data, ws):
    with kshim.backend.use(backends.get(name)):
        kshim.utils.set_random_seed(0) if hasattr(kshim, "utils") and hasattr(kshim.utils, "set_random_seed") \
            else None
        inp = L.Input((8,), dtype="int32")
        e = L.Embedding(12, 4, mask_zero=True, dtype="float64")(inp)
        h = LSTM(5, dtype="float64")(e)
        out = L.Dense(1, activation="sigmoid", dtype="float64")(h)
        model = kshim.Model(inp, out)
        if ws is not None:
            model.set_weights(ws)
        model.compile(optimizer=kshim.optimizers.Adam(0.02), loss="binary_crossentropy")
        hist = model.fit(data[0], data[1], epochs=4, batch_size=8, shuffle=False, verbose=0)
        return hist.history["loss"], model.get_weights()


def test_sequence_classifier_trains_identically_on_all_backends():
    rng = np.random.default_rng(10)
    n, t = 40, 8
    lengths = rng.integers(2, t + 1, n)
    tokens = rng.integers(1, 12, (n, t))
    for i, ln in enumerate(lengths):
        tokens[i, ln:] = 0                        # right padding
    y = (np.array([np.sum(r[r > 0] > 6) for r in tokens]) * 2 > lengths).astype("float64")[:, None]
    names = installed_backends()
    with kshim.backend.use(backends.get(names[0])):
        _, ws = _train(names[0], (tokens[:1], y[:1]), None)
    ws = [np.random.default_rng(1).standard_normal(w.shape) * 0.3 for w in ws]
    old = kshim.config.floatx()
    kshim.config.set_floatx("float64")
    try:
        hists = {nm: _train(nm, (tokens, y), ws)[0] for nm in names}
    finally:
        kshim.config.set_floatx(old)
    ref = hists[names[0]]
    assert ref[-1] < ref[0]
    for nm in names[1:]:
        np.testing.assert_allclose(hists[nm], ref, rtol=1e-9)
