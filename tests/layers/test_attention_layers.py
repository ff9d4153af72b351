"""MultiHeadAttention, Attention and AdditiveAttention checked against real Keras 3 (JAX backend).

Procedure: build the Keras layer, give it random weights (biases included, so every path is
exercised), copy them into the kshim layer with ``set_weights(keras.get_weights())`` and compare
outputs and attention scores on the same inputs. Masks are checked both as call arguments and as
masks propagated from ``Embedding(mask_zero=True)`` through functional models. ``value_dim !=
key_dim`` (which Keras' JAX backend cannot run) is checked against a NumPy reference instead.

Tolerance: float32, rtol=atol=2e-5. The layer is a handful of small einsums (contractions of at
most 8 terms) plus a softmax; summation-order differences between backends are ~1e-7 relative,
while any structural error (wrong axis, mask, scale, bias) is off by >1e-2.
Gradients: float64 across backends with rtol 1e-10 (the same math in a different order gives
~1e-15 relative differences).
"""
from __future__ import annotations

import os

import h5py
import numpy as np
import optree
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers.attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: E402

from ._numpy_refs_b import (additive_attention_reference, dot_attention_reference,  # noqa: E402
                            mha_reference, weights_by_path)
from ._util import installed_backends  # noqa: E402
from .keras_oracle import _norm_cfg  # noqa: E402

RTOL = ATOL = 2e-5
CUSTOM = {"MultiHeadAttention": MultiHeadAttention, "Attention": Attention, "AdditiveAttention": AdditiveAttention}


def N(x):
    return ops.convert_to_numpy(x)


def _randomize(klayer, rng, scale=0.5):
    ws = [rng.standard_normal(w.shape).astype(w.dtype) * scale for w in klayer.get_weights()]
    klayer.set_weights(ws)
    return ws


def _close(a, b, rtol=RTOL, atol=ATOL):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


_KERAS_CACHE: dict = {}


def _keras_cached(key, fn):
    """Keras results are the same for every kshim backend: compute them once per test case (Keras'
    first call at a new shape costs seconds of XLA compilation)."""
    if key not in _KERAS_CACHE:
        _KERAS_CACHE[key] = fn()
    return _KERAS_CACHE[key]


def _mha_pair(kwargs, shapes, seed):
    """Keras and kshim MHA with identical random weights; ``shapes`` = (query, value[, key])."""
    def make():
        rng = np.random.default_rng(seed)
        # zeros initializers: the weights are overwritten, and Keras' random initializers compile slowly
        kl = keras.layers.MultiHeadAttention(**{"kernel_initializer": "zeros", **kwargs})
        xs = [rng.standard_normal(s).astype("float32") for s in shapes]
        kl(xs[0], xs[1], key=xs[2] if len(xs) > 2 else None)
        ws = _randomize(kl, rng)
        return kl, xs, ws
    kl, xs, ws = _keras_cached(("mha", repr(sorted(kwargs.items())), repr(shapes), seed), make)
    ml = MultiHeadAttention(**kwargs)
    ml(xs[0], xs[1], key=xs[2] if len(xs) > 2 else None)
    assert [w.shape for w in ml.get_weights()] == [w.shape for w in ws]
    ml.set_weights(ws)
    return kl, ml, list(xs)


def _both(kl, ml, xs, tag="", **call_kw):
    """Compare outputs with and without ``return_attention_scores``; ``tag`` names the call (and
    the inputs, where ``xs`` was changed) for the Keras cache."""
    key = xs[2] if len(xs) > 2 else None
    for scores in (False, True):
        ky = _keras_cached((id(kl), tag, scores), lambda: kl(xs[0], xs[1], key=key, return_attention_scores=scores,
                                                              **call_kw))
        y = ml(xs[0], xs[1], key=key, return_attention_scores=scores, **call_kw)
        if scores:
            _close(N(y[0]), ky[0])
            _close(N(y[1]), ky[1])
        else:
            _close(N(y), ky)


# ---- MultiHeadAttention vs Keras ------------------------------------------------------------------
Q, V, K = (2, 4, 8), (2, 5, 6), (2, 5, 7)  # shared shapes: Keras/JAX compile once per shape


def test_mha_self_attention(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=3, key_dim=4), [Q, Q], 0)
    xs[1] = xs[0]
    _both(kl, ml, xs, "self")
    names = [v.name for v in ml.weights]
    assert names == ["kernel", "bias"] * 4
    assert [l.name for l in ml.layers[:3]] == ["query", "key", "value"] and ml.output_dense.name == "attention_output"


def test_mha_cross_attention_with_distinct_key(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3), [Q, V, K], 1)
    _both(kl, ml, xs)


