"""``Masking`` checked against real Keras 3 (JAX backend), alone and as the mask source for
mask-consuming layers in Sequential and functional models.

Tolerance: float32 rtol=atol=1e-5 (Masking itself is exact; pooling/attention downstream differ
between backends by summation order only, ~1e-7).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers.attention import Attention, MultiHeadAttention  # noqa: E402
from kshim.layers.masking import Masking  # noqa: E402

RTOL = ATOL = 1e-5
_KERAS_CACHE: dict = {}


def N(x):
    return ops.convert_to_numpy(x)


def _keras_cached(key, fn):
    if key not in _KERAS_CACHE:
        _KERAS_CACHE[key] = fn()
    return _KERAS_CACHE[key]


def _padded(shape=(3, 6, 4), mask_value=0.0, seed=0):
    """Random sequences with masked timesteps (all features == mask_value) and one timestep where
    only some features equal mask_value (must stay unmasked)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype("float32")
    x[0, 4:] = mask_value
    x[1, 1] = mask_value
    x[2, -1] = mask_value
    x[2, 2, :2] = mask_value  # partial: kept
    return x


@pytest.mark.parametrize("mask_value", [0.0, 1.5])
def test_masking_output_and_mask_match_keras(backend, mask_value):
    x = _padded(mask_value=mask_value)
    kl = keras.layers.Masking(mask_value=mask_value)
    ky, kmask = np.asarray(kl(x)), np.asarray(kl.compute_mask(x))
    layer = Masking(mask_value=mask_value)
    y, mask = N(layer(x)), N(layer.compute_mask(x))
    np.testing.assert_array_equal(y, ky)
    np.testing.assert_array_equal(mask, kmask)
    assert mask.dtype == np.bool_ and mask.shape == (3, 6)
    assert not mask[0, 4:].any() and mask[2, 2] and not mask[1, 1]
    assert (y[0, 4:] == 0).all()


def _masking_reference(x, mask_value):
    """A timestep is masked when every feature on the last axis equals ``mask_value``; the output is
    ``x`` with the masked timesteps zeroed."""
    mask = np.any(x != mask_value, axis=-1)
    return x * mask[..., None], mask


@pytest.mark.parametrize("mask_value", [0.0, 1.5])
@pytest.mark.parametrize("shape", [(3, 6, 4), (3, 6, 4, 5)])
def test_masking_matches_numpy_reference(backend, mask_value, shape):
    """Masking without Keras: output and mask by the definition (exact: no arithmetic but zeroing)."""
    x = _padded(shape=shape, mask_value=mask_value)
    layer = Masking(mask_value=mask_value)
    want, want_mask = _masking_reference(x, mask_value)
    np.testing.assert_array_equal(N(layer(x)), want)
    mask = N(layer.compute_mask(x))
    assert mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, want_mask)
    if len(shape) == 3:  # the partly-padded timestep stays unmasked
        assert not want_mask[0, 4:].any() and want_mask[2, 2] and not want_mask[1, 1]
    cfg = layer.get_config()
    assert cfg["mask_value"] == mask_value and Masking.from_config(cfg).get_config() == cfg


