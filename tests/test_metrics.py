"""Metrics vs real Keras 3 (JAX backend) as the oracle: results after two weighted updates, the
stateless API, reset, configs and ``get`` aliases. rtol 1e-5: same float32 accumulation order."""
from __future__ import annotations

import os

import numpy as np
import pytest

from kshim import metrics, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(2)
B, C = 8, 5


def _batch():
    logits = rng.normal(size=(B, C)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, C, size=(B,)).astype("int32")
    return {
        "labels": labels, "onehot": np.eye(C, dtype="float32")[labels], "probs": probs.astype("float32"),
        "bin_t": rng.integers(0, 2, size=(B, 3)).astype("float32"),
        "bin_p": rng.uniform(0, 1, size=(B, 3)).astype("float32"),
        "bin_t1": rng.integers(0, 2, size=(B,)).astype("float32"),
        "bin_p1": rng.uniform(0, 1, size=(B,)).astype("float32"),
        "reg_t": rng.normal(size=(B, 3)).astype("float32"), "reg_p": rng.normal(size=(B, 3)).astype("float32"),
        "int_t": rng.integers(0, 3, size=(B, 1)).astype("float32"),
        "int_p": rng.integers(0, 3, size=(B, 1)).astype("float32"),
        "sw": rng.uniform(0, 2, size=(B,)).astype("float32"),
    }


BATCHES = [_batch(), _batch()]

CASES = [
    ("Accuracy", {}, "int_t", "int_p"),
    ("BinaryAccuracy", {}, "bin_t", "bin_p"),
    ("BinaryAccuracy", {"threshold": 0.3}, "bin_t1", "bin_p1"),
    ("CategoricalAccuracy", {}, "onehot", "probs"),
    ("SparseCategoricalAccuracy", {}, "labels", "probs"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot", "probs"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "labels", "probs"),
    ("MeanSquaredError", {}, "reg_t", "reg_p"),
    ("MeanAbsoluteError", {}, "reg_t", "reg_p"),
    ("MeanAbsolutePercentageError", {}, "reg_t", "reg_p"),
    ("RootMeanSquaredError", {}, "reg_t", "reg_p"),
    ("Precision", {}, "bin_t", "bin_p"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, "bin_t", "bin_p"),
    ("Precision", {"top_k": 2}, "onehot", "probs"),
    ("Precision", {"class_id": 1}, "onehot", "probs"),
    ("Recall", {}, "bin_t1", "bin_p1"),
    ("Recall", {"thresholds": [0.3, 0.6], "class_id": 2}, "bin_t", "bin_p"),
    ("Recall", {"top_k": 1}, "onehot", "probs"),
    ("AUC", {}, "bin_t1", "bin_p1"),
    ("AUC", {"curve": "PR"}, "bin_t", "bin_p"),
    ("AUC", {"curve": "PR", "summation_method": "minoring", "num_thresholds": 50}, "bin_t", "bin_p"),
    ("AUC", {"summation_method": "majoring", "thresholds": [0.25, 0.5, 0.75]}, "bin_t", "bin_p"),
    ("AUC", {"multi_label": True}, "bin_t", "bin_p"),
    ("AUC", {"from_logits": True, "curve": "PRGAIN"}, "bin_t", "reg_p"),
    ("F1Score", {}, "onehot", "probs"),
    ("F1Score", {"average": "macro", "threshold": 0.3}, "onehot", "probs"),
    ("F1Score", {"average": "micro"}, "bin_t", "bin_p"),
    ("F1Score", {"average": "weighted", "threshold": 0.5}, "bin_t", "bin_p"),
    ("FBetaScore", {"beta": 2.0, "average": "macro"}, "onehot", "probs"),
    ("R2Score", {}, "reg_t", "reg_p"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "reg_t", "reg_p"),
    ("R2Score", {"class_aggregation": None}, "reg_t", "reg_p"),
]
IDS = [f"{c[0]}-{'-'.join(c[1]) or 'default'}-{i}" for i, c in enumerate(CASES)]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _run(mod, name, kw, tk, pk, weighted):
    m = getattr(mod.metrics, name)(**kw)
    for b in BATCHES:
        m.update_state(b[tk], b[pk], sample_weight=b["sw"] if weighted else None)
    return m


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_metric_matches_keras(backend, name, kw, tk, pk):
    import kshim
    for weighted in (False, True):
        want = np.asarray(_run(keras, name, kw, tk, pk, weighted).result())
        m = _run(kshim, name, kw, tk, pk, weighted)
        got = _np(m.result())
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"weighted={weighted}")
    km = _run(keras, name, kw, tk, pk, True)
    assert [v.name for v in m.variables] == [v.name for v in km.variables]
    assert [tuple(v.shape) for v in m.variables] == [tuple(v.shape) for v in km.variables]
    m.reset_state()
    for v in m.variables:
        assert not np.any(v.numpy())


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_stateless_equals_stateful(backend, name, kw, tk, pk):
    import kshim
    ref = _run(kshim, name, kw, tk, pk, True)
    m = getattr(metrics, name)(**kw)
    if getattr(m, "_built", True) is False:  # lazily built (R2Score, F1Score): one update creates state
        m.update_state(BATCHES[0][tk], BATCHES[0][pk])
        m.reset_state()
    vals = m.stateless_reset_state()
    for b in BATCHES:
        vals = m.stateless_update_state(vals, b[tk], b[pk], sample_weight=b["sw"])
    np.testing.assert_allclose(_np(m.stateless_result(vals)), _np(ref.result()), rtol=1e-6, atol=1e-7)
    for v in m.variables:  # the stateless calls did not touch the variables
        assert not np.any(v.numpy())


