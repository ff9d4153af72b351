"""Normalization layers against real Keras 3 (JAX backend) as the oracle.

Tolerances: float32 rtol=1e-5, atol=1e-6. The layers reduce over at most a few hundred elements;
Keras and kshim sum in different orders (and Keras-on-torch uses a fused layer_norm), so the
mean/variance differ by a few ulps relative; after normalization the outputs are O(1), so
atol=1e-6 (~8 ulp at 1.0) and rtol=1e-5 (~80 ulp) bound the accumulated rounding with margin while
still catching any formula error (a wrong epsilon or biased variance is off by >1e-4).
Float64 checks use a NumPy float64 reference at rtol=1e-12 (Keras itself computes in float32).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,  # noqa: E402
                                        UnitNormalization)

from .keras_oracle import _norm_cfg  # noqa: E402
from ._util import same_config as _same_config
from . import _numpy_refs_a as ref

TOL = dict(rtol=1e-5, atol=1e-6)
rng = np.random.default_rng(0)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def kcall(layer, *args, **kw):
    return np.asarray(layer(*args, **kw))


def same_config(klayer, slayer):
    _same_config(klayer, slayer, normalize=_norm_cfg)


def rand_weights(klayer):
    ws = []
    for w in klayer.get_weights():
        v = rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)
        ws.append(v)
    klayer.set_weights(ws)


# ---- BatchNormalization -------------------------------------------------------------------
BN_CASES = [
    dict(),
    dict(axis=1, momentum=0.9, epsilon=1e-2),
    dict(center=False),
    dict(scale=False, gamma_initializer="zeros"),
    dict(beta_regularizer="l2", gamma_constraint="non_neg", moving_variance_initializer="zeros"),
]


@pytest.mark.parametrize("kw", BN_CASES)
def test_batchnorm_matches_keras(backend, kw):
    x = rng.normal(2.0, 3.0, (6, 4, 5)).astype("float32")
    k = keras.layers.BatchNormalization(name="bn", **kw)
    s = BatchNormalization(name="bn", **kw)
    k.build(x.shape)
    s.build(x.shape)
    same_config(k, s)
    rand_weights(k)
    s.set_weights(k.get_weights())
    assert [w.shape for w in s.get_weights()] == [w.shape for w in k.get_weights()]
    assert [v.path.split("/")[-1] for v in s.weights] == [v.path.split("/")[-1] for v in k.weights]
    np.testing.assert_allclose(npy(s(x, training=False)), kcall(k, x, training=False), **TOL)
    # training: batch statistics and moving-stat updates
    for _ in range(2):
        np.testing.assert_allclose(npy(s(x, training=True)), kcall(k, x, training=True), **TOL)
        for a, b in zip(s.get_weights(), k.get_weights()):
            np.testing.assert_allclose(a, b, **TOL)
    assert len(s.losses) == len(k.losses)


def _round_trip(layer):
    cfg = layer.get_config()
    assert type(layer).from_config(cfg).get_config() == cfg


def _set_random_weights(layer, seed):
    r = np.random.default_rng(seed)
    ws = [r.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in layer.get_weights()]
    layer.set_weights(ws)
    return ws


@pytest.mark.parametrize("kw", BN_CASES)
def test_batchnorm_matches_numpy_reference(backend, kw):
    """The BN_CASES against the mean/variance formulas (no Keras needed): inference with the moving
    statistics, then two training steps (batch statistics, biased variance) and the momentum update of
    the moving statistics. Tolerances as the module docstring (float32 reductions over 24 values)."""
    x = np.random.default_rng(11).normal(2.0, 3.0, (6, 4, 5)).astype("float32")
    s = BatchNormalization(**kw)
    s.build(x.shape)
    _round_trip(s)
    ws = dict(zip([v.name for v in s.weights], _set_random_weights(s, 12)))
    if kw.get("scale", True) is False:
        assert "gamma" not in ws
    if kw.get("center", True) is False:
        assert "beta" not in ws
    axis, eps, mom = kw.get("axis", -1), kw.get("epsilon", 1e-3), kw.get("momentum", 0.99)
    mean, var = ws["moving_mean"], ws["moving_variance"]
    want, _, _ = ref.batch_norm(x, ws.get("gamma"), ws.get("beta"), mean, var, eps, axis, training=False)
    np.testing.assert_allclose(npy(s(x, training=False)), want, **TOL)
    for _ in range(2):
        want, mean, var = ref.batch_norm(x, ws.get("gamma"), ws.get("beta"), mean, var, eps, axis,
                                         training=True, momentum=mom)
        np.testing.assert_allclose(npy(s(x, training=True)), want, **TOL)
        np.testing.assert_allclose(s.moving_mean.numpy(), mean, **TOL)
        np.testing.assert_allclose(s.moving_variance.numpy(), var, **TOL)
    assert len(s.losses) == (1 if "beta_regularizer" in kw else 0)


def test_batchnorm_mask_numpy_reference(backend):
    """With a mask, the batch statistics are the mean/variance over the unmasked timesteps only."""
    x = rng.normal(0.0, 1.0, (3, 5, 4)).astype("float32")
    m = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    s = BatchNormalization()
    s.build(x.shape)
    sel = x.astype("float64")[m]  # (n_unmasked, 4)
    mu, var = sel.mean(0), sel.var(0)
    np.testing.assert_allclose(npy(s(x, training=True, mask=m)), (x - mu) / np.sqrt(var + 1e-3), **TOL)
    np.testing.assert_allclose(s.moving_mean.numpy(), 0.01 * mu, **TOL)
    np.testing.assert_allclose(s.moving_variance.numpy(), 0.99 + 0.01 * var, **TOL)


def test_batchnorm_default_weights_and_order(backend):
    s = BatchNormalization()
    s.build((None, 3))
    assert [v.name for v in s.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [v.name for v in s.trainable_weights] == ["gamma", "beta"]
    assert s.epsilon == 1e-3 and s.momentum == 0.99


def test_batchnorm_frozen_runs_inference(backend):
    x = rng.normal(1.0, 2.0, (8, 3)).astype("float32")
    k = keras.layers.BatchNormalization()
    s = BatchNormalization()
    k.build(x.shape)
    s.build(x.shape)
    rand_weights(k)
    s.set_weights(k.get_weights())
    k.trainable = False
    s.trainable = False
    before = s.get_weights()
    np.testing.assert_allclose(npy(s(x, training=True)), kcall(k, x, training=True), **TOL)
    np.testing.assert_allclose(npy(s(x, training=True)), npy(s(x, training=False)), **TOL)
    for a, b in zip(before, s.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batchnorm_mask_matches_keras(backend):
    x = rng.normal(0.0, 1.0, (3, 5, 4)).astype("float32")
    m = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    k = keras.layers.BatchNormalization()
    s = BatchNormalization()
    k.build(x.shape)
    s.build(x.shape)
    np.testing.assert_allclose(npy(s(x, training=True, mask=m)), kcall(k, x, training=True, mask=m), **TOL)
    for a, b in zip(s.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, **TOL)
    with pytest.raises(ValueError, match="one dimension less"):
        s(x, training=True, mask=np.ones((3, 5, 4), bool))
    assert s.compute_mask(x, m) is m


def test_batchnorm_renorm_matches_keras(backend):
    x = rng.normal(1.0, 2.0, (8, 3)).astype("float32")
    kw = dict(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.5, "dmax": 0.5}, renorm_momentum=0.9)
    k = keras.layers.BatchNormalization(name="bn", **kw)
    s = BatchNormalization(name="bn", **kw)
    k.build(x.shape)
    s.build(x.shape)
    same_config(k, s)
    assert [v.name for v in s.weights] == [v.path.split("/")[-1] for v in k.weights]
    s.set_weights(k.get_weights())
    for _ in range(2):
        np.testing.assert_allclose(npy(s(x, training=True)), kcall(k, x, training=True), **TOL)
        for a, b in zip(s.get_weights(), k.get_weights()):
            np.testing.assert_allclose(a, b, **TOL)


def test_batchnorm_stateless_call_returns_updates(backend):
    x = rng.normal(3.0, 1.0, (16, 2)).astype("float32")
    s = BatchNormalization(momentum=0.5)
    s.build(x.shape)
    tv = [v.value for v in s.trainable_variables]
    ntv = [v.value for v in s.non_trainable_variables]
    _, new = s.stateless_call(tv, ntv, x, training=True)
    np.testing.assert_array_equal(s.moving_mean.numpy(), np.zeros(2, np.float32))  # untouched
    want = 0.5 * x.mean(0)
    np.testing.assert_allclose(npy(new[0]), want, **TOL)
    np.testing.assert_allclose(npy(new[1]), 0.5 + 0.5 * x.var(0), **TOL)


def test_batchnorm_float64(backend):
    x = rng.normal(2.0, 3.0, (7, 3))
    s = BatchNormalization(dtype="float64", momentum=0.9)
    y = s(x, training=True)
    assert ops.dtype(y) == "float64" and s.moving_mean.dtype == "float64"
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), rtol=1e-12)
    y = s(x, training=False)
    want = (x - s.moving_mean.numpy()) / np.sqrt(s.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)


def test_batchnorm_symbolic_and_errors(backend):
    s = BatchNormalization(axis=1)
    out = s(Input(shape=(3, 4)))
    assert tuple(out.shape) == (None, 3, 4)
    assert s.moving_mean.shape == (3,)
    with pytest.raises(ValueError, match="out of bounds"):
        BatchNormalization(axis=3).build((None, 3, 4))


# ---- LayerNormalization -------------------------------------------------------------------
LN_CASES = [dict(), dict(axis=[1, 2]), dict(axis=1, epsilon=1e-5), dict(center=False),
            dict(scale=False), dict(rms_scaling=True), dict(axis=-2, gamma_regularizer="l1")]


@pytest.mark.parametrize("kw", LN_CASES)
def test_layernorm_matches_keras(backend, kw):
    import warnings
    x = rng.normal(1.0, 2.0, (3, 4, 5)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = keras.layers.LayerNormalization(name="ln", **kw)
    s = LayerNormalization(name="ln", **kw)
    same_config(k, s)
    k.build(x.shape)
    s.build(x.shape)
    same_config(k, s)  # axis becomes a sorted list after build
    rand_weights(k)
    s.set_weights(k.get_weights())
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), kcall(k, x, training=tr), **TOL)
    assert len(s.losses) == len(k.losses)


@pytest.mark.parametrize("kw", LN_CASES)
def test_layernorm_matches_numpy_reference(backend, kw):
    """The LN_CASES against the layer-norm formula with the layer's own (randomized) weights."""
    import warnings
    x = np.random.default_rng(13).normal(1.0, 2.0, (3, 4, 5)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling=True is deprecated in Keras
        s = LayerNormalization(**kw)
    s.build(x.shape)
    _round_trip(s)
    ws = dict(zip([v.name for v in s.weights], _set_random_weights(s, 14)))
    want = ref.layer_norm(x, ws.get("gamma"), ws.get("beta"), kw.get("axis", -1), kw.get("epsilon", 1e-3),
                          rms_scaling=kw.get("rms_scaling", False))
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), want, **TOL)
    assert len(s.losses) == (1 if "gamma_regularizer" in kw else 0)