def test_masking_sequential_numpy_reference(backend):
    """Masking -> Dense(tanh) -> GlobalAveragePooling1D: the pooled mean runs over the unmasked
    timesteps only (float32 Dense of 4 products and a mean of <= 6 values: rtol=atol=1e-5)."""
    x = _padded()
    m = kshim.Sequential([L.Input((6, 4)), Masking(), L.Dense(5, activation="tanh"), L.GlobalAveragePooling1D()])
    rng = np.random.default_rng(3)
    ws = [rng.standard_normal(w.shape).astype("float32") for w in m.get_weights()]
    m.set_weights(ws)
    xm, mask = _masking_reference(x, 0.0)
    h = np.tanh(xm.astype("float64") @ ws[0] + ws[1])
    keep = mask[..., None]
    want = (h * keep).sum(1) / keep.sum(1)
    np.testing.assert_allclose(N(m(x)), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(N(m.predict(x, verbose=0)), want, rtol=RTOL, atol=ATOL)


def test_masking_attention_numpy_reference(backend):
    """Masking -> Attention(use_scale=True) on (x, x): scores ``scale * q k^T`` with the masked keys
    left out of the softmax, and the outputs of masked queries zeroed; then GlobalAveragePooling1D
    over the unmasked queries. Sums of <= 6 float32 terms and one exp: rtol=atol=2e-5 (as the Keras
    comparison above)."""
    x = _padded()
    inp = L.Input((6, 4))
    h = Masking()(inp)
    att = Attention(use_scale=True)
    a = att([h, h])
    model = kshim.Model(inp, [a, L.GlobalAveragePooling1D()(a)])
    scale = np.float32(0.7)
    att.set_weights([np.array(scale, dtype="float32").reshape(att.get_weights()[0].shape)])
    xm, mask = _masking_reference(x, 0.0)
    xd = xm.astype("float64")
    scores = float(scale) * np.einsum("bqd,bkd->bqk", xd, xd)
    scores = np.where(mask[:, None, :], scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    out = np.einsum("bqk,bkd->bqd", w, xd) * mask[..., None]
    keep = mask[..., None]
    pooled = (out * keep).sum(1) / keep.sum(1)
    got_a, got_p = model(x)
    np.testing.assert_allclose(N(got_a), out, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(N(got_p), pooled, rtol=2e-5, atol=2e-5)


def test_masking_higher_rank_masks_last_axis_only(backend):
    x = _padded(shape=(3, 6, 4, 5))
    kl = keras.layers.Masking()
    layer = Masking()
    np.testing.assert_array_equal(N(layer(x)), np.asarray(kl(x)))
    np.testing.assert_array_equal(N(layer.compute_mask(x)), np.asarray(kl.compute_mask(x)))


def test_masking_config_and_symbolic(backend):
    for kwargs in ({}, {"mask_value": -1.0, "name": "pad"}):
        kcfg = keras.layers.Masking(**kwargs).get_config()
        layer = Masking(**kwargs)
        cfg = layer.get_config()
        assert {k: v for k, v in cfg.items() if k != "name"} == {k: v for k, v in kcfg.items() if k != "name"}
        assert Masking.from_config(cfg).get_config() == cfg
    out = Masking()(L.Input((None, 7)))
    assert tuple(out.shape) == (None, None, 7)
    assert Masking().compute_output_shape((2, 5, 3)) == (2, 5, 3)


def _seq(lib, masking_cls, body):
    return lib.Sequential([lib.Input((6, 4)), masking_cls(mask_value=0.0)] + body(lib))


@pytest.mark.parametrize("body_name", ["pool", "dense_pool"])
def test_masking_propagates_through_sequential(backend, body_name):
    bodies = {
        "pool": lambda lib: [lib.layers.GlobalAveragePooling1D()],
        "dense_pool": lambda lib: [lib.layers.Dense(5, activation="tanh"), lib.layers.GlobalAveragePooling1D()],
    }
    x = _padded()

    def keras_side():
        km = _seq(keras, keras.layers.Masking, bodies[body_name])
        rng = np.random.default_rng(1)
        ws = [rng.standard_normal(w.shape).astype("float32") for w in km.get_weights()]
        km.set_weights(ws)
        return ws, np.asarray(km(x))
    ws, ky = _keras_cached(("seq", body_name), keras_side)
    m = _seq(kshim, Masking, bodies[body_name])
    m.set_weights(ws)
    y = N(m(x))
    np.testing.assert_allclose(y, ky, rtol=RTOL, atol=ATOL)
    # the mask matters: plain averaging over all timesteps gives something else
    unmasked = kshim.Sequential([L.Input((6, 4))] + bodies[body_name](kshim))
    unmasked.set_weights(ws)
    assert np.abs(N(unmasked(x)) - y).max() > 1e-3
    # and it survives fit/predict (the trainer runs the same call path)
    np.testing.assert_allclose(N(m.predict(x, verbose=0)), ky, rtol=RTOL, atol=ATOL)


def test_masking_feeds_attention_layers_in_functional_model(backend):
    """Masking -> MultiHeadAttention (query and value masks) and -> Attention, then pooled with the
    query mask the attention layers pass on."""
    def build(lib, masking, mha, att):
        inp = lib.Input((6, 4))
        x = masking()(inp)
        a = mha(num_heads=2, key_dim=3)(x, x)
        b = att(use_scale=True)([x, x])
        pa = lib.layers.GlobalAveragePooling1D()(a)
        pb = lib.layers.GlobalAveragePooling1D()(b)
        return lib.Model(inp, [a, b, pa, pb])
    x = _padded()

    def keras_side():
        km = build(keras, keras.layers.Masking, keras.layers.MultiHeadAttention, keras.layers.Attention)
        rng = np.random.default_rng(2)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in km.get_weights()]
        km.set_weights(ws)
        return ws, [np.asarray(t) for t in km(x)]
    ws, ky = _keras_cached("functional-attention", keras_side)
    m = build(kshim, Masking, MultiHeadAttention, Attention)
    m.set_weights(ws)
    for a, b in zip(m(x), ky):
        np.testing.assert_allclose(N(a), b, rtol=2e-5, atol=2e-5)


def test_masking_model_save_load(backend, tmp_path):
    m = kshim.Sequential([L.Input((6, 4)), Masking(), L.Dense(3), L.GlobalAveragePooling1D()])
    x = _padded()
    y = N(m(x))
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = kshim.models.load_model(path, custom_objects={"Masking": Masking})
    np.testing.assert_array_equal(N(loaded(x)), y)
