"""Metric behaviours that Keras 3's own metric tests check (issue 14), asserted against real Keras 3.

Each test compares kshim with Keras on the same input: error messages (Keras' tests match them with
``assertRaisesRegex``), the enum attributes and config of ``AUC``, and the sample weighting of
``SparseCategoricalCrossentropy(ignore_class=...)``. The last tests cover the conformance harness
(``kshim.compat.keras_conformance_plugin``) itself. Keras runs on JAX; tests skip without it.
"""
import os
import re

import numpy as np
import pytest

import kshim

os.environ.setdefault("KERAS_BACKEND", "jax")


def _keras():
    return pytest.importorskip("keras")


def _message(fn):
    """The message of the ValueError ``fn()`` raises."""
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


def _f(x):
    return float(np.asarray(kshim.ops.convert_to_numpy(x), dtype="float64"))


# ---- confusion-count thresholds ------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("name", ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
                                  "Precision", "Recall"])
def test_threshold_error_lists_only_invalid_thresholds(backend, name):
    keras = _keras()
    got = _message(lambda: getattr(kshim.metrics, name)(thresholds=[-1, 0.5, 2]))
    assert got == _message(lambda: getattr(keras.metrics, name)(thresholds=[-1, 0.5, 2]))
    assert re.search(r"Threshold values must be in \[0, 1\]. Received: \[-1, 2\]", got)


# ---- FBetaScore / F1Score / R2Score argument and shape validation --------------------------------
FBETA_BAD = [dict(beta=0.0), dict(beta=-1.0), dict(beta=-0.5), dict(beta=1), dict(beta=None),
             dict(threshold=1.1), dict(threshold=0.0), dict(threshold=-0.5), dict(threshold=1),
             dict(threshold="0.5"), dict(average="mean")]


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", FBETA_BAD, ids=lambda k: repr(k))
def test_fbeta_argument_errors_match_keras(backend, kwargs):
    keras = _keras()
    kwargs = {"average": "macro", "beta": 1.0, "threshold": None, **kwargs}
    assert _message(lambda: kshim.metrics.FBetaScore(**kwargs)) == _message(
        lambda: keras.metrics.FBetaScore(**kwargs))


@pytest.mark.oracle
@pytest.mark.parametrize("shapes", [((2, None), (2, None)), ((2, 3, 4), (2, 3, 4))])
@pytest.mark.parametrize("name", ["FBetaScore", "R2Score"])
def test_build_shape_errors_match_keras(backend, name, shapes):
    keras = _keras()
    got = _message(lambda: getattr(kshim.metrics, name)()._build(*shapes))
    assert got == _message(lambda: getattr(keras.metrics, name)()._build(*shapes))


# ---- AUC: enum attributes, plain-string config ---------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("curve,summation", [("PR", "majoring"), ("roc", "Interpolation"), ("PRGAIN", "minoring")])
def test_auc_curve_and_summation_are_enums_and_config_is_keras(backend, curve, summation):
    keras = _keras()
    from kshim.metrics.metrics_utils import AUCCurve, AUCSummationMethod
    kw = dict(num_thresholds=50, curve=curve, summation_method=summation, multi_label=True, num_labels=2,
              name="auc_1")
    got, ref = kshim.metrics.AUC(**kw), keras.metrics.AUC(**kw)
    assert isinstance(got.curve, AUCCurve) and isinstance(got.summation_method, AUCSummationMethod)
    assert got.curve.value == ref.curve.value and got.summation_method.value == ref.summation_method.value
    assert got.curve == ref.curve.value  # the members are also the strings
    cfg = got.get_config()
    assert type(cfg["curve"]) is str and type(cfg["summation_method"]) is str
    ref_cfg = ref.get_config()
    for key in ("curve", "summation_method", "num_thresholds", "multi_label", "num_labels", "from_logits"):
        assert cfg[key] == ref_cfg[key], key
    revived = kshim.metrics.AUC.from_config(cfg)
    assert revived.curve is got.curve and revived.get_config() == cfg
    # The same result as Keras after an update (state and curve summation are unchanged by the enums).
    r = np.random.RandomState(0)
    yt, yp = (r.rand(16, 2) > 0.5).astype("float32"), r.rand(16, 2).astype("float32")
    got.update_state(yt, yp)
    ref.update_state(yt, yp)
    np.testing.assert_allclose(_f(got.result()), float(ref.result()), rtol=1e-5, atol=1e-6)  # float32 sums


@pytest.mark.oracle
def test_auc_accepts_keras_enum_members(backend):
    _keras()
    from keras.src.metrics import metrics_utils
    got = kshim.metrics.AUC(curve=metrics_utils.AUCCurve.PR,
                            summation_method=metrics_utils.AUCSummationMethod.MINORING)
    assert got.curve == "PR" and got.summation_method == "minoring"


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", [dict(summation_method="Invalid"), dict(curve="Invalid")])
def test_auc_invalid_option_messages_match_keras(backend, kwargs):
    keras = _keras()
    assert _message(lambda: kshim.metrics.AUC(**kwargs)) == _message(lambda: keras.metrics.AUC(**kwargs))


