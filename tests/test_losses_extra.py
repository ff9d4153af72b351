"""The Keras 3 losses added for issue 14 (categorical focal crossentropy, Dice, Tversky, Circle,
generalized crossentropy, CTC) against real Keras 3 (JAX backend) as the oracle: values under every
reduction with and without sample weights, function forms, configs and serialization, positional
arguments, exception types, gradients on every backend, and training through ``fit``.

Tolerances: float32 rtol 1e-5 / atol 1e-6 (the same formulas; only the log/exp/pow kernels of the
backends round differently); float64 rtol 1e-10 (same formulas in double precision).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kshim
from kshim import losses, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(14)
B, C, D = 8, 4, 5


def _unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype("float32")


LABELS = rng.integers(0, C, size=B)
ONEHOT = np.eye(C, dtype="float32")[LABELS]
PROBS = rng.dirichlet(np.ones(C), size=B).astype("float32")
LOGITS = (rng.normal(size=(B, C)) * 2).astype("float32")
SEG_T = rng.integers(0, 2, size=(B, 3, 3, 1)).astype("float32")
SEG_P = rng.uniform(0.0, 1.0, size=(B, 3, 3, 1)).astype("float32")
EMB = _unit(rng.normal(size=(B, D)))
# every label occurs at least twice except the last two (their Circle loss is 0, and masked out)
EMB_LABELS = np.array([0, 0, 1, 1, 2, 2, 3, 4])
SW = rng.uniform(0.1, 2.0, size=(B,)).astype("float32")
# CTC: 0-padded label sequences (lengths 3, 2, 1, ...) against logits over T=7 steps of 5 classes
SEQ = rng.integers(1, 5, size=(B, 3))
SEQ[1, 2:] = 0
SEQ[2, 1:] = 0
SEQ_LOGITS = rng.normal(size=(B, 7, 5)).astype("float32")

CASES = [
    ("CategoricalFocalCrossentropy", {}, ONEHOT, PROBS),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0, "from_logits": True,
                                      "label_smoothing": 0.1}, ONEHOT, LOGITS),
    ("CategoricalFocalCrossentropy", {"gamma": 0.0, "alpha": 1.0}, ONEHOT, PROBS),
    ("Dice", {}, SEG_T, SEG_P),
    ("Dice", {"axis": (1, 2, 3)}, SEG_T, SEG_P),
    ("Tversky", {}, SEG_T, SEG_P),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, SEG_T, SEG_P),
    ("Circle", {}, EMB_LABELS, EMB),
    ("Circle", {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False}, EMB_LABELS, EMB),
    ("CategoricalGeneralizedCrossEntropy", {}, LABELS, PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, LABELS, PROBS),
    ("CTC", {}, SEQ, SEQ_LOGITS),
]
IDS = [f"{c[0]}-{'-'.join(c[1]) or 'default'}-{i}" for i, c in enumerate(CASES)]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_loss_class_matches_keras(backend, name, kw, yt, yp):
    for reduction in REDUCTIONS:
        for sw in (None, SW):
            want = np.asarray(getattr(keras.losses, name)(reduction=reduction, **kw)(yt, yp, sample_weight=sw))
            got = _np(getattr(losses, name)(reduction=reduction, **kw)(yt, yp, sample_weight=sw))
            assert got.shape == want.shape and got.dtype == want.dtype, (reduction, sw is None)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{reduction} weighted={sw is not None}")


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_loss_class_matches_keras_in_float64(backend, name, kw, yt, yp, request):
    want = np.asarray(getattr(keras.losses, name)(dtype="float64", **kw)(yt, yp.astype("float64"), sample_weight=SW))
    got = _np(getattr(losses, name)(dtype="float64", **kw)(yt, yp.astype("float64"), sample_weight=SW))
    assert got.dtype == np.float64
    if name == "CTC":  # deliberate: kshim.ops.ctc_loss keeps float64; Keras computes CTC in float32
        np.testing.assert_allclose(got, want, rtol=1e-6)
        return
    assert want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_config_and_serialization_match_keras(backend, name, kw, yt, yp):
    ours, theirs = getattr(losses, name)(**kw), getattr(keras.losses, name)(**kw)
    cfg = ours.get_config()
    assert cfg == theirs.get_config()
    clone = type(ours).from_config(cfg)
    assert clone.get_config() == cfg
    np.testing.assert_allclose(_np(clone(yt, yp)), _np(ours(yt, yp)), rtol=1e-7)
    ser = losses.serialize(ours)
    assert ser == keras.losses.serialize(theirs)
    again = losses.deserialize(ser)
    assert type(again) is type(ours) and again.get_config() == cfg
    assert type(losses.get(ser)) is type(ours)


def test_names_resolve_like_keras(backend):
    for name in ("dice", "tversky", "circle", "ctc", "categorical_focal_crossentropy"):
        assert losses.get(name) is getattr(losses, name)
        assert keras.losses.get(name).__name__ == name
    for name in ("Dice", "Tversky", "Circle", "CTC", "CategoricalFocalCrossentropy"):
        assert type(losses.get(name)).__name__ == type(keras.losses.get(name)).__name__ == name
    # Keras 3.15 does not register the generalized crossentropy by name; kshim does (a superset).
    assert isinstance(losses.get("CategoricalGeneralizedCrossEntropy"), losses.CategoricalGeneralizedCrossEntropy)
    assert losses.get("categorical_generalized_cross_entropy") is losses.categorical_generalized_cross_entropy
    assert losses.serialize(losses.dice) == "dice"
    new = {"CTC", "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "Circle", "Dice", "Tversky",
           "categorical_focal_crossentropy", "categorical_generalized_cross_entropy", "circle", "ctc", "dice",
           "tversky"}
    assert new <= set(dir(keras.losses)) and new <= set(losses.__all__)  # `from kshim.losses import *` has them


def test_function_forms_match_keras(backend):
    pairs = [
        ("categorical_focal_crossentropy", (ONEHOT, PROBS), {}),
        ("categorical_focal_crossentropy", (ONEHOT, LOGITS), {"from_logits": True, "alpha": 0.5, "gamma": 1.5}),
        ("categorical_focal_crossentropy", (ONEHOT.T, PROBS.T), {"axis": 0}),
        ("dice", (SEG_T, SEG_P), {}),
        ("dice", (SEG_T, SEG_P), {"axis": (1, 2)}),
        ("tversky", (SEG_T, SEG_P), {"alpha": 0.8, "beta": 0.2, "axis": (1, 2, 3)}),
        ("circle", (EMB_LABELS, EMB), {}),
        ("circle", (EMB_LABELS, EMB), {"ref_labels": EMB_LABELS[::-1].copy(), "ref_embeddings": EMB[::-1].copy(),
                                       "gamma": 30.0, "margin": 0.3}),
        ("circle", (EMB_LABELS[:5], EMB[:5]), {"ref_labels": EMB_LABELS, "ref_embeddings": EMB,
                                               "remove_diagonal": False}),
        ("categorical_generalized_cross_entropy", (LABELS, PROBS), {"q": 0.7}),
        ("ctc", (SEQ, SEQ_LOGITS), {}),
        ("ctc", (SEQ[:, :1], SEQ_LOGITS[:, :2]), {}),
    ]
    for fn, args, kw in pairs:
        want = np.asarray(getattr(keras.losses, fn)(*args, **kw))
        got = _np(getattr(losses, fn)(*args, **kw))
        assert got.shape == want.shape, fn
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{fn} {sorted(kw)}")


def test_generalized_crossentropy_takes_column_labels(backend):
    """Deliberate difference: (batch, 1) labels give the per-sample loss Keras documents (Keras itself
    broadcasts them into a (batch, batch) result)."""
    flat = _np(losses.categorical_generalized_cross_entropy(LABELS, PROBS, q=0.5))
    col = _np(losses.categorical_generalized_cross_entropy(LABELS[:, None], PROBS, q=0.5))
    np.testing.assert_allclose(col, flat, rtol=1e-7)
    np.testing.assert_allclose(flat, (1 - PROBS[np.arange(B), LABELS] ** 0.5) / 0.5, rtol=RTOL)
    assert np.asarray(keras.losses.categorical_generalized_cross_entropy(LABELS[:, None], PROBS, q=0.5)).shape == (B, B)


def test_circle_masks_queries_without_pairs(backend):
    """Queries with no positive pair give 0 and are left out of the average (as in Keras)."""
    per = _np(losses.Circle(reduction="none")(EMB_LABELS, EMB))
    assert per[-2:].tolist() == [0.0, 0.0] and np.all(per[:-2] > 0)
    np.testing.assert_allclose(_np(losses.Circle()(EMB_LABELS, EMB)), per[:-2].mean(), rtol=RTOL)
    none_pair = _np(losses.Circle()(np.arange(B), EMB))  # no positives at all: nothing to average
    assert none_pair == 0.0


def test_positional_arguments_match_keras(backend):
    for cls, args in [("Dice", ("sum", "d", (1, 2, 3))), ("Tversky", (0.3, 0.7, "none", "tv", (1, 2, 3))),
                      ("CategoricalFocalCrossentropy", (0.5, 1.0, False, 0.1, -1, "sum", "cf")),
                      ("Circle", (20.0, 0.3, False, "sum", "c")), ("CategoricalGeneralizedCrossEntropy", (0.3, "sum")),
                      ("CTC", ("none", "c"))]:
        ours, theirs = getattr(losses, cls)(*args), getattr(keras.losses, cls)(*args)
        assert ours.get_config() == theirs.get_config(), cls
        yt, yp = {"Dice": (SEG_T, SEG_P), "Tversky": (SEG_T, SEG_P), "CategoricalFocalCrossentropy": (ONEHOT, PROBS),
                  "Circle": (EMB_LABELS, EMB), "CTC": (SEQ, SEQ_LOGITS)}.get(cls, (LABELS, PROBS))
        np.testing.assert_allclose(_np(ours(yt, yp)), np.asarray(theirs(yt, yp)), rtol=RTOL, atol=ATOL)


ERRORS = {
    "q at 0": lambda L: L.CategoricalGeneralizedCrossEntropy(q=0.0),
    "q at 1": lambda L: L.CategoricalGeneralizedCrossEntropy(1.0),
    "focal axis bool": lambda L: L.categorical_focal_crossentropy(ONEHOT, PROBS, axis=True),
    "dice bad reduction": lambda L: L.Dice(reduction="average"),
    "circle bad reduction": lambda L: L.Circle(reduction="avg"),
    "ctc 1-D targets": lambda L: L.ctc(SEQ[:, 0], SEQ_LOGITS),
    "ctc 2-D logits": lambda L: L.CTC()(SEQ, SEQ_LOGITS[:, 0]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_error_types_match_keras(backend, case):
    with pytest.raises(Exception) as theirs:
        ERRORS[case](keras.losses)
    with pytest.raises(type(theirs.value)):
        ERRORS[case](losses)


def test_focal_shape_mismatch_names_the_loss(backend):
    with pytest.raises(ValueError, match="categorical_focal_crossentropy"):
        losses.CategoricalFocalCrossentropy()(LABELS.astype("float32"), PROBS)


def test_focal_single_class_warns_like_keras(backend):
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_focal_crossentropy(np.ones((3, 1), "float32"), np.full((3, 1), 0.5, "float32"))


@pytest.mark.parametrize("name,kw,yt,yp", CASES, ids=IDS)
def test_gradients_match_keras_on_every_backend(backend, name, kw, yt, yp):
    """d loss / d y_pred (sample-weighted) on this backend equals jax.grad of the Keras loss."""
    import jax
    kloss, loss = getattr(keras.losses, name)(**kw), getattr(losses, name)(**kw)
    want = np.asarray(jax.grad(lambda p: kloss(yt, p, sample_weight=SW))(yp))
    value, grad = backend.value_and_grad(lambda p: loss(yt, p, sample_weight=SW))(ops.convert_to_tensor(yp))
    got = _np(grad)
    assert got.shape == yp.shape and np.all(np.isfinite(got))
    np.testing.assert_allclose(float(_np(value)), float(kloss(yt, yp, sample_weight=SW)), rtol=RTOL, atol=ATOL)
    # atol scaled to the gradient: Circle's gamma=80 makes entries of order 10
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(want).max()))


def test_circle_gradient_is_finite_when_a_row_has_no_pairs(backend):
    """All-singleton labels: every logsumexp is over an empty set; the gradient must stay finite (0)."""
    loss = losses.Circle()
    _, g = backend.value_and_grad(lambda p: loss(np.arange(B), p))(ops.convert_to_tensor(EMB))
    g = _np(g)
    assert np.all(np.isfinite(g)) and not np.any(g)


FIT = [  # (targets, output activation, output units, input shape)
    ("CategoricalFocalCrossentropy", lambda: (ONEHOT, "softmax", C, (6,))),
    ("Dice", lambda: (SEG_T.reshape(B, -1), "sigmoid", 9, (6,))),
    ("Tversky", lambda: (SEG_T.reshape(B, -1), "sigmoid", 9, (6,))),
    ("CategoricalGeneralizedCrossEntropy", lambda: (LABELS, "softmax", C, (6,))),
    ("Circle", lambda: (EMB_LABELS, None, D, (6,))),
    ("CTC", lambda: (SEQ, None, 5, (7, 6))),
]


@pytest.mark.parametrize("name,data", FIT, ids=[f[0] for f in FIT])
def test_each_loss_trains_with_fit(backend, name, data):
    y, activation, units, in_shape = data()
    x = rng.normal(size=(B,) + in_shape).astype("float32")
    kshim.utils.set_random_seed(3)
    layers = [kshim.Input(in_shape), kshim.layers.Dense(units, activation=activation)]
    if name == "Circle":
        layers.append(kshim.layers.UnitNormalization())
    model = kshim.Sequential(layers)
    model.compile(kshim.optimizers.Adam(0.05), getattr(losses, name)())
    before = float(model.evaluate(x, y, verbose=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hist = model.fit(x, y, epochs=15, batch_size=B, verbose=0).history["loss"]
    after = float(model.evaluate(x, y, verbose=0))
    assert np.all(np.isfinite(hist))
    np.testing.assert_allclose(hist[0], before, rtol=1e-5)
    assert after < before, (name, before, after)
