"""The Keras 3 metrics added for issue 14 (confusion counts, operating-point metrics, IoU family,
correlations, and the metric functions Keras exports) against real Keras 3 (JAX backend) as the
oracle: results after two (weighted) updates, state variables (names, shapes, dtypes), reset, the
stateless API under ``jax.jit``, configs and serialization, exception types, and ``fit``.

Tolerances rtol 1e-5, atol 1e-6 times the largest value compared: float32 sums of the same weighted
counts, accumulated in a different order (Keras' bucketed path uses a reversed cumulative sum and
derives TN/FN by subtracting from totals, leaving residues of about 1e-7 of the totals where kshim
gives an exact 0); unweighted counts are exact.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kshim
from kshim import metrics, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(41)
B, C = 16, 4


def _batch():
    labels = rng.integers(0, C, size=B)
    return {
        "bin_t": rng.integers(0, 2, size=(B, 3)).astype("float32"),
        "bin_p": rng.uniform(0, 1, size=(B, 3)).astype("float32"),
        # rounded scores sit exactly on thresholds: ties are decided as Keras decides them
        "tie_p": np.round(rng.uniform(0, 1, size=(B, 3)), 2).astype("float32"),
        "labels": labels, "pred_ids": rng.integers(0, C, size=B),
        "onehot": np.eye(C, dtype="float32")[labels],
        "probs": rng.dirichlet(np.ones(C), size=B).astype("float32"),
        "seg_t": rng.integers(0, C, size=(B, 3, 3)),
        "seg_p": rng.integers(-1, C + 1, size=(B, 3, 3)),  # some ids out of range: not counted
        "reg_t": rng.normal(size=(B, 5)).astype("float32"),
        "reg_p": rng.normal(size=(B, 5)).astype("float32"),
        "sw": rng.uniform(0, 2, size=(B,)).astype("float32"),
        "sw_int": rng.integers(0, 3, size=(B,)).astype("int32"),
    }


BATCHES = [_batch(), _batch()]
HUNDREDTHS = [i / 100 for i in range(101)]

CASES = [
    ("TruePositives", {}, "bin_t", "bin_p"),
    ("TruePositives", {"thresholds": HUNDREDTHS}, "bin_t", "tie_p"),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.8]}, "bin_t", "bin_p"),
    ("FalsePositives", {"thresholds": 0.3}, "bin_t", "tie_p"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "bin_t", "tie_p"),
    ("TrueNegatives", {}, "bin_t", "bin_p"),
    ("FalseNegatives", {"thresholds": HUNDREDTHS}, "bin_t", "tie_p"),
    ("PrecisionAtRecall", {"recall": 0.6}, "bin_t", "bin_p"),
    ("PrecisionAtRecall", {"recall": 0.8, "num_thresholds": 101}, "bin_t", "tie_p"),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 11}, "bin_t", "tie_p"),
    ("RecallAtPrecision", {"precision": 0.99}, "bin_t", "bin_p"),
    ("SensitivityAtSpecificity", {"specificity": 0.7, "class_id": 2}, "onehot", "probs"),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 2}, "bin_t", "bin_p"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.4}, "bin_t", "tie_p"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.4, "num_thresholds": 1}, "bin_t", "bin_p"),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "labels", "pred_ids"),
    ("IoU", {"num_classes": C, "target_class_ids": [3], "ignore_class": 0}, "labels", "pred_ids"),
    ("MeanIoU", {"num_classes": C}, "seg_t", "seg_p"),
    ("MeanIoU", {"num_classes": C, "ignore_class": 1}, "labels", "pred_ids"),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, "labels", "probs"),
    ("MeanIoU", {"num_classes": C, "dtype": "float32"}, "labels", "pred_ids"),
    ("BinaryIoU", {}, "bin_t", "bin_p"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "bin_t", "tie_p"),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [1, 3]}, "onehot", "probs"),
    ("OneHotMeanIoU", {"num_classes": C}, "onehot", "probs"),
    ("OneHotMeanIoU", {"num_classes": C, "ignore_class": 2}, "onehot", "probs"),
    ("PearsonCorrelation", {}, "reg_t", "reg_p"),
    ("PearsonCorrelation", {"axis": 0}, "reg_t", "reg_p"),
    ("ConcordanceCorrelation", {}, "reg_t", "reg_p"),
    ("ConcordanceCorrelation", {"axis": 0}, "reg_t", "reg_p"),
]
IDS = [f"{c[0]}-{'-'.join(c[1]) or 'default'}-{i}" for i, c in enumerate(CASES)]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _close(got, want, **kw):
    scale = max(1.0, float(np.max(np.abs(want)))) if np.size(want) else 1.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * scale, **kw)


def _weights(name, kw, b, tk, weight_key):
    """Per-sample weights where Keras takes them: its IoU metrics broadcast weights to the *flattened*
    labels, so (batch,) weights do not fit multi-dimensional labels there; a correlation along axis 0
    gives one value per column, not per sample."""
    if weight_key is None or ("IoU" in name and tk in ("seg_t", "bin_t")) or kw.get("axis") == 0:
        return None
    return b[weight_key]


def _run(mod, name, kw, tk, pk, weight_key):
    m = getattr(mod.metrics, name)(**kw)
    for b in BATCHES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "float weights with an int dtype" (both libraries warn)
            m.update_state(b[tk], b[pk], sample_weight=_weights(name, kw, b, tk, weight_key))
    return m


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_metric_matches_keras(backend, name, kw, tk, pk):
    for weight_key in (None, "sw", "sw_int"):
        want = np.asarray(_run(keras, name, kw, tk, pk, weight_key).result())
        m = _run(kshim, name, kw, tk, pk, weight_key)
        got = _np(m.result())
        assert got.shape == want.shape and got.dtype == want.dtype, weight_key
        _close(got, want, err_msg=f"weights={weight_key}")
    km = _run(keras, name, kw, tk, pk, None)
    assert [(v.name, tuple(v.shape), str(v.dtype)) for v in m.variables] == \
        [(v.name, tuple(v.shape), str(v.dtype)) for v in km.variables]
    assert [v.path.split("/")[-1] for v in m.variables] == [v.path.split("/")[-1] for v in km.variables]
    m.reset_state()
    for v in m.variables:
        assert not np.any(v.numpy())
    # after a reset, one update gives the same result as a fresh metric
    fresh = getattr(metrics, name)(**kw)
    for mm in (m, fresh):
        mm.update_state(BATCHES[1][tk], BATCHES[1][pk])
    np.testing.assert_allclose(_np(m.result()), _np(fresh.result()), rtol=1e-7)


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_stateless_equals_stateful(backend, name, kw, tk, pk):
    ref = _run(kshim, name, kw, tk, pk, None)
    m = getattr(metrics, name)(**kw)
    vals = m.stateless_reset_state()
    for b in BATCHES:
        vals = m.stateless_update_state(vals, b[tk], b[pk])
    np.testing.assert_allclose(_np(m.stateless_result(vals)), _np(ref.result()), rtol=1e-7, atol=1e-7)
    for v in m.variables:  # the stateless calls did not touch the variables
        assert not np.any(v.numpy())


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_stateless_update_traces_under_jax_jit(backend, name, kw, tk, pk):
    if backend.name != "jax":
        pytest.skip("jax.jit only")
    import jax
    m = getattr(metrics, name)(**kw)
    ref = _run(kshim, name, kw, tk, pk, "sw")
    step = jax.jit(lambda v, t, p, w: m.stateless_update_state(v, t, p, sample_weight=w))
    vals = [v.value for v in m.variables]
    for b in BATCHES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vals = step(vals, b[tk], b[pk], _weights(name, kw, b, tk, "sw"))
    np.testing.assert_allclose(_np(m.stateless_result(vals)), _np(ref.result()), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,kw,tk,pk", CASES, ids=IDS)
def test_config_and_serialization_match_keras(backend, name, kw, tk, pk):
    ours, theirs = getattr(metrics, name)(**kw), getattr(keras.metrics, name)(**kw)
    cfg, kcfg = ours.get_config(), theirs.get_config()
    cfg.pop("name"), kcfg.pop("name")  # auto-names are uniquified per process
    assert cfg == kcfg
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    ser = metrics.serialize(ours)
    assert ser["class_name"] == name and ser["module"] == "keras.metrics"
    again = metrics.deserialize(ser)
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    # a config written by Keras loads in kshim
    assert type(metrics.deserialize(keras.metrics.serialize(theirs))) is type(ours)


def test_positional_arguments_match_keras(backend):
    b = BATCHES[0]
    for name, args, tk, pk in [("TruePositives", ([0.3, 0.6], "tp"), "bin_t", "bin_p"),
                               ("PrecisionAtRecall", (0.5, 50, None, "par"), "bin_t", "bin_p"),
                               ("SpecificityAtSensitivity", (0.3, 20, 1), "onehot", "probs"),
                               ("IoU", (C, [1, 2], "iou", None, 0), "labels", "pred_ids"),
                               ("MeanIoU", (C, "miou", None, None, True, False), "labels", "probs"),
                               ("BinaryIoU", ([0], 0.4, "biou"), "bin_t", "bin_p"),
                               ("OneHotIoU", (C, [0, 3], "ohiou"), "onehot", "probs"),
                               ("OneHotMeanIoU", (C, "ohmiou", None, 1), "onehot", "probs"),
                               ("PearsonCorrelation", ("pc", None, 0), "reg_t", "reg_p")]:
        ours, theirs = getattr(metrics, name)(*args), getattr(keras.metrics, name)(*args)
        cfg, kcfg = ours.get_config(), theirs.get_config()
        if cfg["name"] != kcfg["name"]:  # auto-names (no name passed) are uniquified per library
            assert not isinstance(args[-1], str) and cfg["name"].startswith(kcfg["name"].rsplit("_", 1)[0])
            cfg.pop("name"), kcfg.pop("name")
        assert cfg == kcfg, name
        ours.update_state(b[tk], b[pk])
        theirs.update_state(b[tk], b[pk])
        _close(_np(ours.result()), np.asarray(theirs.result()), err_msg=name)


@pytest.mark.parametrize("alias", ["true_positives", "false_positives", "true_negatives", "false_negatives",
                                   "TruePositives", "pearson_correlation", "PearsonCorrelation",
                                   "concordance_correlation", "ConcordanceCorrelation", "binary_io_u",
                                   "BinaryIoU"])
def test_get_aliases_match_keras(backend, alias):
    assert type(metrics.get(alias)).__name__ == type(keras.metrics.get(alias)).__name__


@pytest.mark.parametrize("alias", ["io_u", "mean_io_u", "one_hot_io_u", "precision_at_recall", "IoU", "MeanIoU",
                                   "SensitivityAtSpecificity"])
def test_get_of_metrics_with_required_arguments_raises_like_keras(backend, alias):
    """These need constructor arguments; ``get(name)`` fails with Keras' exception type (TypeError),
    while the class itself resolves through ``deserialize``."""
    with pytest.raises(Exception) as theirs:
        keras.metrics.get(alias)
    with pytest.raises(type(theirs.value)):
        metrics.get(alias)
    assert isinstance(metrics.deserialize(alias), type)


def test_metric_functions_match_keras(backend):
    b = BATCHES[0]
    for fn in ("pearson_correlation", "concordance_correlation"):
        for axis in (-1, 0):
            want = np.asarray(getattr(keras.metrics, fn)(b["reg_t"], b["reg_p"], axis=axis))
            got = _np(getattr(metrics, fn)(b["reg_t"], b["reg_p"], axis=axis))
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    # Keras' metric namespace re-exports these loss functions; so does kshim's
    assert metrics.huber is kshim.losses.huber and keras.metrics.huber is keras.losses.huber
    assert metrics.binary_focal_crossentropy is kshim.losses.binary_focal_crossentropy
    assert metrics.categorical_focal_crossentropy is kshim.losses.categorical_focal_crossentropy
    for fn, t, p in (("huber", "reg_t", "reg_p"), ("binary_focal_crossentropy", "bin_t", "bin_p"),
                     ("categorical_focal_crossentropy", "onehot", "probs")):
        np.testing.assert_allclose(_np(getattr(metrics, fn)(b[t], b[p])),
                                   np.asarray(getattr(keras.metrics, fn)(b[t], b[p])), rtol=RTOL, atol=ATOL)
        assert metrics.deserialize(metrics.serialize(getattr(metrics, fn))) is getattr(metrics, fn)


def test_pearson_against_numpy(backend):
    """Independent reference: NumPy's corrcoef per row."""
    b = BATCHES[1]
    want = [np.corrcoef(t, p)[0, 1] for t, p in zip(b["reg_t"].astype("float64"), b["reg_p"].astype("float64"))]
    np.testing.assert_allclose(_np(metrics.pearson_correlation(b["reg_t"], b["reg_p"])), want, rtol=1e-5)