def test_mha_no_bias_and_dropout_inference(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3, use_bias=False, dropout=0.3), [Q, V], 2)
    assert len(ml.get_weights()) == 4
    _both(kl, ml, xs)  # dropout > 0 takes the einsum path; identity when not training


def test_mha_attention_mask(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3), [Q, V], 3)
    rng = np.random.default_rng(3)
    am = rng.random((2, 4, 5)) > 0.4
    am[:, :, 0] = True
    _both(kl, ml, xs, "am", attention_mask=am)
    # a fully masked query row: Keras' fused path (no scores) and einsum path (scores) differ there
    am[1, 2, :] = False
    _both(kl, ml, xs, "am-row", attention_mask=am)
    _both(kl, ml, xs, "am-2d", attention_mask=am[0])  # broadcast (T, S) mask


def test_mha_explicit_value_and_key_masks_and_ignored_query_mask(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3), [Q, V, K], 1)
    vm = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    km = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 0]], bool)
    qm = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], bool)
    _both(kl, ml, xs, "vm", value_mask=vm)
    _both(kl, ml, xs, "vm-km", value_mask=vm, key_mask=km)
    # Keras takes the query mask from the query tensor's own mask; an explicit one is ignored
    _both(kl, ml, xs, "qm-vm", query_mask=qm, value_mask=vm)
    _close(N(ml(xs[0], xs[1], key=xs[2], query_mask=qm)), N(ml(xs[0], xs[1], key=xs[2])))
    # ... but `call` itself (used by subclasses) honours it
    y = N(ml.call(xs[0], xs[1], key=xs[2], query_mask=qm, return_attention_scores=True)[1])
    assert (y[1, :, 1:] == 0).all() and (y[1, :, 0] != 0).any()


@pytest.mark.parametrize("cross", [False, True])
def test_mha_causal_mask(backend, cross):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3), [Q, V] if cross else [Q, Q], 5)
    if not cross:
        xs[1] = xs[0]
    tv = xs[1].shape[1]
    _both(kl, ml, xs, "causal", use_causal_mask=True)
    vm = np.ones((2, tv), bool)
    vm[0, -2:] = False
    _both(kl, ml, xs, "causal-vm", use_causal_mask=True, value_mask=vm)
    am = np.random.default_rng(5).random((2, 4, tv)) > 0.3
    am[:, :, 0] = True
    _both(kl, ml, xs, "causal-am", use_causal_mask=True, attention_mask=am)


@pytest.mark.parametrize("output_shape,expect", [(5, (2, 4, 5)), ((2, 3), (2, 4, 2, 3)), ([7], (2, 4, 7))])
def test_mha_output_shape(backend, output_shape, expect):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3, output_shape=output_shape), [Q, V], 6)
    _both(kl, ml, xs)
    assert tuple(N(ml(xs[0], xs[1])).shape) == expect
    assert ml.compute_output_shape(Q, V) == expect
    kcfg = dict(kl.get_config(), kernel_initializer=ml.get_config()["kernel_initializer"], name=ml.name)
    assert _norm_cfg(ml.get_config()) == _norm_cfg(kcfg)


@pytest.mark.parametrize("axes", [(1, 2), (2,), (-2,)])
def test_mha_attention_axes(backend, axes):
    shapes = [(2, 3, 4, 8), (2, 2, 5, 6)] if axes == (1, 2) else [(2, 3, 4, 8), (2, 3, 5, 6)]
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3, attention_axes=axes), shapes, 7)
    _both(kl, ml, xs)
    if axes == (1, 2):
        am = np.random.default_rng(7).random((2, 3, 4, 2, 5)) > 0.3
        am[..., 0, 0] = True
        _both(kl, ml, xs, "am", attention_mask=am)
    assert ml.get_config()["attention_axes"] == kl.get_config()["attention_axes"]


def test_mha_gate_and_sliding_window(backend):
    kl, ml, xs = _mha_pair(dict(num_heads=2, key_dim=3, use_gate=True, sliding_window=2), [Q, Q], 8)
    xs[1] = xs[0]
    assert len(ml.get_weights()) == 10
    _both(kl, ml, xs, "self")
    _both(kl, ml, xs, "self-causal", use_causal_mask=True)