def test_layernorm_float64_and_symbolic(backend):
    x = rng.normal(1.0, 2.0, (3, 4, 5))
    s = LayerNormalization(axis=[1, 2], dtype="float64")
    y = s(x)
    assert ops.dtype(y) == "float64"
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(npy(y), (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12, atol=1e-12)
    s2 = LayerNormalization()
    assert tuple(s2(Input(shape=(7, 6))).shape) == (None, 7, 6)
    assert s2.gamma.shape == (6,)
    with pytest.raises(TypeError):
        LayerNormalization(axis="x")


# ---- GroupNormalization -------------------------------------------------------------------
GN_CASES = [dict(groups=2), dict(groups=-1), dict(groups=1, axis=1), dict(groups=3, center=False, epsilon=1e-5)]


@pytest.mark.parametrize("kw", GN_CASES)
def test_groupnorm_matches_keras(backend, kw):
    x = rng.normal(1.0, 2.0, (2, 6, 5, 6)).astype("float32")
    k = keras.layers.GroupNormalization(name="gn", **kw)
    s = GroupNormalization(name="gn", **kw)
    same_config(k, s)
    k.build(x.shape)
    s.build(x.shape)
    same_config(k, s)
    rand_weights(k)
    s.set_weights(k.get_weights())
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), kcall(k, x, training=tr), **TOL)