def test_iou_against_a_hand_count(backend):
    """Two classes: class 0 has TP 1, FP 1, FN 1 -> 1/3; class 1 has TP 2, FP 1, FN 1 -> 1/2."""
    m = metrics.MeanIoU(2)
    m.update_state([0, 0, 1, 1, 1], [0, 1, 0, 1, 1])
    np.testing.assert_allclose(float(_np(m.result())), (1 / 3 + 1 / 2) / 2, rtol=1e-6)
    np.testing.assert_array_equal(m.variables[0].numpy(), [[1, 1], [1, 2]])


def test_evenly_spaced_thresholds_decide_ties_as_keras(backend):
    """With 101 evenly spaced thresholds a score of 0.15 sits on the 16th one; Keras (bucketed path)
    counts it positive there, a plain ``score > threshold`` would not. Also for the existing AUC/Precision."""
    yt = np.array([1.0, 0.0, 1.0, 1.0], "float32")
    yp = np.array([0.15, 0.27, 0.3, 0.58], "float32")
    for name, kw in [("TruePositives", {"thresholds": HUNDREDTHS}), ("FalsePositives", {"thresholds": HUNDREDTHS}),
                     ("Precision", {"thresholds": HUNDREDTHS}), ("AUC", {"num_thresholds": 101}),
                     ("RecallAtPrecision", {"precision": 0.9, "num_thresholds": 101})]:
        ours, theirs = getattr(metrics, name)(**kw), getattr(keras.metrics, name)(**kw)
        ours.update_state(yt, yp)
        theirs.update_state(yt, yp)
        _close(_np(ours.result()), np.asarray(theirs.result()), err_msg=name)
    tp = metrics.TruePositives(thresholds=HUNDREDTHS)
    tp.update_state(yt, yp)
    assert _np(tp.result())[15] == 3.0  # 0.15 counted positive at threshold 0.15, as Keras counts it