def test_mha_functional_embedding_masks(backend):
    """Query/value masks propagated from Embedding(mask_zero=True) in a functional model, the
    output's query mask consumed by GlobalAveragePooling1D, and the scores as a second output."""
    def build(lib, mha_cls):
        qi = lib.Input((5,), dtype="int32")
        vi = lib.Input((6,), dtype="int32")
        qe = lib.layers.Embedding(10, 8, mask_zero=True)(qi)
        ve = lib.layers.Embedding(10, 8, mask_zero=True)(vi)
        y, s = mha_cls(num_heads=2, key_dim=4)(qe, ve, return_attention_scores=True)
        # the output carries the query mask on into the next layer (self-attention on y: Keras drops a
        # tensor's mask once an MHA consumed it, so `ve` is not reused here; see the test below)
        y2 = mha_cls(num_heads=2, key_dim=4)(y, y)
        pooled = lib.layers.GlobalAveragePooling1D()(y2)
        return lib.Model([qi, vi], [pooled, y2, s])
    qt = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]], "int32")
    vt = np.array([[5, 6, 7, 0, 0, 0], [8, 0, 0, 0, 0, 0]], "int32")

    def keras_side():
        km = build(keras, keras.layers.MultiHeadAttention)
        rng = np.random.default_rng(9)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in km.get_weights()]
        km.set_weights(ws)
        return ws, [np.asarray(t) for t in km([qt, vt])]
    ws, ky = _keras_cached("mha-functional", keras_side)
    m = build(kshim, MultiHeadAttention)
    m.set_weights(ws)
    y = m([qt, vt])
    for a, b in zip(y, ky):
        _close(N(a), b)
    # the masks really act: with the padding tokens replaced by real ones the output differs
    assert np.abs(N(m([qt + 1, vt + 1])[0]) - N(y[0])).max() > 1e-3


def test_mha_shared_value_keeps_its_mask_for_every_consumer(backend):
    """Deliberate deviation: Keras' MHA erases the masks of its input tensors (``set_keras_mask(value,
    None)``), so a second layer consuming the same tensor no longer sees its mask. kshim gives every
    consumer the mask of its inputs."""
    qi, vi = L.Input((5,), dtype="int32"), L.Input((6,), dtype="int32")
    qe = L.Embedding(10, 8, mask_zero=True)(qi)
    ve = L.Embedding(10, 8, mask_zero=True)(vi)
    first, second = MultiHeadAttention(2, 4), MultiHeadAttention(2, 4)
    y = first(qe, ve)
    y2 = second(y, ve)
    m = kshim.Model([qi, vi], [y, y2, ve])
    qt = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]], "int32")
    vt = np.array([[5, 6, 7, 0, 0, 0], [9, 0, 0, 0, 0, 0]], "int32")
    yv, y2v, vev = m([qt, vt])
    expect = second.call(yv, vev, query_mask=qt != 0, value_mask=vt != 0)
    _close(N(y2v), N(expect), rtol=1e-6, atol=1e-6)


def test_mha_symbolic_shapes(backend):
    layer = MultiHeadAttention(2, 3, output_shape=(4,))
    q = L.Input((None, 8))
    v = L.Input((7, 6))
    y, s = layer(q, v, return_attention_scores=True)
    assert tuple(y.shape) == (None, None, 4)
    assert tuple(s.shape) == (None, 2, None, 7)
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": [None, None, 8],
                                                        "value_shape": [None, 7, 6]}}


def _np_reference(ws, q, v, k, heads, key_dim, value_dim, mask=None):
    qk, qb, kk, kb, vk, vb, ok, ob = ws
    Q = np.einsum("btd,dnh->btnh", q, qk) + qb
    K = np.einsum("bsd,dnh->bsnh", k, kk) + kb
    V = np.einsum("bsd,dnh->bsnh", v, vk) + vb
    logits = np.einsum("btnh,bsnh->bnts", Q / np.sqrt(key_dim), K)
    if mask is not None:
        logits = np.where(mask[:, None], logits, -1e9)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = np.einsum("bnts,bsnh->btnh", w, V)
    return np.einsum("btnh,nhd->btd", out, ok) + ob, w


