"""Loss behaviours that Keras 3's own loss tests check (issue 14), against real Keras 3 or NumPy.

``Circle`` in bfloat16; the configs of ``Huber`` and ``CosineSimilarity`` (kshim records ``delta`` /
``axis``, which Keras 3 drops: a deliberate difference, checked here to stay loadable by Keras); and
``SparseCategoricalCrossentropy`` along a class axis other than the last (supported on every kshim
backend; Keras 3 computes it only on PyTorch). Keras runs on JAX; oracle tests skip without it.
"""
import os

import numpy as np
import pytest

import kshim

os.environ.setdefault("KERAS_BACKEND", "jax")


def _keras():
    return pytest.importorskip("keras")


def _np(x):
    return np.asarray(kshim.ops.convert_to_numpy(x), dtype="float64")


def _embeddings(seed=0, n=8, dim=4):
    r = np.random.RandomState(seed)
    e = r.randn(n, dim).astype("float32")
    return r.randint(0, 3, n), e / np.linalg.norm(e, axis=1, keepdims=True)


# ---- Circle in bfloat16 --------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
def test_circle_bfloat16_matches_keras(backend, reduction):
    keras = _keras()
    y, e = _embeddings()
    got = kshim.losses.Circle(dtype="bfloat16", reduction=reduction)(y, e)
    assert kshim.ops.dtype(got) == "bfloat16"
    ref = keras.losses.Circle(reduction=reduction)(y, e)  # float32 reference
    assert str(keras.losses.Circle(dtype="bfloat16", reduction=reduction)(y, e).dtype) == "bfloat16"
    # bfloat16 keeps 8 significant bits (relative spacing 2**-7 ~ 0.8%); the loss is a logsumexp over
    # a handful of gamma-scaled terms rounded at each step, so a few spacings: 3%.
    np.testing.assert_allclose(_np(got), np.asarray(ref, dtype="float64"), rtol=3e-2, atol=0.5)


def test_circle_low_precision_float16_is_finite(backend):
    y, e = _embeddings(1)
    got = _np(kshim.losses.Circle(dtype="float16", reduction="none")(y, e))
    assert np.all(np.isfinite(got))


# ---- Huber / CosineSimilarity configs ------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("name,option,value", [("Huber", "delta", 0.3), ("CosineSimilarity", "axis", 0)])
def test_config_keeps_option_and_loads_in_keras(backend, name, option, value):
    keras = _keras()
    r = np.random.RandomState(2)
    yt, yp = r.randn(5, 3).astype("float32"), r.randn(5, 3).astype("float32")
    loss = getattr(kshim.losses, name)(**{option: value}, reduction="sum", name="l")
    cfg = loss.get_config()
    assert cfg[option] == value  # Keras 3 drops it (its revived loss is back at the default)
    expected = getattr(keras.losses, name)(**{option: value}, reduction="sum")(yt, yp)
    revived = getattr(kshim.losses, name).from_config(cfg)
    np.testing.assert_allclose(_np(revived(yt, yp)), float(expected), rtol=1e-5)  # float32 sums
    in_keras = getattr(keras.losses, name).from_config(cfg)  # Keras accepts kshim's config...
    np.testing.assert_allclose(float(in_keras(yt, yp)), float(expected), rtol=1e-6)  # ...and honours it
    # ...and kshim accepts Keras' config (the option at its default).
    keras_cfg = getattr(keras.losses, name)(reduction="sum", name="l").get_config()
    default = getattr(keras.losses, name)(reduction="sum")(yt, yp)
    np.testing.assert_allclose(_np(getattr(kshim.losses, name).from_config(keras_cfg)(yt, yp)), float(default),
                               rtol=1e-5)


# ---- SparseCategoricalCrossentropy along another class axis --------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("ignore_class", [None, 1])
def test_scce_class_axis_first_matches_keras_last_axis(backend, classes, ignore_class):
    keras = _keras()
    r = np.random.RandomState(classes)
    y_true = r.randint(0, classes, (4, 4))
    y_pred = r.dirichlet(np.ones(classes), size=(4, 4)).astype("float32")  # (4, 4, classes)
    ref = keras.losses.SparseCategoricalCrossentropy(ignore_class=ignore_class)(y_true, y_pred)
    got = kshim.losses.SparseCategoricalCrossentropy(axis=0, ignore_class=ignore_class)(
        y_true, np.moveaxis(y_pred, 2, 0))
    np.testing.assert_allclose(_np(got), float(ref), rtol=1e-5)  # float32 logs, summed over 16 entries


def test_scce_class_axis_first_exact_predictions(backend):
    # Keras' own segmentation case (its PyTorch branch): one-hot predictions that match give 0.
    y_true = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1]])
    y_pred = np.moveaxis(np.eye(2)[y_true], 2, 0)
    got = kshim.losses.SparseCategoricalCrossentropy(axis=0)(y_true, y_pred)
    np.testing.assert_allclose(_np(got), 0.0, atol=1e-6)
