"""The fused attention path (backend hook ``dot_product_attention``; ``kshim.ops.dot_product_attention``
and ``MultiHeadAttention``).

The composite in ``kshim.ops.dot_product_attention`` defines the numbers (it is checked against a NumPy
float64 reference here, and MHA against real Keras in ``test_attention_layers.py``). The fused path is
compared with it on the same inputs, forward and gradients w.r.t. query, key, value and bias:

* float64: rtol 1e-12 / atol 1e-13 (torch's SDPA does the same arithmetic in another order: observed
  ~5e-16; JAX declines float64, so it is the composite itself there);
* float32: rtol 1e-5 / atol 1e-6 (observed ~4e-7 absolute on values and gradients of order 1);
* NumPy has no hook (composite only); configurations the kernels do not take run the composite (asserted
  by spying on the hook), and those they take run the fused one.

Cross-backend bit identity is not at stake: the float32 composite already differs between NumPy, JAX and
torch by ~3e-7 (their einsums sum in different orders), and JAX's fused float32 result is bitwise its
composite.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np
import pytest

from kshim import ops
from kshim.layers.attention import MultiHeadAttention

N = ops.convert_to_numpy
TOL = {"float64": dict(rtol=1e-12, atol=1e-13), "float32": dict(rtol=1e-5, atol=1e-6)}
B, T, S, NH, H = 2, 5, 7, 3, 4


@contextlib.contextmanager
def spy(backend):
    """Record the hook's calls as ``(declined,)`` entries; yields None where the backend has none."""
    orig = backend.dot_product_attention
    if orig is None:
        yield None
        return
    calls = []

    def wrapped(*a):
        out = orig(*a)
        calls.append(out is None)
        return out
    backend.dot_product_attention = wrapped
    try:
        yield calls
    finally:
        del backend.dot_product_attention


@contextlib.contextmanager
def composite_only(backend):
    backend.dot_product_attention = None
    try:
        yield
    finally:
        del backend.dot_product_attention