def test_mha_value_dim_differs_numpy_reference(backend):
    rng = np.random.default_rng(10)
    heads, kd, vd = 3, 2, 5
    q = rng.standard_normal((2, 4, 6))
    v = rng.standard_normal((2, 5, 7))
    k = rng.standard_normal((2, 5, 3))
    layer = MultiHeadAttention(heads, kd, value_dim=vd, dtype="float64")
    layer(q, v, key=k)
    shapes = [w.shape for w in layer.get_weights()]
    assert shapes == [(6, 3, 2), (3, 2), (3, 3, 2), (3, 2), (7, 3, 5), (3, 5), (3, 5, 6), (6,)]
    ws = [rng.standard_normal(s) for s in shapes]
    layer.set_weights(ws)
    am = rng.random((2, 4, 5)) > 0.3
    am[..., 0] = True
    ref, ref_w = _np_reference(ws, q, v, k, heads, kd, vd, am)
    np.testing.assert_allclose(N(layer(q, v, key=k, attention_mask=am)), ref, rtol=1e-12, atol=1e-12)
    y, s = layer(q, v, key=k, attention_mask=am, return_attention_scores=True)
    np.testing.assert_allclose(N(y), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(N(s), ref_w, rtol=1e-12, atol=1e-12)
    assert layer.get_config()["value_dim"] == vd


# ---- MultiHeadAttention vs an independent NumPy reference (no Keras needed) ----------------------------
# float64 layers: the reference does the same einsums and softmax in float64 in another order, so
# the two agree to ~1e-15 relative; rtol=atol=1e-12 leaves headroom while any wrong axis, mask or
# scale is off by >1e-2.
MHA_NP_CASES = {
    "self": (dict(num_heads=3, key_dim=4), [Q, Q], {}),
    "cross_key": (dict(num_heads=2, key_dim=3), [Q, V, K], {}),
    "no_bias": (dict(num_heads=2, key_dim=3, use_bias=False), [Q, V], {}),
    "attention_mask": (dict(num_heads=2, key_dim=3), [Q, V], {"attention_mask": True}),
    "causal_value_mask": (dict(num_heads=2, key_dim=3), [Q, V], {"use_causal_mask": True, "value_mask": True}),
    "key_mask": (dict(num_heads=2, key_dim=3), [Q, V, K], {"value_mask": True, "key_mask": True}),
    "gate_window": (dict(num_heads=2, key_dim=3, use_gate=True, sliding_window=2), [Q, Q], {}),
    "gate_window_causal": (dict(num_heads=2, key_dim=3, use_gate=True, sliding_window=2), [Q, Q],
                           {"use_causal_mask": True}),
}


@pytest.mark.parametrize("case", list(MHA_NP_CASES))
def test_mha_matches_numpy_reference(backend, case):
    kwargs, shapes, spec = MHA_NP_CASES[case]
    rng = np.random.default_rng(20 + len(case))
    xs = [rng.standard_normal(s) for s in shapes]
    if shapes[1] is shapes[0]:
        xs[1] = xs[0]  # self-attention
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else None
    t, s_len = q.shape[1], v.shape[1]
    layer = MultiHeadAttention(**kwargs, dtype="float64")
    layer(q, v, key=k)
    layer.set_weights([rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()])
    w = weights_by_path(layer)
    call_kw, mask = {}, np.ones((2, t, s_len), bool)
    if spec.get("attention_mask"):
        am = rng.random((2, t, s_len)) > 0.4
        am[..., 0] = True
        call_kw["attention_mask"] = am
        mask &= am
    if spec.get("value_mask"):
        vm = np.ones((2, s_len), bool)
        vm[0, -2:] = False
        vm[1, 1] = False
        call_kw["value_mask"] = vm
        mask &= vm[:, None, :]
    if spec.get("key_mask"):
        km = np.ones((2, s_len), bool)
        km[1, -1] = False
        call_kw["key_mask"] = km
        mask &= km[:, None, :]
    causal = spec.get("use_causal_mask", False)
    if causal:
        call_kw["use_causal_mask"] = True
    ref, ref_scores = mha_reference(w, q, v, k, kwargs["key_dim"], mask=mask, use_causal_mask=causal,
                                    sliding_window=kwargs.get("sliding_window"), use_gate=kwargs.get("use_gate", False))
    tol = dict(rtol=1e-12, atol=1e-12)
    # without scores (the fused path where a backend has one) and with them (the einsum path)
    np.testing.assert_allclose(N(layer(q, v, key=k, **call_kw)), ref, **tol)
    y, scores = layer(q, v, key=k, return_attention_scores=True, **call_kw)
    np.testing.assert_allclose(N(y), ref, **tol)
    np.testing.assert_allclose(N(scores), ref_scores, **tol)
    cfg = layer.get_config()
    assert MultiHeadAttention.from_config(cfg).get_config() == cfg


def test_mha_float32_matches_numpy_reference_and_dropout(backend):
    """Default float32 policy: a float64 reference on the float32 weights/inputs agrees to float32
    rounding of <= 8-term sums and a softmax (~1e-7 relative; 2e-5 as for the Keras comparison).
    Dropout is the identity when not training and changes the output when training."""
    rng = np.random.default_rng(30)
    q, v = rng.standard_normal(Q).astype("float32"), rng.standard_normal(V).astype("float32")
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=3)
    layer(q, v)
    layer.set_weights([(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in layer.get_weights()])
    ref, _ = mha_reference(weights_by_path(layer), q.astype("float64"), v.astype("float64"), None, 3)
    y = N(layer(q, v))
    assert y.dtype == np.float32
    _close(y, ref)
    assert np.abs(N(layer(q, v, training=True)) - y).max() > 1e-3


def test_mha_call_query_mask_matches_numpy_reference_on_kept_rows(backend):
    """``call(query_mask=..., value_mask=...)``: the query rows the mask keeps equal the reference
    with the value mask alone (masked rows are left to the fully-masked-row convention)."""
    rng = np.random.default_rng(31)
    q, v = rng.standard_normal(Q), rng.standard_normal(V)
    layer = MultiHeadAttention(2, 3, dtype="float64")
    layer(q, v)
    w = weights_by_path(layer)
    qm = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], bool)
    vm = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    y, s = layer.call(q, v, query_mask=qm, value_mask=vm, return_attention_scores=True)
    ref, ref_s = mha_reference(w, q, v, None, 3, mask=vm[:, None, :])
    keep = qm[:, :, None]
    np.testing.assert_allclose(N(y)[np.broadcast_to(keep, ref.shape)], ref[np.broadcast_to(keep, ref.shape)],
                               rtol=1e-12, atol=1e-12)
    sk = np.broadcast_to(keep[:, None], ref_s.shape)
    np.testing.assert_allclose(N(s)[sk], ref_s[sk], rtol=1e-12, atol=1e-12)


