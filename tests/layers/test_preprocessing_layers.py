"""Rescaling and Normalization against real Keras 3 (JAX backend).

Rescaling is one multiply-add per element (rtol=1e-6). Normalization's adapted statistics come
from NumPy float32/float64 reductions on both sides (rtol=1e-5 allows different summation order);
outputs are O(1) after normalization (rtol=1e-5, atol=1e-6 as in the normalization tests).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers.preprocessing import Normalization, Rescaling  # noqa: E402
from ._util import same_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)
TOL = dict(rtol=1e-5, atol=1e-6)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


@pytest.mark.parametrize("kw", [dict(scale=1 / 255.0), dict(scale=2.0, offset=-1.0),
                                dict(scale=[1.0, 2.0, 0.5], offset=[0.0, 1.0, 2.0])])
def test_rescaling_matches_keras(backend, kw):
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    k = keras.layers.Rescaling(name="r", **kw)
    s = Rescaling(name="r", **kw)
    same_config(k, s)
    np.testing.assert_allclose(npy(s(x)), np.asarray(k(x)), rtol=1e-6)
    np.testing.assert_allclose(npy(s(x.astype("int32"))), np.asarray(k(x.astype("int32"))), rtol=1e-6)
    assert tuple(s(Input(shape=(4, 4, 3))).shape) == (None, 4, 4, 3)


@pytest.mark.parametrize("kw", [dict(scale=1 / 255.0), dict(scale=2.0, offset=-1.0),
                                dict(scale=[1.0, 2.0, 0.5], offset=[0.0, 1.0, 2.0])])
def test_rescaling_numpy_reference(backend, kw):
    """``x * scale + offset`` (broadcast over the last axis), float32 output also for int inputs;
    one float32 multiply-add per element: rtol=1e-6."""
    x = np.random.default_rng(40).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    s = Rescaling(**kw)
    want = x.astype("float64") * np.asarray(kw["scale"]) + np.asarray(kw.get("offset", 0.0))
    np.testing.assert_allclose(npy(s(x)), want, rtol=1e-6)
    xi = x.astype("int32")
    got = s(xi)
    assert ops.dtype(got) == "float32"
    np.testing.assert_allclose(npy(got), xi * np.asarray(kw["scale"]) + np.asarray(kw.get("offset", 0.0)), rtol=1e-6)
    cfg = s.get_config()
    assert Rescaling.from_config(cfg).get_config() == cfg


def _normalize_reference(x, mean, var, axis, invert=False):
    """``(x - mean) / max(sqrt(var), 1e-7)`` with the statistics broadcast along the kept axes
    (``invert``: ``mean + x * max(sqrt(var), 1e-7)``)."""
    x = np.asarray(x, np.float64)
    keep = () if axis is None else tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    shape = [n if i in keep else 1 for i, n in enumerate(x.shape)]
    mean = np.asarray(mean, np.float64).reshape(shape) if np.ndim(mean) else np.float64(mean)
    std = np.maximum(np.sqrt(np.asarray(var, np.float64)), 1e-7)
    std = std.reshape(shape) if np.ndim(std) else std
    return mean + x * std if invert else (x - mean) / std


@pytest.mark.parametrize("kw", [dict(mean=2.0, variance=4.0), dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]),
                                dict(axis=1, mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 2.0, 3.0, 4.0], invert=True),
                                dict(axis=None, mean=1.0, variance=2.0)])
def test_normalization_fixed_stats_numpy_reference(backend, kw):
    x = np.random.default_rng(41).normal(2.0, 3.0, (5, 4, 3)).astype("float32")
    s = Normalization(**kw)
    want = _normalize_reference(x, kw["mean"], kw["variance"], kw.get("axis", -1), kw.get("invert", False))
    np.testing.assert_allclose(npy(s(x)), want, **TOL)
    cfg = s.get_config()
    assert Normalization.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("axis,shape", [(-1, (20, 3)), ((1, 2), (10, 3, 4)), (None, (10, 3)), (1, (8, 4, 2))])
@pytest.mark.parametrize("kind", ["array", "batches"])
def test_normalization_adapt_numpy_reference(backend, axis, shape, kind):
    """adapt() stores the mean and (biased) variance over every axis but ``axis`` (float32
    reductions of <= 120 values: rtol=1e-5, atol=1e-6), and the call then normalizes with them."""
    r = np.random.default_rng(42)
    data = r.normal(5.0, 2.0, shape).astype("float32")
    s = Normalization(axis=axis)
    s.adapt(data if kind == "array" else iter([data[:3], data[3:7], data[7:]]))
    keep = () if axis is None else tuple(a % data.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    red = tuple(i for i in range(data.ndim) if i not in keep)
    d64 = data.astype("float64")
    mean, var = d64.mean(red), d64.var(red)
    sw = s.get_weights()
    np.testing.assert_allclose(sw[0].reshape(mean.shape), mean, **TOL)
    np.testing.assert_allclose(sw[1].reshape(var.shape), var, **TOL)
    x = r.normal(5.0, 2.0, shape).astype("float32")
    np.testing.assert_allclose(npy(s(x)), _normalize_reference(x, mean, var, axis), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(mean=2.0, variance=4.0), dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]),
                                dict(axis=1, mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 2.0, 3.0, 4.0], invert=True),
                                dict(axis=None, mean=1.0, variance=2.0)])
def test_normalization_fixed_stats_matches_keras(backend, kw):
    x = rng.normal(2.0, 3.0, (5, 4, 3)).astype("float32")
    k = keras.layers.Normalization(name="n", **kw)
    s = Normalization(name="n", **kw)
    same_config(k, s)
    np.testing.assert_allclose(npy(s(x)), np.asarray(k(x)), **TOL)
    assert s.get_weights() == [] == k.get_weights()
    same_config(k, s)


@pytest.mark.parametrize("axis,shape", [(-1, (20, 3)), ((1, 2), (10, 3, 4)), (None, (10, 3)), (1, (8, 4, 2))])
@pytest.mark.parametrize("kind", ["array", "batches"])
def test_normalization_adapt_matches_keras(backend, axis, shape, kind):
    data = rng.normal(5.0, 2.0, shape).astype("float32")
    k = keras.layers.Normalization(axis=axis, name="n")
    s = Normalization(axis=axis, name="n")
    k.adapt(data)
    if kind == "array":
        s.adapt(data)
    else:
        # Keras' iterable path needs TensorFlow installed; its running update is exact, so the
        # whole-array adapt is the reference for the batched one.
        s.adapt(iter([data[:3], data[3:7], data[7:]]))
    kw_, sw = k.get_weights(), s.get_weights()
    assert [w.shape for w in sw] == [w.shape for w in kw_]
    assert [w.dtype for w in sw] == [w.dtype for w in kw_]
    assert [v.name for v in s.weights] == ["mean", "variance", "count"]
    for a, b in zip(sw, kw_):
        np.testing.assert_allclose(a, b, **TOL)
    x = rng.normal(5.0, 2.0, shape).astype("float32")
    np.testing.assert_allclose(npy(s(x)), np.asarray(k(x)), **TOL)
    same_config(k, s)
    assert tuple(s.get_build_config()["input_shape"])[1:] == shape[1:]


def test_normalization_adapt_tuples_set_weights_and_invert(backend):
    data = rng.normal(1.0, 3.0, (12, 2)).astype("float32")
    s = Normalization()
    s.adapt([(data[:6], None), (data[6:], None)])
    np.testing.assert_allclose(s.get_weights()[0], data.mean(0), **TOL)
    np.testing.assert_allclose(s.get_weights()[1], data.var(0), rtol=1e-5)
    inv = Normalization(invert=True)
    inv.build((None, 2))
    inv.set_weights(s.get_weights())  # takes effect without re-adapting
    np.testing.assert_allclose(npy(inv(s(data))), data, rtol=1e-5, atol=1e-5)
    t = Normalization()
    t.adapt(ops.convert_to_tensor(data))
    np.testing.assert_allclose(t.get_weights()[0], data.mean(0), **TOL)


def test_normalization_errors_and_symbolic(backend):
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="empty iterable"):
        Normalization().adapt([])
    s = Normalization()
    s.adapt(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="incompatible shape"):
        s.adapt(np.ones((4, 5), np.float32))
    s2 = Normalization(axis=-1)
    assert tuple(s2(Input(shape=(7,))).shape) == (None, 7)
    assert s2.adapt_mean.shape == (7,)
    r = Normalization.from_config(s2.get_config())
    r.build_from_config(s2.get_build_config())
    assert r.built and r.adapt_mean.shape == (7,)