def _inputs(dtype, hv=H, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((B, T, NH, H)).astype(dtype)
    k = rng.standard_normal((B, S, NH, H)).astype(dtype)
    v = rng.standard_normal((B, S, NH, hv)).astype(dtype)
    mask = rng.random((B, 1, T, S)) > 0.4
    mask[:, :, :, 0] = True
    mask[1, 0, 2, :] = False          # a fully masked query row: it attends uniformly to every key
    bias = rng.standard_normal((1, NH, T, S)).astype(dtype)
    return q, k, v, mask, bias


CASES = {
    "plain": lambda m, bi: {},
    "mask": lambda m, bi: {"mask": m},
    "mask-2d": lambda m, bi: {"mask": m[1, 0]},
    "bias": lambda m, bi: {"bias": bi},
    "bias-mask": lambda m, bi: {"bias": bi, "mask": m},
    "causal": lambda m, bi: {"is_causal": True},
    "causal-mask": lambda m, bi: {"is_causal": True, "mask": m},
    "causal-bias": lambda m, bi: {"is_causal": True, "bias": bi},
    "scale": lambda m, bi: {"scale": 0.3, "mask": m},
}


def _reference(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    """NumPy float64 attention with kshim's masking rule (masked logits -> -1e9)."""
    q, k, v = (np.asarray(t, np.float64) for t in (q, k, v))
    sc = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    lg = np.einsum("btnh,bsnh->bnts", q, k) * sc
    if bias is not None:
        lg = lg + bias
    keep = np.ones(lg.shape, bool)
    if mask is not None:
        keep &= np.broadcast_to(mask, lg.shape)
    if is_causal:
        keep &= np.tril(np.ones((q.shape[1], k.shape[1]), bool))
    lg = np.where(keep, lg, -1e9)
    w = np.exp(lg - lg.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", w, v)


def _value_and_grads(backend, q, k, v, kw):
    with_bias = kw.get("bias") is not None

    def f(q, k, v, bias):
        kk = dict(kw, bias=bias) if with_bias else kw
        return ops.sum(ops.sin(ops.dot_product_attention(q, k, v, **kk)))
    args = [ops.convert_to_tensor(t) for t in (q, k, v)] + [ops.convert_to_tensor(kw["bias"]) if with_bias else None]
    argnums = (0, 1, 2, 3) if with_bias else (0, 1, 2)
    out = ops.convert_to_numpy(ops.dot_product_attention(*args[:3], **kw))
    val, grads = backend.value_and_grad(f, argnums=argnums)(*args)
    return out, float(N(val)), [N(g) for g in grads]


def test_hook_presence(backend):
    hook = backend.dot_product_attention
    if backend.name == "numpy":
        assert hook is None        # NumPy keeps the composite
    else:
        assert callable(hook)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_fused_equals_composite(backend, dtype, case):
    q, k, v, m, bi = _inputs(dtype)
    kw = CASES[case](m, bi)
    with spy(backend) as calls:
        fused = _value_and_grads(backend, q, k, v, kw)
    with composite_only(backend):
        comp = _value_and_grads(backend, q, k, v, kw)
    expect_fused = backend.name == "torch" or (backend.name == "jax" and dtype == "float32")
    if calls is None:
        assert backend.name == "numpy"
    else:
        assert calls and all(declined != expect_fused for declined in calls)
    tol = TOL[dtype]
    np.testing.assert_allclose(comp[0], _reference(q, k, v, **kw), **TOL["float32" if dtype == "float32" else
                                                                         "float64"])
    np.testing.assert_allclose(fused[0], comp[0], **tol)
    np.testing.assert_allclose(fused[1], comp[1], rtol=tol["rtol"])
    assert len(fused[2]) == len(comp[2])
    for a, c in zip(fused[2], comp[2]):
        assert np.abs(c).max() > 0
        np.testing.assert_allclose(a, c, **tol)


def test_fully_masked_row_is_uniform(backend):
    q, k, v, m, _ = _inputs("float64")
    out = N(ops.dot_product_attention(q, k, v, mask=m))
    np.testing.assert_allclose(out[1, 2], v[1].mean(0), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value_head_size_differs(backend, dtype):
    """JAX's kernel needs value's head size to be the key's: it declines; torch fuses."""
    q, k, v, m, _ = _inputs(dtype, hv=6)
    with spy(backend) as calls:
        out = N(ops.dot_product_attention(q, k, v, mask=m))
    if calls is not None:
        assert calls and calls[-1] == (backend.name == "jax")
    np.testing.assert_allclose(out, _reference(q, k, v, mask=m), **TOL[dtype])


def test_soft_cap_and_tensor_scale_take_the_composite(backend):
    q, k, v, m, _ = _inputs("float32")
    with spy(backend) as calls:
        ops.dot_product_attention(q, k, v, mask=m, attn_logits_soft_cap=5.0)
        ops.dot_product_attention(q, k, v, scale=ops.convert_to_tensor(np.float32(0.5)))
    assert not calls


def test_fused_under_jit(backend):
    """The fused kernel inside the backend's jit (torch: make_fx trace-and-replay) gives the eager result."""
    q, k, v, m, bi = _inputs("float32")
    eager = N(ops.dot_product_attention(q, k, v, bias=bi, mask=m))
    fn = backend.jit(lambda q, k, v, bi, m: ops.dot_product_attention(q, k, v, bias=bi, mask=m))
    args = [ops.convert_to_tensor(t) for t in (q, k, v, bi, m)]
    for _ in range(4):                 # torch traces after a few eager calls; the replay must agree
        out = N(fn(*args))
    np.testing.assert_allclose(out, eager, rtol=1e-6, atol=1e-7)
    assert not getattr(fn, "fallback_reasons", [])    # torch: the kernel traced, no eager fallback


# ---- MultiHeadAttention -----------------------------------------------------------------------------
def _mha(dtype="float32", **kw):
    rng = np.random.default_rng(3)
    q = rng.standard_normal((2, 4, 6)).astype(dtype)
    v = rng.standard_normal((2, 5, 6)).astype(dtype)
    layer = MultiHeadAttention(2, 3, dtype=dtype, **kw)
    layer(q, v)
    layer.set_weights([rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()])
    return layer, q, v


def test_mha_routes_through_the_hook(backend):
    layer, q, v = _mha()
    am = np.random.default_rng(0).random((2, 4, 5)) > 0.4
    am[1, 2, :] = False
    for kw in ({}, {"attention_mask": am}, {"use_causal_mask": True}, {"training": True}):
        with spy(backend) as calls:
            layer(q, v, **kw)
        if calls is not None:
            assert calls == [False], kw


def test_mha_dropout_training_and_scores_take_the_composite(backend):
    layer, q, v = _mha(dropout=0.3)
    with spy(backend) as calls:
        layer(q, v, training=True)
        layer(q, v)                    # Keras too: dropout > 0 always takes the einsum path
    assert not calls
    layer, q, v = _mha()
    with spy(backend) as calls:
        layer(q, v, return_attention_scores=True)
    assert not calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mha_fused_equals_composite_with_grads(backend, dtype):
    layer, q, v = _mha(dtype)
    am = np.random.default_rng(1).random((2, 4, 5)) > 0.4
    am[0, 1, :] = False
    tv = [w.value for w in layer.trainable_variables]

    def run():
        def f(tv, qq):
            out, _ = layer.stateless_call(tv, [], qq, v, attention_mask=am)
            return ops.sum(ops.sin(out))
        val, (gw, gq) = backend.value_and_grad(f, argnums=(0, 1))(tv, ops.convert_to_tensor(q))
        return float(N(val)), [N(g) for g in gw] + [N(gq)]
    fused = run()
    with composite_only(backend):
        comp = run()
    tol = TOL[dtype]
    np.testing.assert_allclose(fused[0], comp[0], rtol=tol["rtol"])
    for a, c in zip(fused[1], comp[1]):
        np.testing.assert_allclose(a, c, **tol)


def test_mha_fused_matches_keras(backend):
    """Same weights as real Keras (JAX backend, whose MHA takes jax.nn.dot_product_attention here), with a
    fully masked query row, through kshim's fused path."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(5)
    q = rng.standard_normal((2, 4, 8)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    am = rng.random((2, 4, 5)) > 0.4
    am[1, 3, :] = False
    kl = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, kernel_initializer="zeros")
    kl(q, v)
    ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in kl.get_weights()]
    kl.set_weights(ws)
    ml = MultiHeadAttention(num_heads=2, key_dim=3)
    ml(q, v)
    ml.set_weights(ws)
    with spy(backend) as calls:
        got = N(ml(q, v, attention_mask=am))
        got_causal = N(ml(q, v, use_causal_mask=True))
    if calls is not None:
        assert calls == [False, False]
    # float32, a few small einsums + softmax: ~1e-7 summation-order differences (test_attention_layers.py)
    np.testing.assert_allclose(got, np.asarray(kl(q, v, attention_mask=am)), rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(got_causal, np.asarray(kl(q, v, use_causal_mask=True)), rtol=2e-5, atol=2e-5)