# ---- gradients across backends --------------------------------------------------------------------
def _grads_on(name, layer_fn, inputs, call_kw, ws):
    from kshim import backends
    b = backends.get(name)
    with kshim.backend.use(b):
        layer = layer_fn()
        layer(*inputs, **call_kw)
        layer.set_weights(ws)
        ntv = [v.value for v in layer.non_trainable_variables]
        rng = np.random.default_rng(99)
        probe = None

        def loss(tv, *xs):
            nonlocal probe
            out, _ = layer.stateless_call(tv, ntv, *xs, **call_kw)
            out = out[0] if isinstance(out, tuple) else out
            if probe is None:
                probe = ops.convert_to_tensor(rng.standard_normal(tuple(ops.shape(out))))
            return ops.sum(ops.multiply(out, probe))
        tv = [v.value for v in layer.trainable_variables]
        xs = [[ops.convert_to_tensor(e) for e in x] if isinstance(x, list) else ops.convert_to_tensor(x)
              for x in inputs]
        val, grads = b.value_and_grad(loss, argnums=tuple(range(1 + len(xs))))(tv, *xs)
        flat = [N(g) for g in optree.tree_leaves(list(grads), namespace="kshim")]
        return float(N(val)), flat


@pytest.mark.parametrize("case", ["mha_fused", "mha_scores_causal", "mha_axes", "attention_concat", "additive"])
def test_gradients_agree_across_backends(case):
    names = installed_backends()
    rng = np.random.default_rng(11)
    am = rng.random((2, 4, 5)) > 0.3
    am[..., 0] = True
    if case == "mha_fused":
        fn = lambda: MultiHeadAttention(2, 3, value_dim=4, dtype="float64")  # noqa: E731
        inputs = [rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 7))]
        kw = {"attention_mask": am}
    elif case == "mha_scores_causal":
        fn = lambda: MultiHeadAttention(2, 3, use_gate=True, dtype="float64")  # noqa: E731
        inputs = [rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6))]
        kw = {"return_attention_scores": True, "use_causal_mask": True, "value_mask": am[:, 0]}
    elif case == "mha_axes":
        fn = lambda: MultiHeadAttention(2, 3, attention_axes=(1, 2), output_shape=3, dtype="float64")  # noqa: E731
        inputs = [rng.standard_normal((2, 3, 4, 6)), rng.standard_normal((2, 3, 4, 5))]
        axes_mask = rng.random((2, 3, 4, 3, 4)) > 0.3
        axes_mask[..., 0, 0] = True
        kw = {"attention_mask": axes_mask}
    elif case == "attention_concat":
        fn = lambda: Attention(use_scale=True, score_mode="concat", dtype="float64")  # noqa: E731
        inputs = [rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6))]
        kw = {"mask": [am[:, :, 0], am[:, 0, :]], "use_causal_mask": True}
    else:
        fn = lambda: AdditiveAttention(dtype="float64")  # noqa: E731
        inputs = [rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6)), rng.standard_normal((2, 5, 6))]
        kw = {"mask": [None, am[:, 0, :]]}
    if case.startswith("attention") or case == "additive":
        inputs = [inputs]
    from kshim import backends as B
    with kshim.backend.use(B.get(names[0])):
        probe = fn()
        probe(*inputs, **kw)
        ws = [rng.standard_normal(w.shape) * 0.7 for w in probe.get_weights()]
    results = {n: _grads_on(n, fn, inputs, kw, ws) for n in names}
    ref_val, ref_grads = results[names[0]]
    for n in names[1:]:
        val, grads = results[n]
        np.testing.assert_allclose(val, ref_val, rtol=1e-10)
        assert len(grads) == len(ref_grads)
        for g, rg in zip(grads, ref_grads):
            np.testing.assert_allclose(g, rg, rtol=1e-10, atol=1e-12)
    n_inputs = len(optree.tree_leaves(inputs))
    assert len(ref_grads) == len(ws) + n_inputs
    assert all(np.abs(g).max() > 0 for g in ref_grads)