ERRORS = {
    "threshold above 1": lambda M: M.TruePositives(thresholds=[0.5, 1.5]),
    "threshold None in list": lambda M: M.FalseNegatives(thresholds=[0.5, None]),
    "recall out of range": lambda M: M.PrecisionAtRecall(1.2),
    "precision negative": lambda M: M.RecallAtPrecision(-0.1),
    "specificity out of range": lambda M: M.SensitivityAtSpecificity(2),
    "sensitivity out of range": lambda M: M.SpecificityAtSensitivity(-1),
    "num_thresholds 0": lambda M: M.PrecisionAtRecall(0.5, num_thresholds=0),
    "IoU target id too large": lambda M: M.IoU(3, [0, 3]),
    "recall missing": lambda M: M.PrecisionAtRecall(),
    "MeanIoU num_classes missing": lambda M: M.MeanIoU(),
    "class_id with 1-D predictions": lambda M: M.SensitivityAtSpecificity(0.5, class_id=0).update_state(
        np.array([1.0, 0.0]), np.array([0.4, 0.6])),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_error_types_match_keras(backend, case):
    with pytest.raises(Exception) as theirs:
        ERRORS[case](keras.metrics)
    with pytest.raises(type(theirs.value)):
        ERRORS[case](metrics)


def _fit_metrics():
    M = metrics
    return [M.TruePositives(name="tp"), M.FalsePositives(0.3, name="fp"), M.TrueNegatives(name="tn"),
            M.FalseNegatives(name="fn"), M.PrecisionAtRecall(0.5, name="p_at_r"),
            M.RecallAtPrecision(0.5, name="r_at_p"), M.SensitivityAtSpecificity(0.5, name="sens_at_spec"),
            M.SpecificityAtSensitivity(0.5, name="spec_at_sens"), M.BinaryIoU(name="biou"),
            M.IoU(2, [1], name="iou"), M.MeanIoU(2, name="miou"), M.OneHotIoU(3, [0, 2], name="oh_iou"),
            M.OneHotMeanIoU(3, name="oh_miou"), M.PearsonCorrelation(name="pearson"),
            M.ConcordanceCorrelation(name="ccc")]


def test_each_metric_compiles_and_fits(backend):
    """Every new metric in ``compile(metrics=...)``: ``fit`` logs it (finite), and ``evaluate`` reports
    exactly the metric computed directly on ``predict``'s outputs (3 sigmoid units against one-hot
    targets of 3 classes; the integer-id IoUs see the truncated scores, i.e. class 0)."""
    x = rng.normal(size=(32, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
    y = np.eye(3, dtype="float32")[labels]
    kshim.utils.set_random_seed(7)
    model = kshim.Sequential([kshim.Input((4,)), kshim.layers.Dense(3, activation="sigmoid")])
    model.compile(kshim.optimizers.Adam(0.05), "binary_crossentropy", metrics=_fit_metrics())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
        logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    pred = _np(model.predict(x, verbose=0))
    for m in _fit_metrics():
        assert len(hist[m.name]) == 2 and np.all(np.isfinite(hist[m.name])), m.name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.update_state(y, pred)
        np.testing.assert_allclose(logs[m.name], float(_np(m.result())), rtol=1e-5, atol=1e-6, err_msg=m.name)