# ---- SparseCategoricalCrossentropy metric with ignore_class --------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("shape,sw_shape", [((6,), None), ((6,), (6,)), ((3, 4), None), ((3, 4), (3, 4)),
                                            ((3, 4), (3, 1))])
def test_scce_metric_ignore_class_matches_keras(backend, shape, sw_shape):
    keras = _keras()
    r = np.random.RandomState(1)
    yt = r.randint(0, 3, shape)
    yp = r.dirichlet(np.ones(3), size=shape).astype("float32")
    sw = None if sw_shape is None else r.rand(*sw_shape).astype("float32")
    got = kshim.metrics.SparseCategoricalCrossentropy(ignore_class=0)
    ref = keras.metrics.SparseCategoricalCrossentropy(ignore_class=0)
    for _ in range(2):  # accumulated over two updates
        got.update_state(yt, yp, sample_weight=sw)
        ref.update_state(yt, yp, sample_weight=sw)
    np.testing.assert_allclose(_f(got.result()), float(ref.result()), rtol=1e-5)  # float32 log and sums


def test_scce_metric_ignore_class_weighted_reference(backend):
    # Keras 3's own expected value: the ignored entry's weight leaves the denominator.
    m = kshim.metrics.SparseCategoricalCrossentropy(ignore_class=0)
    y_pred = np.array([[0.8, 0.1, 0.1], [0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    res = m(np.array([0, 1, 2]), y_pred, sample_weight=np.array([0.5, 1.5, 2.0]))
    expected = (1.5 * -np.log(0.95) + 2.0 * -np.log(0.1)) / 3.5
    np.testing.assert_allclose(_f(res), expected, rtol=1e-5)


# ---- the conformance harness ---------------------------------------------------------------------
@pytest.fixture
def patched_keras_saving():
    """``keras.src.saving`` with the plugin's serialization routing, restored afterwards."""
    _keras()
    import keras.src.saving as keras_saving
    from kshim.compat import keras_conformance_plugin as plugin
    saved = {k: getattr(keras_saving, k) for k in ("serialize_keras_object", "deserialize_keras_object")}
    had_flag = getattr(keras_saving, "__kshim_patched__", None)
    plugin._patch_serialization()
    try:
        yield keras_saving
    finally:
        for k, v in saved.items():
            setattr(keras_saving, k, v)
        if had_flag is None:
            keras_saving.__dict__.pop("__kshim_patched__", None)
        else:
            keras_saving.__kshim_patched__ = had_flag


@pytest.mark.oracle
@pytest.mark.parametrize("make", [lambda m: m.metrics.Poisson(name="poisson"),
                                  lambda m: m.losses.Huber(delta=2.5, name="h"),
                                  lambda m: m.metrics.AUC(curve="PR", num_thresholds=20)],
                         ids=["Poisson", "Huber", "AUC"])
def test_harness_serialization_round_trip_goes_through_kshim(backend, patched_keras_saving, make):
    import json
    keras = _keras()
    obj = make(kshim)
    config = patched_keras_saving.serialize_keras_object(obj)
    assert config["module"].startswith("keras.")  # kshim's serializer writes Keras' module names
    revived = patched_keras_saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert type(revived) is type(obj) and revived.get_config() == obj.get_config()
    # Keras objects are still serialized by Keras. Their configs name the same public Keras API, which the
    # harness maps to kshim (as it maps ``keras.metrics.Poisson``): they revive as kshim objects.
    ref = make(keras)
    from keras.src.saving import serialization_lib
    assert patched_keras_saving.serialize_keras_object(ref) == serialization_lib.serialize_keras_object(ref)
    from kshim.compat import keras_conformance_plugin as plugin
    assert plugin._is_kshim_config(config)
    assert not plugin._is_kshim_config({**config, "module": "keras.src.legacy.saving"})  # not kshim's
    assert not plugin._is_kshim_config("poisson")


@pytest.mark.oracle
def test_harness_sees_keras_custom_objects(backend, patched_keras_saving):
    keras = _keras()
    from keras.src.saving import custom_object_scope

    class MyMetric(kshim.metrics.Mean):
        pass

    config = patched_keras_saving.serialize_keras_object(MyMetric(name="mine"))
    with custom_object_scope({"MyMetric": MyMetric}):
        revived = patched_keras_saving.deserialize_keras_object(config)
    assert type(revived) is MyMetric and revived.name == "mine"
    del keras


@pytest.mark.oracle
def test_harness_patch_maps_by_name_imports_and_internal_enums(backend):
    _keras()
    import types

    from keras.src.metrics import metrics_utils
    from keras.src.ops import convert_to_tensor

    from kshim.compat import keras_conformance_plugin as plugin
    fake = types.ModuleType("keras.src.metrics.fake_test")
    fake.convert_to_tensor, fake.metrics_utils = convert_to_tensor, metrics_utils
    fake.np = np
    plugin._patch(fake)
    assert fake.convert_to_tensor is kshim.ops.convert_to_tensor
    assert fake.metrics_utils.AUCCurve is kshim.metrics.metrics_utils.AUCCurve
    assert fake.metrics_utils.confusion_matrix is metrics_utils.confusion_matrix  # other helpers stay Keras'
    assert fake.np is np