def test_mha_dropout_training_same_seed_same_result_across_backends():
    from kshim import backends
    names = installed_backends()
    rng = np.random.default_rng(12)
    q, v = rng.standard_normal((2, 4, 6)).astype("float32"), rng.standard_normal((2, 5, 6)).astype("float32")
    outs, ws = [], None
    for n in names:
        with kshim.backend.use(backends.get(n)):
            layer = MultiHeadAttention(2, 3, dropout=0.5, seed=7)
            layer(q, v)
            if ws is None:
                ws = layer.get_weights()
            layer.set_weights(ws)
            train = N(layer(q, v, training=True))
            infer = N(layer(q, v))
            assert np.abs(train - infer).max() > 1e-3
            outs.append(train)
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], rtol=1e-5, atol=1e-6)


# ---- config, saving ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(num_heads=2, key_dim=3),
    dict(num_heads=4, key_dim=2, value_dim=5, dropout=0.1, use_bias=False, output_shape=(6,), attention_axes=[1],
         kernel_initializer="he_normal", bias_initializer="ones", kernel_regularizer="l2", seed=3),
    dict(num_heads=1, key_dim=8, attention_axes=1, use_gate=True, sliding_window=3,
         bias_constraint="non_neg", activity_regularizer="l1"),
    dict(num_heads=2, key_dim=2, attention_axes=(-3, 2)),
])
def test_mha_config_matches_keras(backend, kwargs):
    kl = keras.layers.MultiHeadAttention(**kwargs, name="mha")
    ml = MultiHeadAttention(**kwargs, name="mha")
    assert _norm_cfg(ml.get_config()) == _norm_cfg(kl.get_config())
    rank = 4 if kwargs.get("attention_axes") == (-3, 2) else 3
    shp = (2, 3, 4, 5)[:rank - 1] + (8,)
    kl(np.zeros(shp, "float32"), np.zeros(shp, "float32"))
    ml(np.zeros(shp, "float32"), np.zeros(shp, "float32"))
    assert _norm_cfg(ml.get_config()) == _norm_cfg(kl.get_config())
    clone = MultiHeadAttention.from_config(ml.get_config())
    assert clone.get_config() == ml.get_config()
    kclone = keras.layers.MultiHeadAttention.from_config(ml.get_config())
    assert _norm_cfg(kclone.get_config()) == _norm_cfg(ml.get_config())


def test_mha_invalid_arguments(backend):
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 2, attention_axes="x")
    with pytest.raises(ValueError, match="value` and `key"):
        MultiHeadAttention(2, 2)(np.zeros((1, 3, 4)), np.zeros((1, 5, 4)), key=np.zeros((1, 6, 4)))


def _model(lib, cls):
    q = lib.Input((5, 8))
    v = lib.Input((6, 4))
    y = cls(num_heads=2, key_dim=3, value_dim=3, name="mha")(q, v, use_causal_mask=True)
    y = lib.layers.Dense(3)(y)
    return lib.Model([q, v], y)


def _h5_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o.shape) if isinstance(o, h5py.Dataset) else None)
    return out


def test_mha_save_load_roundtrip_and_keras_h5_layout(backend, tmp_path):
    def keras_side():
        rng = np.random.default_rng(13)
        km = _model(keras, keras.layers.MultiHeadAttention)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in km.get_weights()]
        km.set_weights(ws)
        x = [rng.standard_normal((2, 5, 8)).astype("float32"), rng.standard_normal((2, 6, 4)).astype("float32")]
        return km, ws, x, np.asarray(km(x))
    km, ws, x, ky = _keras_cached("mha-save", keras_side)
    m = _model(kshim, MultiHeadAttention)
    m.set_weights(ws)
    y = N(m(x))
    _close(y, ky)

    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = kshim.models.load_model(path, custom_objects=CUSTOM)
    np.testing.assert_array_equal(N(loaded(x)), y)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in ws]

    # the h5 layout equals Keras' (same group paths and shapes)
    kpath, mpath = str(tmp_path / "k.weights.h5"), str(tmp_path / "m.weights.h5")
    km.save_weights(kpath)
    m.save_weights(mpath)
    assert _h5_datasets(mpath) == _h5_datasets(kpath)
    with h5py.File(kpath, "r") as f:
        kgroups = set()
        f.visit(kgroups.add)
    with h5py.File(mpath, "r") as f:
        mgroups = set()
        f.visit(mgroups.add)
    assert {g for g in mgroups if "multi_head_attention" in g} == {g for g in kgroups if "multi_head_attention" in g}

    # Keras' weights file loads into kshim, and Keras loads kshim's .keras file
    fresh = _model(kshim, MultiHeadAttention)
    fresh.load_weights(kpath)
    _close(N(fresh(x)), y, rtol=1e-6, atol=1e-6)
    kloaded = keras.models.load_model(path)
    _close(kloaded(x), y)