@pytest.mark.parametrize("kw", GN_CASES)
def test_groupnorm_matches_numpy_reference(backend, kw):
    """The GN_CASES against per-sample, per-group mean/variance (float32 reductions over <= 180
    values; tolerances as the module docstring)."""
    x = np.random.default_rng(15).normal(1.0, 2.0, (2, 6, 5, 6)).astype("float32")
    s = GroupNormalization(**kw)
    s.build(x.shape)
    _round_trip(s)
    ws = dict(zip([v.name for v in s.weights], _set_random_weights(s, 16)))
    want = ref.group_norm(x, kw["groups"], ws.get("gamma"), ws.get("beta"), kw.get("axis", -1),
                          kw.get("epsilon", 1e-3))
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), want, **TOL)


def test_groupnorm_errors_and_symbolic(backend):
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="multiple"):
        GroupNormalization(groups=4).build((None, 6))
    with pytest.raises(ValueError, match="more than"):
        GroupNormalization(groups=8).build((None, 6))
    assert tuple(GroupNormalization(groups=2)(Input(shape=(5, 4))).shape) == (None, 5, 4)


# ---- UnitNormalization --------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unitnorm_matches_keras(backend, axis):
    x = rng.normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    x[0, 0] = 0.0
    k = keras.layers.UnitNormalization(axis=axis, name="un")
    s = UnitNormalization(axis=axis, name="un")
    same_config(k, s)
    np.testing.assert_allclose(npy(s(x)), kcall(k, x), **TOL)
    assert tuple(s(Input(shape=(4, 5))).shape) == (None, 4, 5)
    assert s.get_weights() == []


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unitnorm_matches_numpy_reference(backend, axis):
    """``x / ||x||_2`` over ``axis``; an all-zero slice stays 0 (the norm is floored)."""
    x = np.random.default_rng(17).normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    x[0, 0] = 0.0
    s = UnitNormalization(axis=axis)
    _round_trip(s)
    np.testing.assert_allclose(npy(s(x)), ref.unit_norm(x, axis), **TOL)


@pytest.mark.parametrize("cls_name", ["BatchNormalization", "LayerNormalization", "GroupNormalization"])
def test_mixed_float16_computes_in_float32(backend, cls_name):
    """float16 inputs: statistics in float32, float32 weights, float16 output (as Keras).
    Tolerance is float16 rounding of O(1) outputs (~1e-3)."""
    from kshim.layers import normalization as N
    x = rng.normal(100.0, 3.0, (4, 6)).astype("float32")  # large mean: float16 moments would lose it
    kw = dict(groups=2) if cls_name == "GroupNormalization" else {}
    k = getattr(keras.layers, cls_name)(dtype="mixed_float16", **kw)
    s = getattr(N, cls_name)(dtype="mixed_float16", **kw)
    ky = k(x, training=True)
    sy = s(x, training=True)
    assert ops.dtype(sy) == "float16" and all(v.dtype == "float32" for v in s.weights)
    np.testing.assert_allclose(npy(sy).astype("float32"), np.asarray(ky).astype("float32"), rtol=2e-3, atol=2e-3)
