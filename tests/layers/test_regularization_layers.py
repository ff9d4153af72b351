"""Dropout-family and regularization layers.

Keras' random streams differ from kshim's (kshim uses its own portable Threefry stream), so random
outputs are not compared with Keras; instead: identity when not training, the same seed gives
bit-identical dropout masks on every selected backend (and Gaussian noise equal to a few ulps,
rtol=1e-6, since it goes through log/cos), drop-rate statistics, the 1/(1-rate) scaling, and
configs equal to Keras'. ActivityRegularization is deterministic and compared with Keras
(rtol=1e-5: a float32 sum over 60 terms).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import backends, ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout,  # noqa: E402
                                         GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kshim.testing.pytest_plugin import selected_backends  # noqa: E402
from ._util import same_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


CONFIG_CASES = [
    ("Dropout", Dropout, dict(rate=0.3)),
    ("Dropout", Dropout, dict(rate=0.5, noise_shape=(None, 1, 4), seed=3)),
    ("SpatialDropout1D", SpatialDropout1D, dict(rate=0.2, seed=1)),
    ("SpatialDropout2D", SpatialDropout2D, dict(rate=0.2, data_format="channels_first")),
    ("SpatialDropout3D", SpatialDropout3D, dict(rate=0.2)),
    ("GaussianNoise", GaussianNoise, dict(stddev=0.1, seed=2)),
    ("GaussianDropout", GaussianDropout, dict(rate=0.25)),
    ("AlphaDropout", AlphaDropout, dict(rate=0.1, noise_shape=[None, 1])),
    ("ActivityRegularization", ActivityRegularization, dict(l1=0.01, l2=0.2)),
]


@pytest.mark.parametrize("kname,cls,kw", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_matches_keras(backend, kname, cls, kw):
    k = getattr(keras.layers, kname)(name="r", **kw)
    s = cls(name="r", **kw)
    same_config(k, s)


@pytest.mark.parametrize("kname,cls,kw", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_round_trip(backend, kname, cls, kw):
    """Without Keras: the arguments land in ``get_config()`` and ``from_config`` gives the same
    config (and, for the random layers, the same seed, hence the same mask on the same input)."""
    s = cls(name="r", **kw)
    cfg = s.get_config()
    assert cfg["name"] == "r"
    for k, v in kw.items():
        assert (list(cfg[k]) == list(v)) if k == "noise_shape" else (cfg[k] == v), (k, cfg[k], v)
    clone = cls.from_config(cfg)
    assert clone.get_config() == cfg
    if kw.get("seed") is not None:
        shape = {"SpatialDropout1D": (3, 4, 5), "Dropout": (3, 4, 4)}.get(kname, (3, 4))
        x = np.ones(shape, np.float32)
        np.testing.assert_array_equal(npy(s(x, training=True)), npy(clone(x, training=True)))


@pytest.mark.parametrize("cls,kw,shape", [
    (Dropout, dict(rate=0.5, seed=1), (4, 6)),
    (SpatialDropout1D, dict(rate=0.5, seed=1), (4, 5, 6)),
    (SpatialDropout2D, dict(rate=0.5, seed=1), (2, 3, 4, 5)),
    (SpatialDropout3D, dict(rate=0.5, seed=1), (2, 3, 4, 5, 2)),
    (GaussianNoise, dict(stddev=0.5, seed=1), (4, 6)),
    (GaussianDropout, dict(rate=0.5, seed=1), (4, 6)),
    (AlphaDropout, dict(rate=0.5, seed=1), (4, 6)),
])
def test_identity_when_not_training_and_symbolic(backend, cls, kw, shape):
    x = rng.normal(size=shape).astype("float32")
    layer = cls(**kw)
    np.testing.assert_array_equal(npy(layer(x)), x)
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)
    y = npy(layer(x, training=True))
    assert y.shape == x.shape and not np.array_equal(y, x)
    out = layer(Input(batch_shape=(None,) + shape[1:]))
    assert tuple(out.shape) == (None,) + shape[1:]
    assert layer.get_weights() == []
    assert len(layer.non_trainable_variables) == 1  # the seed generator's state


def test_dropout_rate_statistics_and_scaling(backend):
    rate = 0.3
    x = np.ones((200, 500), np.float32)
    y = npy(Dropout(rate, seed=5)(x, training=True))
    dropped = (y == 0).mean()
    assert abs(dropped - rate) < 0.01  # 100k draws: std of the fraction is ~0.0015
    kept = y[y != 0]
    np.testing.assert_array_equal(kept, np.float32(1.0) * np.float32(1.0 / (1.0 - rate)))
    x2 = rng.normal(size=(50, 40)).astype("float32")
    y2 = npy(Dropout(0.5, seed=5)(x2, training=True))
    keep = y2 != 0
    np.testing.assert_allclose(y2[keep], x2[keep] * 2.0, rtol=1e-7)


def test_dropout_edge_rates_and_validation(backend):
    x = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(npy(Dropout(0.0)(x, training=True)), x)
    np.testing.assert_array_equal(npy(Dropout(1.0, seed=1)(x, training=True)), np.zeros_like(x))
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape="abc")
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(2.0)


def test_dropout_noise_shape_and_spatial_masks(backend):
    x = np.ones((4, 6, 8), np.float32)
    y = npy(Dropout(0.5, noise_shape=(None, 1, 8), seed=2)(x, training=True))
    assert (y == y[:, :1, :]).all()
    y = npy(SpatialDropout1D(0.5, seed=2)(x, training=True))
    assert (y == y[:, :1, :]).all() and 0 < (y == 0).mean() < 1
    x4 = np.ones((3, 5, 6, 7), np.float32)
    y = npy(SpatialDropout2D(0.5, seed=2)(x4, training=True))
    assert (y == y[:, :1, :1, :]).all()
    y = npy(SpatialDropout2D(0.5, data_format="channels_first", seed=2)(x4, training=True))
    assert (y == y[:, :, :1, :1]).all()
    with pytest.raises(ValueError, match="ndim"):
        SpatialDropout2D(0.5)(x, training=True)


def test_masks_advance_between_calls(backend):
    x = np.ones((10, 10), np.float32)
    layer = Dropout(0.5, seed=9)
    a, b = npy(layer(x, training=True)), npy(layer(x, training=True))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, npy(Dropout(0.5, seed=9)(x, training=True)))


def _run_on(name, fn):
    with kshim.backend.use(backends.get(name)):
        return fn()


@pytest.mark.parametrize("make,exact", [
    (lambda: Dropout(0.4, seed=11), True),
    (lambda: Dropout(0.4, noise_shape=(None, 1, 6), seed=11), True),
    (lambda: SpatialDropout1D(0.4, seed=11), True),
    (lambda: AlphaDropout(0.3, seed=11), False),
    (lambda: GaussianNoise(0.3, seed=11), False),
    (lambda: GaussianDropout(0.3, seed=11), False),
], ids=["dropout", "dropout_noise_shape", "spatial1d", "alpha", "gaussian_noise", "gaussian_dropout"])
def test_same_seed_same_result_across_backends(request, make, exact):
    names = [n for n in selected_backends(request.config) if backends.is_available(n)]
    if len(names) < 2:
        pytest.skip("needs at least two selected backends")
    x = rng.normal(size=(5, 4, 6)).astype("float32")

    def run():
        layer = make()
        return [npy(layer(x, training=True)) for _ in range(2)]
    results = {n: _run_on(n, run) for n in names}
    ref = results[names[0]]
    for n in names[1:]:
        for a, b in zip(results[n], ref):
            if exact:
                np.testing.assert_array_equal(a, b, err_msg=f"{n} vs {names[0]}")
            else:
                np.testing.assert_array_equal(a == 0, b == 0)
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{n} vs {names[0]}")


def test_gaussian_statistics(backend):
    x = np.ones((200, 500), np.float32)
    y = npy(GaussianNoise(0.5, seed=3)(x, training=True)) - 1.0
    assert abs(y.mean()) < 0.01 and abs(y.std() - 0.5) < 0.01
    rate = 0.2
    y = npy(GaussianDropout(rate, seed=3)(x, training=True))
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.std() - np.sqrt(rate / (1 - rate))) < 0.01


def test_alpha_dropout_statistics(backend):
    x = rng.normal(size=(400, 500)).astype("float32")
    y = npy(AlphaDropout(0.2, seed=4)(x, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02  # mean/variance preserved
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.2
    dropped = np.isclose(y, a * alpha_p + b, rtol=1e-6)
    assert abs(dropped.mean() - 0.2) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)


def test_stateless_call_threads_seed_state(backend):
    x = np.ones((8, 8), np.float32)
    layer = Dropout(0.5, seed=1)
    ntv = [v.value for v in layer.non_trainable_variables]
    y1, new = layer.stateless_call([], ntv, x, training=True)
    y2, _ = layer.stateless_call([], new, x, training=True)
    assert not np.array_equal(npy(y1), npy(y2))
    np.testing.assert_array_equal(npy(y1), npy(Dropout(0.5, seed=1)(x, training=True)))


@pytest.mark.parametrize("l1,l2", [(0.01, 0.2), (0.0, 0.5), (0.3, 0.0)])
def test_activity_regularization_numpy_reference(backend, l1, l2):
    """The loss is ``(l1 * sum|x| + l2 * sum x^2) / batch_size`` (Keras 3 normalizes activity
    regularization by the batch size) and the output is ``x`` unchanged. rtol=1e-5: float32 sums
    over 60 terms."""
    x = rng.normal(size=(3, 4, 5)).astype("float32")
    s = ActivityRegularization(l1=l1, l2=l2)
    np.testing.assert_array_equal(npy(s(x)), x)
    xd = x.astype("float64")
    want = (l1 * np.abs(xd).sum() + l2 * (xd ** 2).sum()) / x.shape[0]
    assert len(s.losses) == 1
    np.testing.assert_allclose(npy(s.losses[0]), want, rtol=1e-5)
    _, _, losses = s.stateless_call([], [], x, return_losses=True)
    np.testing.assert_allclose(npy(losses[0]), want, rtol=1e-5)
    assert tuple(s(Input(shape=(4, 5))).shape) == (None, 4, 5)


def test_activity_regularization_matches_keras(backend):
    x = rng.normal(size=(3, 4, 5)).astype("float32")
    k = keras.layers.ActivityRegularization(l1=0.01, l2=0.2)
    s = ActivityRegularization(l1=0.01, l2=0.2)
    np.testing.assert_array_equal(npy(s(x)), x)
    k(x)
    assert len(s.losses) == len(k.losses) == 1
    np.testing.assert_allclose(npy(s.losses[0]), np.asarray(k.losses[0]), rtol=1e-5)
    ntv = []
    _, _, losses = s.stateless_call([], ntv, x, return_losses=True)
    np.testing.assert_allclose(npy(losses[0]), np.asarray(k.losses[0]), rtol=1e-5)
    assert s.activity_regularizer is None
    assert s.supports_masking