def test_mha_standalone_layer_build_config_roundtrip(backend):
    from kshim.saving.serialization import deserialize_keras_object, serialize_keras_object
    layer = MultiHeadAttention(2, 3, name="solo")
    layer(np.zeros((1, 4, 6), "float32"), np.zeros((1, 5, 7), "float32"), key=np.zeros((1, 5, 2), "float32"))
    cfg = serialize_keras_object(layer)
    assert cfg["build_config"] == {"shapes_dict": {"query_shape": [1, 4, 6], "value_shape": [1, 5, 7],
                                                   "key_shape": [1, 5, 2]}}
    clone = deserialize_keras_object(cfg, custom_objects=CUSTOM)
    assert clone.built and [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]


def test_mha_model_trains(backend):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((32, 6, 4)).astype("float32")
    y = x.mean(axis=1)[:, :2]
    inp = L.Input((6, 4))
    h = MultiHeadAttention(2, 4)(inp, inp)
    out = L.Dense(2)(L.GlobalAveragePooling1D()(h))
    model = kshim.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    losses = hist.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


# ---- Attention / AdditiveAttention --------------------------------------------------------------------
def _att_pair(cls_name, kwargs, shapes, seed):
    def make():
        rng = np.random.default_rng(seed)
        kl = getattr(keras.layers, cls_name)(**kwargs)
        xs = [rng.standard_normal(s).astype("float32") for s in shapes]
        kl(xs)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 + (1.0 if w.ndim == 0 else 0.0)
              for w in kl.get_weights()]
        kl.set_weights(ws)
        return kl, xs, ws
    kl, xs, ws = _keras_cached(("att", cls_name, repr(sorted(kwargs.items())), repr(shapes), seed), make)
    ml = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[cls_name](**kwargs)
    ml(xs)
    assert [w.shape for w in ml.get_weights()] == [w.shape for w in ws]
    ml.set_weights(ws)
    return kl, ml, xs


@pytest.mark.parametrize("cls_name,kwargs", [
    ("Attention", {}), ("Attention", {"use_scale": True}), ("Attention", {"score_mode": "concat"}),
    ("Attention", {"score_mode": "concat", "use_scale": True, "dropout": 0.2}),
    ("AdditiveAttention", {}), ("AdditiveAttention", {"use_scale": False}),
])
@pytest.mark.parametrize("with_key", [False, True])
def test_attention_layers_match_keras(backend, cls_name, kwargs, with_key):
    shapes = [(2, 4, 6), (2, 5, 6)] + ([(2, 5, 6)] if with_key else [])
    kl, ml, xs = _att_pair(cls_name, kwargs, shapes, 15)
    qm = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool)
    vm = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    for mi, mask in enumerate((None, [None, vm], [qm, None], [qm, vm])):
        for causal in (False, True):
            call_kw = dict(mask=mask, use_causal_mask=causal)
            ky, ks = _keras_cached((id(kl), mi, causal), lambda: [
                np.asarray(t) for t in kl(xs, return_attention_scores=True, **call_kw)])
            _close(N(ml(xs, **call_kw)), ky)
            y, s = ml(xs, return_attention_scores=True, **call_kw)
            _close(N(y), ky)
            _close(N(s), ks)
    m = ml.compute_mask(xs, [qm, vm])
    np.testing.assert_array_equal(N(m), qm)
    assert ml.compute_mask(xs, None) is None
    assert _norm_cfg(ml.get_config()) == _norm_cfg(dict(kl.get_config(), name=ml.name))
    clone = type(ml).from_config(ml.get_config())
    assert clone.get_config() == ml.get_config()


ATT_NP_CASES = [("Attention", {}), ("Attention", {"use_scale": True}), ("Attention", {"score_mode": "concat"}),
                ("Attention", {"score_mode": "concat", "use_scale": True, "dropout": 0.2}),
                ("AdditiveAttention", {}), ("AdditiveAttention", {"use_scale": False})]


