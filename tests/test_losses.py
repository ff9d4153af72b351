"""Losses vs real Keras 3 (JAX backend) as the oracle: values, reductions, sample weights, configs.

Tolerance rtol 1e-5: same float32 formulas on both sides; only kernel rounding (log/exp/softplus) differs.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from kshim import losses, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(1)
B, C = 6, 4


def _probs(shape):
    x = rng.uniform(0.05, 1.0, size=shape).astype("float32")
    return x / x.sum(-1, keepdims=True)


ONEHOT = np.eye(C, dtype="float32")[rng.integers(0, C, size=B)]
LABELS = rng.integers(0, C, size=B).astype("int32")
PROBS = _probs((B, C))
LOGITS = rng.normal(size=(B, C)).astype("float32") * 2
BIN_T = rng.integers(0, 2, size=(B, 3)).astype("float32")
BIN_P = rng.uniform(0.02, 0.98, size=(B, 3)).astype("float32")
REG_T = rng.normal(size=(B, 3)).astype("float32")
REG_P = rng.normal(size=(B, 3)).astype("float32") * 2
POS_T = rng.uniform(0.1, 3, size=(B, 3)).astype("float32")
POS_P = rng.uniform(0.1, 3, size=(B, 3)).astype("float32")
PM1 = np.where(BIN_T > 0, 1.0, -1.0).astype("float32")

CASES = [
    ("MeanSquaredError", {}, REG_T, REG_P),
    ("MeanAbsoluteError", {}, REG_T, REG_P),
    ("MeanAbsolutePercentageError", {}, REG_T, REG_P),
    ("MeanSquaredLogarithmicError", {}, POS_T, POS_P),
    ("Huber", {}, REG_T, REG_P),
    ("Huber", {"delta": 0.5}, REG_T, REG_P),
    ("LogCosh", {}, REG_T, REG_P),
    ("BinaryCrossentropy", {}, BIN_T, BIN_P),
    ("BinaryCrossentropy", {"from_logits": True}, BIN_T, REG_P),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, BIN_T, BIN_P),
    ("BinaryFocalCrossentropy", {}, BIN_T, BIN_P),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 3.0, "from_logits": True,
                                 "label_smoothing": 0.1}, BIN_T, REG_P),
    ("CategoricalCrossentropy", {}, ONEHOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONEHOT, LOGITS),
    ("CategoricalCrossentropy", {"axis": 0}, ONEHOT, PROBS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS[:, None], LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, LABELS, LOGITS),
    ("KLDivergence", {}, PROBS, _probs((B, C))),
    ("Poisson", {}, POS_T, POS_P),
    ("CosineSimilarity", {}, REG_T, REG_P),
    ("CosineSimilarity", {"axis": 0}, REG_T, REG_P),
    ("Hinge", {}, BIN_T, REG_P),
    ("Hinge", {}, PM1, REG_P),
    ("SquaredHinge", {}, BIN_T, REG_P),
    ("CategoricalHinge", {}, ONEHOT, LOGITS),
]
IDS = [f"{c[0]}-{'-'.join(c[1]) or 'default'}-{i}" for i, c in enumerate(CASES)]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]
SW = rng.uniform(0, 2, size=(B,)).astype("float32")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_loss_class_matches_keras(backend, name, kw, yt, yp):
    for reduction in REDUCTIONS:
        for sw in (None, SW, SW[:, None]):
            try:
                want = np.asarray(getattr(keras.losses, name)(reduction=reduction, **kw)(yt, yp, sample_weight=sw))
            except Exception:  # e.g. axis=0 losses cannot take per-sample weights in Keras either
                with pytest.raises(Exception):
                    getattr(losses, name)(reduction=reduction, **kw)(yt, yp, sample_weight=sw)
                continue
            got = _np(getattr(losses, name)(reduction=reduction, **kw)(yt, yp, sample_weight=sw))
            assert got.shape == want.shape, (reduction, sw)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{reduction} {sw}")


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_loss_config_matches_keras(backend, name, kw, yt, yp):
    k = getattr(keras.losses, name)(**kw).get_config()
    ours = getattr(losses, name)(**kw)
    cfg = ours.get_config()
    for key, v in k.items():
        assert cfg[key] == v, key
    clone = type(ours).from_config(cfg)
    np.testing.assert_allclose(_np(clone(yt, yp)), _np(ours(yt, yp)), rtol=1e-7)
    again = losses.deserialize(losses.serialize(ours))
    assert type(again) is type(ours)


FUNCS = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
         "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
         "binary_focal_crossentropy", "kl_divergence", "poisson", "cosine_similarity", "hinge", "squared_hinge"]


@pytest.mark.parametrize("fn", FUNCS)
def test_loss_functions_match_keras(backend, fn):
    yt, yp = (POS_T, POS_P) if fn in ("mean_squared_logarithmic_error", "poisson", "kl_divergence") else (BIN_T, BIN_P)
    np.testing.assert_allclose(_np(getattr(losses, fn)(yt, yp)), np.asarray(getattr(keras.losses, fn)(yt, yp)),
                               rtol=RTOL, atol=ATOL)


def test_crossentropy_functions_match_keras(backend):
    np.testing.assert_allclose(_np(losses.categorical_crossentropy(ONEHOT, LOGITS, from_logits=True,
                                                                   label_smoothing=0.2)),
                               np.asarray(keras.losses.categorical_crossentropy(ONEHOT, LOGITS, from_logits=True,
                                                                                label_smoothing=0.2)), rtol=RTOL)
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy(LABELS, PROBS, ignore_class=1)),
                               np.asarray(keras.losses.sparse_categorical_crossentropy(LABELS, PROBS,
                                                                                       ignore_class=1)), rtol=RTOL)
    np.testing.assert_allclose(_np(losses.categorical_hinge(ONEHOT, LOGITS)),
                               np.asarray(keras.losses.categorical_hinge(ONEHOT, LOGITS)), rtol=RTOL)


def test_sequence_losses_with_per_timestep_weights(backend):
    yt = rng.integers(0, C, size=(B, 5)).astype("int32")
    yp = rng.normal(size=(B, 5, C)).astype("float32")
    sw = rng.uniform(0, 1, size=(B, 5)).astype("float32")
    for kw in ({"from_logits": True}, {"from_logits": True, "ignore_class": 0}):
        want = float(keras.losses.SparseCategoricalCrossentropy(**kw)(yt, yp, sample_weight=sw))
        got = float(_np(losses.SparseCategoricalCrossentropy(**kw)(yt, yp, sample_weight=sw)))
        np.testing.assert_allclose(got, want, rtol=RTOL)
    rt, rp = rng.normal(size=(B, 5, 2)).astype("float32"), rng.normal(size=(B, 5, 2)).astype("float32")
    np.testing.assert_allclose(_np(losses.MeanSquaredError()(rt, rp, sample_weight=sw)),
                               float(keras.losses.MeanSquaredError()(rt, rp, sample_weight=sw)), rtol=RTOL)


def test_sum_over_batch_size_divides_by_batch_not_weights(backend):
    got = float(_np(losses.MeanSquaredError()(np.zeros((4, 1)), np.ones((4, 1)), sample_weight=[1, 0, 0, 0])))
    assert got == pytest.approx(0.25)


def test_rank_matching_of_targets(backend):
    yt = REG_T[:, :1]
    yp = REG_P[:, 0]
    np.testing.assert_allclose(_np(losses.MeanSquaredError()(yt, yp)),
                               float(keras.losses.MeanSquaredError()(yt, yp)), rtol=RTOL)


def test_loss_function_wrapper(backend):
    def my_loss(y_true, y_pred, scale=1.0):
        return ops.multiply(scale, ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1))
    w = losses.LossFunctionWrapper(my_loss, scale=2.0, reduction="sum")
    np.testing.assert_allclose(_np(w(REG_T, REG_P)), 2 * np.abs(REG_T - REG_P).mean(-1).sum(), rtol=RTOL)
    assert w.name == "my_loss"
    assert w.get_config()["scale"] == 2.0


@pytest.mark.parametrize("alias", ["mse", "MSE", "mae", "mape", "msle", "kld", "bce", "mean_squared_error",
                                   "categorical_crossentropy", "sparse_categorical_crossentropy",
                                   "binary_crossentropy", "huber", "log_cosh", "hinge", "poisson",
                                   "CategoricalCrossentropy", "MeanSquaredError"])
def test_get_aliases(backend, alias):
    ours, theirs = losses.get(alias), keras.losses.get(alias)
    assert callable(ours)
    if isinstance(theirs, keras.losses.Loss):
        assert type(ours).__name__ == type(theirs).__name__
    else:
        assert ours.__name__ == theirs.__name__
        yt, yp = {"sparse_categorical_crossentropy": (LABELS, PROBS),
                  "categorical_crossentropy": (ONEHOT, PROBS)}.get(ours.__name__, (BIN_T, BIN_P))
        np.testing.assert_allclose(_np(ours(yt, yp)), np.asarray(theirs(yt, yp)), rtol=RTOL)


def test_get_other_identifiers(backend):
    inst = losses.Huber()
    assert losses.get(inst) is inst
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    d = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert d.from_logits is True
    with pytest.raises(ValueError, match="mean_squared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError):
        losses.MeanSquaredError(reduction="average")