def test_stateless_under_jax_jit(backend):
    if backend.name != "jax":
        pytest.skip("jax.jit only")
    import jax
    m = metrics.AUC()
    ref = metrics.AUC()
    step = jax.jit(lambda v, t, p, w: m.stateless_update_state(v, t, p, sample_weight=w))
    vals = [v.value for v in m.variables]
    for b in BATCHES:
        vals = step(vals, b["bin_t"], b["bin_p"], b["sw"])
        ref.update_state(b["bin_t"], b["bin_p"], sample_weight=b["sw"])
    np.testing.assert_allclose(float(m.stateless_result(vals)), float(_np(ref.result())), rtol=1e-6)


def test_mean_and_sum_match_keras(backend):
    vals = rng.normal(size=(B, 3)).astype("float32")
    sw2 = rng.uniform(size=(B, 3)).astype("float32")
    for cls in ("Mean", "Sum"):
        for sw in (None, BATCHES[0]["sw"], sw2):
            k = getattr(keras.metrics, cls)()
            m = getattr(metrics, cls)()
            for _ in range(2):
                k.update_state(vals, sample_weight=sw)
                m.update_state(vals, sample_weight=sw)
            np.testing.assert_allclose(_np(m.result()), float(k.result()), rtol=RTOL)


def test_mean_metric_wrapper(backend):
    import kshim
    m = metrics.MeanMetricWrapper(kshim.losses.mean_squared_error, name="mse_w")
    k = keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="mse_w")
    for b in BATCHES:
        m.update_state(b["reg_t"], b["reg_p"], sample_weight=b["sw"])
        k.update_state(b["reg_t"], b["reg_p"], sample_weight=b["sw"])
    np.testing.assert_allclose(_np(m.result()), float(k.result()), rtol=RTOL)
    assert m.name == "mse_w"


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_config_matches_keras(backend, name, kw, tk, pk):
    k = getattr(keras.metrics, name)(**kw).get_config()
    m = getattr(metrics, name)(**kw)
    cfg = m.get_config()
    assert set(cfg) == set(k)
    for key in cfg:
        if key != "name":
            assert cfg[key] == k[key] or np.allclose(cfg[key], k[key]), key
    clone = type(m).from_config(cfg)
    assert clone.get_config() == cfg
    assert type(metrics.deserialize(metrics.serialize(m))) is type(m)


def test_metric_functions_match_keras(backend):
    b = BATCHES[0]
    pairs = [("binary_accuracy", "bin_t", "bin_p"), ("categorical_accuracy", "onehot", "probs"),
             ("sparse_categorical_accuracy", "labels", "probs")]
    for fn, t, p in pairs:
        np.testing.assert_allclose(_np(getattr(metrics, fn)(b[t], b[p])),
                                   np.asarray(getattr(keras.metrics, fn)(b[t], b[p])))
    np.testing.assert_array_equal(_np(metrics.accuracy(b["int_t"], b["int_p"])), (b["int_t"] == b["int_p"]))
    np.testing.assert_allclose(_np(metrics.top_k_categorical_accuracy(b["onehot"], b["probs"], k=2)),
                               np.asarray(keras.metrics.top_k_categorical_accuracy(b["onehot"], b["probs"], k=2)))
    np.testing.assert_allclose(
        _np(metrics.sparse_top_k_categorical_accuracy(b["labels"], b["probs"], k=2)),
        np.asarray(keras.metrics.sparse_top_k_categorical_accuracy(b["labels"], b["probs"], k=2)))


@pytest.mark.parametrize("alias", ["accuracy", "mse", "mae", "auc", "AUC", "precision", "recall",
                                   "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                                   "root_mean_squared_error", "r2_score", "f1_score", "MeanSquaredError",
                                   "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"])
def test_get_aliases_match_keras(backend, alias):
    ours, theirs = metrics.get(alias), keras.metrics.get(alias)
    assert type(ours).__name__ == type(theirs).__name__


def test_get_other_identifiers(backend):
    assert isinstance(metrics.get("acc"), metrics.Accuracy)
    inst = metrics.AUC()
    assert metrics.get(inst) is inst
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    assert metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}}).threshold == 0.7
    assert metrics.get("hinge") is metrics.hinge
    with pytest.raises(ValueError, match="accuracy"):
        metrics.get("acuracy")