@pytest.mark.parametrize("cls_name,kwargs", ATT_NP_CASES)
@pytest.mark.parametrize("with_key", [False, True])
def test_attention_layers_match_numpy_reference(backend, cls_name, kwargs, with_key):
    """Attention/AdditiveAttention in float64 against the Luong/Bahdanau score formulas by hand, with
    every mask combination and the causal mask (rtol=atol=1e-12: the same float64 ops, ~1e-15
    relative apart)."""
    rng = np.random.default_rng(40)
    xs = [rng.standard_normal(s) for s in [(2, 4, 6), (2, 5, 6)] + ([(2, 5, 6)] if with_key else [])]
    cls = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[cls_name]
    layer = cls(**kwargs, dtype="float64")
    layer(xs)
    ws = [rng.standard_normal(w.shape) * 0.5 + (1.0 if w.ndim == 0 else 0.0) for w in layer.get_weights()]
    layer.set_weights(ws)
    key = xs[2] if with_key else None
    qm = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool)
    vm = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    for mask in (None, [None, vm], [qm, None], [qm, vm]):
        for causal in (False, True):
            qmask, vmask = (None, None) if mask is None else mask
            if cls_name == "Attention":
                scale = ws[0] if kwargs.get("use_scale") else 1.0
                csw = ws[-1] if kwargs.get("score_mode") == "concat" else 1.0
                ref, ref_s = dot_attention_reference(xs[0], xs[1], key, scale=scale,
                                                     score_mode=kwargs.get("score_mode", "dot"),
                                                     concat_score_weight=csw, query_mask=qmask, value_mask=vmask,
                                                     use_causal_mask=causal)
            else:
                ref, ref_s = additive_attention_reference(xs[0], xs[1], key, scale=ws[0] if ws else None,
                                                          query_mask=qmask, value_mask=vmask, use_causal_mask=causal)
            y, s = layer(xs, mask=mask, use_causal_mask=causal, return_attention_scores=True)
            np.testing.assert_allclose(N(y), ref, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(N(s), ref_s, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(N(layer(xs, mask=mask, use_causal_mask=causal)), ref, rtol=1e-12,
                                       atol=1e-12)
    cfg = layer.get_config()
    assert type(layer).from_config(cfg).get_config() == cfg


def test_attention_fully_masked_rows_float64(backend):
    """Keras lowers masked scores by 1e9 (not replacing them): in float64 a fully masked row keeps
    the softmax of its raw scores."""
    rng = np.random.default_rng(16)
    q, v = rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 3, 3))
    layer = Attention(dtype="float64")
    _, s = layer([q, v], mask=[None, np.zeros((1, 3), bool)], return_attention_scores=True)
    raw = q @ v.transpose(0, 2, 1)
    ref = np.exp(raw - raw.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(N(s), ref, rtol=1e-6)


@pytest.mark.parametrize("cls_name", ["Attention", "AdditiveAttention"])
def test_attention_functional_embedding_masks(backend, cls_name):
    def build(lib, cls):
        qi = lib.Input((4,), dtype="int32")
        vi = lib.Input((5,), dtype="int32")
        qe = lib.layers.Embedding(10, 6, mask_zero=True)(qi)
        ve = lib.layers.Embedding(10, 6, mask_zero=True)(vi)
        a = cls()([qe, ve])
        pooled = lib.layers.GlobalAveragePooling1D()(a)  # consumes the query mask Attention passes on
        return lib.Model([qi, vi], [a, pooled])
    qt = np.array([[3, 4, 0, 0], [1, 2, 3, 4]], "int32")
    vt = np.array([[5, 6, 7, 0, 0], [9, 0, 0, 0, 0]], "int32")

    def keras_side():
        km = build(keras, getattr(keras.layers, cls_name))
        rng = np.random.default_rng(17)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in km.get_weights()]
        km.set_weights(ws)
        return ws, [np.asarray(t) for t in km([qt, vt])]
    ws, ky = _keras_cached(("att-functional", cls_name), keras_side)
    m = build(kshim, {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[cls_name])
    m.set_weights(ws)
    for a, b in zip(m([qt, vt]), ky):
        _close(N(a), b)


def test_attention_input_validation(backend):
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(ValueError, match="length 2 or 3"):
        Attention()([np.zeros((1, 2, 3), "float32")])
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="bad")
    with pytest.raises(ValueError, match="mask must be a list"):
        Attention()([np.zeros((1, 2, 3), "float32")] * 2, mask=np.ones((1, 2), bool))


def test_attention_symbolic_shapes(backend):
    q, v = L.Input((None, 6)), L.Input((5, 6))
    out, scores = Attention()([q, v], return_attention_scores=True)
    assert tuple(out.shape) == (None, None, 6) and tuple(scores.shape) == (None, None, 5)
    assert AdditiveAttention().compute_output_shape([(2, 3, 6), (2, 5, 4)]) == (2, 3, 4)
