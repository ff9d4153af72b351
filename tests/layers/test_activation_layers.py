"""Activation layers against real Keras 3 (JAX backend).

ReLU/LeakyReLU/PReLU are exact piecewise-linear ops (rtol=1e-6 allows the one multiply's
rounding); ELU and Softmax go through exp, whose libm implementations differ by a few ulps
between backends (rtol=1e-5, atol=1e-7 for values near zero).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers.activation_layers import ELU, PReLU, ReLU, LeakyReLU, Softmax  # noqa: E402
from ._util import same_config
from . import _numpy_refs_a as ref

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


CASES = [
    ("ReLU", ReLU, dict(), 1e-6),
    ("ReLU", ReLU, dict(max_value=1.0), 1e-6),
    ("ReLU", ReLU, dict(negative_slope=0.1, threshold=0.5), 1e-6),
    ("ReLU", ReLU, dict(max_value=2.0, negative_slope=0.2, threshold=0.3), 1e-6),
    ("LeakyReLU", LeakyReLU, dict(), 1e-6),
    ("LeakyReLU", LeakyReLU, dict(negative_slope=0.05), 1e-6),
    ("ELU", ELU, dict(), 1e-5),
    ("ELU", ELU, dict(alpha=0.5), 1e-5),
    ("Softmax", Softmax, dict(), 1e-5),
    ("Softmax", Softmax, dict(axis=1), 1e-5),
    ("Softmax", Softmax, dict(axis=[1, 2]), 1e-5),
    ("Softmax", Softmax, dict(axis=(2,)), 1e-5),
]


@pytest.mark.parametrize("kname,cls,kw,rtol", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(backend, kname, cls, kw, rtol):
    x = rng.normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    k = getattr(keras.layers, kname)(name="a", **kw)
    s = cls(name="a", **kw)
    same_config(k, s)
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), np.asarray(k(x, training=tr)), rtol=rtol, atol=1e-7)
    assert tuple(s(Input(shape=(4, 5))).shape) == (None, 4, 5)
    assert s.get_weights() == [] and s.supports_masking


_REFS = {
    "ReLU": lambda x, kw: ref.relu(x, kw.get("max_value"), kw.get("negative_slope", 0.0), kw.get("threshold", 0.0)),
    "LeakyReLU": lambda x, kw: np.where(x >= 0, x, kw.get("negative_slope", 0.3) * x.astype("float64")),
    "ELU": lambda x, kw: ref.elu(x, kw.get("alpha", 1.0)),
    "Softmax": lambda x, kw: ref.softmax(x, kw.get("axis", -1)),
}


@pytest.mark.parametrize("kname,cls,kw,rtol", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_numpy_reference(backend, kname, cls, kw, rtol):
    """The CASES against the activations' formulas in float64 (no Keras needed), at the module
    docstring's tolerances; the config round trip too."""
    x = np.random.default_rng(21).normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    x[0, 0, :3] = [kw.get("threshold", 0.0), kw.get("max_value") or 1.0, 0.0]  # the breakpoints themselves
    s = cls(**kw)
    want = _REFS[kname](x, kw)
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), want, rtol=rtol, atol=1e-7)
    cfg = s.get_config()
    assert cls.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("kw", [dict(), dict(shared_axes=[1, 2]), dict(shared_axes=1)])
def test_prelu_matches_numpy_reference(backend, kw):
    """``max(x, 0) + alpha * min(x, 0)`` with the layer's own alpha, broadcast over shared axes."""
    x = np.random.default_rng(22).normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    s = PReLU(**kw)
    s.build(x.shape)
    shared = kw.get("shared_axes", [])
    shared = [shared] if isinstance(shared, int) else shared
    assert s.alpha.shape == tuple(1 if i + 1 in shared else n for i, n in enumerate(x.shape[1:]))
    alpha = np.random.default_rng(23).uniform(0.0, 0.5, s.alpha.shape).astype("float32")
    s.set_weights([alpha])
    want = np.maximum(x, 0) + alpha.astype("float64") * np.minimum(x, 0)
    np.testing.assert_allclose(npy(s(x)), want, rtol=1e-6, atol=1e-7)
    cfg = s.get_config()
    assert PReLU.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("mask_shape,dtype", [((3, 4, 5), "bool"), ((4, 5), "bool"), ((3, 1, 5), "float32"),
                                              ((5,), "int32")])
def test_softmax_mask_matches_numpy_reference(backend, mask_shape, dtype):
    """Masked softmax: the masked-out entries are left out of the normalization and come out 0."""
    x = np.random.default_rng(24).normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    m = (np.random.default_rng(25).uniform(size=mask_shape) > 0.3).astype(dtype)
    np.testing.assert_allclose(npy(Softmax()(x, mask=m)), ref.softmax(x, -1, m), rtol=1e-5, atol=1e-7)


def test_leaky_relu_defaults_and_alias(backend):
    assert LeakyReLU().negative_slope == 0.3
    with pytest.warns(UserWarning):
        assert LeakyReLU(alpha=0.1).negative_slope == 0.1
    with pytest.raises(ValueError):
        LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError):
        ReLU(max_value=-1.0)
    with pytest.raises(ValueError):
        ReLU(threshold=-1.0)


@pytest.mark.parametrize("kw", [dict(), dict(shared_axes=[1, 2]), dict(shared_axes=1),
                                dict(alpha_initializer="ones", alpha_regularizer="l2", alpha_constraint="non_neg")])
def test_prelu_matches_keras(backend, kw):
    x = rng.normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    k = keras.layers.PReLU(name="p", **kw)
    s = PReLU(name="p", **kw)
    same_config(k, s)
    k.build(x.shape)
    s.build(x.shape)
    assert [v.name for v in s.weights] == ["alpha"]
    k.set_weights([rng.uniform(0.0, 0.5, w.shape).astype("float32") for w in k.get_weights()])
    s.set_weights(k.get_weights())
    for tr in (False, True):
        np.testing.assert_allclose(npy(s(x, training=tr)), np.asarray(k(x, training=tr)), rtol=1e-6, atol=1e-7)
    assert len(s.losses) == len(k.losses)
    s2 = PReLU(**kw)
    assert tuple(s2(Input(shape=(4, 5))).shape) == (None, 4, 5)
    assert s2.alpha.shape == tuple(k.get_weights()[0].shape)


@pytest.mark.parametrize("mask_shape,dtype", [((3, 4, 5), "bool"), ((4, 5), "bool"), ((3, 1, 5), "float32"),
                                              ((5,), "int32")])
def test_softmax_mask_matches_keras(backend, mask_shape, dtype):
    x = rng.normal(0.0, 2.0, (3, 4, 5)).astype("float32")
    m = rng.uniform(size=mask_shape) > 0.3
    m = m.astype(dtype)
    k = keras.layers.Softmax()
    s = Softmax()
    np.testing.assert_allclose(npy(s(x, mask=m)), np.asarray(k(x, mask=m)), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="broadcastable"):
        s(x, mask=np.ones((3, 4, 4), bool))
    with pytest.raises(ValueError, match="more dimensions"):
        s(x, mask=np.ones((1, 3, 4, 5), bool))
