"""``kshim.utils.FeatureSpace`` against real Keras 3 and NumPy expectations, on every backend.

Keras' FeatureSpace needs TensorFlow for ``adapt``, ``__call__`` and every lookup/hashing feature, so
the oracle comparisons use what runs without it: ``get_config`` of numeric feature spaces, and the
symbolic graph of ``float``/``float_rescaled``/``float_normalized``/``float_discretized`` features
(adapted layer by layer on NumPy, then run as a Keras ``Model``). Lookup, hashing and cross features
are checked against NumPy expectations written here (Keras' vocabulary order: count descending, then
token descending). Tolerances: the numeric outputs are one multiply-add or one standardization of
float32 values O(1..10) (rtol 1e-5, atol 1e-6: NumPy vs XLA rounding of the mean/variance); one-hot
and index outputs are exact.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers import Dense
from kshim.utils import FeatureSpace as FS

os.environ.setdefault("KERAS_BACKEND", "jax")
try:
    import keras
    from keras.src.saving import serialization_lib as keras_serialization
except ImportError:  # the oracle comparisons are skipped
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="real Keras is not installed")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
TOL = dict(rtol=1e-5, atol=1e-6)


def npy(x):
    return np.asarray(ops.convert_to_numpy(x))


def numeric_data(n=32, seed=1):
    rng = np.random.default_rng(seed)
    return {"a": rng.normal(size=n).astype("float32"), "b": rng.uniform(0, 10, n).astype("float32"),
            "c": rng.normal(3, 2, n).astype("float32"), "d": rng.uniform(-1, 1, n).astype("float32")}


def numeric_spec(cls):
    return {"a": "float", "b": cls.float_rescaled(scale=0.5, offset=1.0, name="b"), "c": "float_normalized",
            "d": cls.float_discretized(num_bins=4, name="d")}


def mixed_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 80, n).astype("float32")
    bp = rng.normal(120, 15, n).astype("float32")
    return {"sex": rng.integers(0, 2, n), "cp": rng.integers(0, 4, n), "age": age, "trestbps": bp,
            "thal": rng.choice(["normal", "fixed", "reversible"], n), "chol": rng.normal(0, 1, n)}, \
        ((bp > 120) ^ (age > 50)).astype("float32")


def mixed_space(output_mode="concat"):
    # not in sorted key order, as in the Keras structured-data tutorial
    return FS(features={"sex": FS.integer_categorical(num_oov_indices=0), "cp": "integer_categorical",
                        "thal": FS.string_categorical(num_oov_indices=0), "age": FS.float_discretized(num_bins=6),
                        "trestbps": FS.float_normalized(), "chol": "float"},
              crosses=[FS.cross(("sex", "age"), crossing_dim=8), FS.cross(("thal", "cp"), crossing_dim=4)],
              output_mode=output_mode)


# ---- get_config / from_config against Keras -------------------------------------------------------------
@needs_keras
@pytest.mark.parametrize("mode", ["concat", "dict"])
def test_get_config_equals_keras(mode):
    kw = dict(output_mode=mode, crossing_dim=16, hashing_dim=8, num_discretization_bins=5)
    k = keras.utils.FeatureSpace({**numeric_spec(keras.utils.FeatureSpace), "e": "float_discretized"}, **kw)
    s = FS({**numeric_spec(FS), "e": "float_discretized"}, **kw)
    assert s.get_config() == k.get_config()
    assert FS.from_config(s.get_config()).get_config() == k.get_config()


@needs_keras
def test_cross_and_feature_serialization_equal_keras():
    kc = keras_serialization.serialize_keras_object(keras.utils.FeatureSpace.cross(("a", "b"), 8, output_mode="int"))
    s = FS({"a": "float", "b": "float"}, crosses=[FS.cross(("a", "b"), 8, output_mode="int")])
    assert s.get_config()["crosses"] == [kc]
    kf = keras_serialization.serialize_keras_object(keras.utils.FeatureSpace.float(name="q"))
    assert FS({"q": FS.float(name="q")}).get_config()["features"]["q"] == kf
    assert kf["config"]["preprocessor"]["registered_name"] == "TFDIdentity"


@needs_keras
def test_keras_config_json_loads_into_kshim():
    k = keras.utils.FeatureSpace(numeric_spec(keras.utils.FeatureSpace), crosses=None, output_mode="dict")
    cfg = json.loads(json.dumps(k.get_config()))
    s = FS.from_config(cfg)
    assert isinstance(s.preprocessors["c"], kshim.layers.Normalization)
    assert s.preprocessors["d"].num_bins == 4 and s.output_mode == "dict"
    assert json.loads(json.dumps(s.get_config())) == cfg


def test_config_of_lookup_and_hashing_features():
    s = FS({"i": FS.integer_categorical(max_tokens=10, num_oov_indices=2, name="i"), "s": "string_categorical",
            "h": "string_hashed", "j": FS.integer_hashed(7, output_mode="int", name="j")},
           crosses=[("i", "s")], crossing_dim=12, hashing_dim=9)
    f = s.get_config()["features"]
    assert {k: v["config"]["dtype"] for k, v in f.items()} == {"i": "int32", "s": "string", "h": "string", "j": "int32"}
    assert {k: v["config"]["output_mode"] for k, v in f.items()} == {"i": "one_hot", "s": "one_hot", "h": "one_hot",
                                                                      "j": "int"}
    assert [v["config"]["preprocessor"]["class_name"] for v in f.values()] == \
        ["IntegerLookup", "StringLookup", "Hashing", "Hashing"]
    pre = {k: v["config"]["preprocessor"]["config"] for k, v in f.items()}
    assert (pre["i"]["max_tokens"], pre["i"]["num_oov_indices"], pre["i"]["name"]) == (10, 2, "i_preprocessor")
    assert (pre["h"]["num_bins"], pre["j"]["num_bins"], pre["s"]["name"]) == (9, 7, "s_preprocessor")
    assert all(v["module"] == "keras.src.layers.preprocessing.feature_space" and v["registered_name"] == "Feature"
               for v in f.values())
    assert s.get_config()["crosses"][0]["config"] == {"feature_names": ("i", "s"), "crossing_dim": 12,
                                                      "output_mode": "one_hot"}
    again = FS.from_config(json.loads(json.dumps(s.get_config())))
    assert again.get_config() == s.get_config()


# ---- numeric features against Keras' symbolic graph -------------------------------------------------------
def _keras_numeric_outputs(data, mode):
    kfs = keras.utils.FeatureSpace(numeric_spec(keras.utils.FeatureSpace), output_mode=mode)
    kfs.preprocessors["c"].adapt(data["c"][:, None])
    d = kfs.preprocessors["d"]  # Keras' Discretization.adapt needs tf.data; its state update does not
    d.reset_state()
    d.update_state(data["d"][:, None])
    d.finalize_state()
    kfs._is_adapted = True
    model = keras.Model(kfs.get_inputs(), kfs.get_encoded_features())
    out = model({k: v[:, None] for k, v in data.items()})
    return {k: np.asarray(v) for k, v in out.items()} if mode == "dict" else np.asarray(out), d.bin_boundaries


@needs_keras
@pytest.mark.parametrize("mode", ["concat", "dict"])
def test_numeric_features_match_keras(backend, mode):
    data = numeric_data()  # 32 rows: one adapt batch, as Keras' layers see them here
    expected, boundaries = _keras_numeric_outputs(data, mode)
    fs = FS(numeric_spec(FS), output_mode=mode)
    fs.adapt(data)
    np.testing.assert_allclose(fs.preprocessors["d"].bin_boundaries, boundaries, rtol=1e-6)
    out = fs(data)
    if mode == "dict":
        assert sorted(out) == sorted(expected)
        for k in expected:
            np.testing.assert_allclose(npy(out[k]), expected[k], **TOL)
    else:
        assert npy(out).dtype == np.float32
        np.testing.assert_allclose(npy(out), expected, **TOL)
    sym = fs.get_encoded_features()
    if mode == "concat":
        assert tuple(sym.shape) == (None, 7) and sym.dtype == "float32"
        model = kshim.Model(fs.get_inputs(), sym)
        np.testing.assert_allclose(npy(model.predict(data, verbose=0)), expected, **TOL)


# ---- lookup, hashing and crosses against NumPy ---------------------------------------------------------------
def _one_hot(idx, depth):
    out = np.zeros((len(idx), depth), "float32")
    out[np.arange(len(idx)), idx] = 1
    return out


def test_lookup_features_match_numpy(backend):
    data = {"i": np.array([5, 7, 7, 9, 7, 5]), "s": np.array(["b", "a", "b", "c", "a", "b"])}
    fs = FS({"s": "string_categorical", "i": FS.integer_categorical(num_oov_indices=0)}, output_mode="dict")
    fs.adapt(data)
    # vocabularies: count descending, ties by token descending, after the OOV index
    assert fs.preprocessors["s"].get_vocabulary() == ["[UNK]", "b", "a", "c"]
    assert fs.preprocessors["i"].get_vocabulary() == [7, 5, 9]
    out = fs({"i": np.array([9, 5, 7]), "s": np.array(["c", "zzz", "a"])})
    np.testing.assert_array_equal(npy(out["s"]), _one_hot([3, 0, 2], 4))
    np.testing.assert_array_equal(npy(out["i"]), _one_hot([2, 1, 0], 3))
    fs_int = FS({"s": FS.string_categorical(output_mode="int"), "i": FS.integer_categorical(output_mode="int")},
                output_mode="dict")
    fs_int.adapt(data)
    got = fs_int({"s": ["c", "zzz", "a"], "i": [9, 5, 7]})
    np.testing.assert_array_equal(npy(got["s"]), [[3], [0], [2]])
    np.testing.assert_array_equal(npy(got["i"]), [[3], [2], [1]])


def test_hashed_and_crossed_features_are_their_layers_one_hot(backend):
    data = {"h": np.array(["x", "y", "z", "x"]), "k": np.array([3, 4, 5, 3]), "j": np.array(["p", "q", "p", "q"])}
    fs = FS({"h": "string_hashed", "k": FS.integer_hashed(5, name="k"), "j": "string_categorical"},
            crosses=[FS.cross(("j", "k"), crossing_dim=6), FS.cross(("h", "j"), crossing_dim=3, output_mode="int")],
            hashing_dim=4, output_mode="dict")
    fs.adapt(data)
    out = fs(data)
    h_bins = npy(kshim.layers.Hashing(4)(data["h"][:, None]))[:, 0]
    k_bins = npy(kshim.layers.Hashing(5)(data["k"][:, None]))[:, 0]
    j_idx = npy(fs.preprocessors["j"](data["j"][:, None]))
    k_idx = npy(fs.preprocessors["k"](data["k"][:, None]))
    cross_jk = npy(kshim.layers.HashedCrossing(6)([j_idx, k_idx]))[:, 0]
    cross_hj = npy(kshim.layers.HashedCrossing(3)([npy(fs.preprocessors["h"](data["h"][:, None])), j_idx]))
    assert sorted(out) == ["h", "h_X_j", "j", "j_X_k", "k"]
    np.testing.assert_array_equal(npy(out["h"]), _one_hot(h_bins, 4))
    np.testing.assert_array_equal(npy(out["k"]), _one_hot(k_bins, 5))
    np.testing.assert_array_equal(npy(out["j_X_k"]), _one_hot(cross_jk, 6))
    np.testing.assert_array_equal(npy(out["h_X_j"]), cross_hj)
    assert npy(out["j"]).shape == (4, 3)  # [UNK], p, q


def test_concat_layout_is_sorted_features_then_sorted_crosses(backend):
    data, _ = mixed_data()
    fs = mixed_space("concat")
    fs.adapt(data)
    d = mixed_space("dict")
    d.adapt(data)
    as_dict = d(data)
    expected = np.concatenate([npy(as_dict[k]) for k in ["age", "chol", "cp", "sex", "thal", "trestbps"]]
                              + [npy(as_dict[k]) for k in ["sex_X_age", "thal_X_cp"]], axis=-1)
    np.testing.assert_allclose(npy(fs(data)), expected, **TOL)
    assert expected.shape == (96, 6 + 1 + 5 + 2 + 3 + 1 + 8 + 4)


def test_single_sample_gives_unbatched_output(backend):
    data, _ = mixed_data()
    fs = mixed_space()
    fs.adapt(data)
    batched = npy(fs({k: v[:3] for k, v in data.items()}))
    one = fs({k: v[1] for k, v in data.items()})
    assert tuple(ops.shape(one)) == (batched.shape[1],)
    np.testing.assert_allclose(npy(one), batched[1], **TOL)
    d = mixed_space("dict")
    d.adapt(data)
    single = d({k: v[1] for k, v in data.items()})
    assert tuple(ops.shape(single["thal"])) == (3,) and tuple(ops.shape(single["sex_X_age"])) == (8,)


def test_same_encoding_on_every_backend():
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    data, _ = mixed_data()
    outs = []
    for b in ("numpy", "jax", "torch"):
        with kshim.backend.use(b):
            fs = mixed_space()
            fs.adapt(data)
            outs.append(npy(fs(data)))
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], **TOL)


# ---- adapt inputs ------------------------------------------------------------------------------------------------
def _state(fs):
    return (fs.preprocessors["thal"].get_vocabulary(), fs.preprocessors["cp"].get_vocabulary(),
            list(fs.preprocessors["age"].bin_boundaries), npy(fs.preprocessors["trestbps"].adapt_mean))


def test_adapt_accepts_dicts_iterables_and_array_datasets(backend):
    data, labels = mixed_data()
    ref = mixed_space()
    ref.adapt(data)
    batches = [{k: v[i:i + 32] for k, v in data.items()} for i in range(0, 96, 32)]
    sources = [iter(batches), batches, kshim.utils.ArrayDataset.from_arrays(data, batch_size=32),
               kshim.utils.ArrayDataset.from_arrays(data),  # single samples, batched by 32 as Keras does
               kshim.utils.ArrayDataset.from_arrays((data, labels), batch_size=32)]  # (x, y): adapts on x
    for source in sources:
        fs = mixed_space()
        fs.adapt(source)
        got, want = _state(fs), _state(ref)
        assert got[:3] == want[:3]
        np.testing.assert_allclose(got[3], want[3], rtol=1e-6)
        np.testing.assert_allclose(npy(fs(data)), npy(ref(data)), **TOL)


def test_adapt_skips_layers_with_fixed_state(backend):
    fs = FS({"n": FS.feature("float32", kshim.layers.Normalization(mean=1.0, variance=4.0), "float"),
             "d": FS.float_discretized(num_bins=None, bin_boundaries=[0.0, 1.0], name="d"),
             "s": FS.feature("string", kshim.layers.StringLookup(vocabulary=["a", "b"]), "one_hot")})
    assert fs._list_adaptable_preprocessors() == []
    out = npy(fs({"n": [3.0, 1.0], "d": [-1.0, 0.5], "s": ["b", "q"]}))  # no adapt needed
    np.testing.assert_allclose(out, [[1, 0, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 0, 0]], **TOL)


# ---- errors (ValueError as Keras) ------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FS({})
    with pytest.raises(ValueError, match="Invalid feature type"):
        FS({"a": "floaty"})
    with pytest.raises(ValueError, match="Expected one of {'dict', 'concat'}"):
        FS({"a": "float"}, output_mode="list")
    with pytest.raises(ValueError, match="Received unknown features"):
        FS({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="crossing_dim"):
        FS({"a": "float", "b": "float"}, crosses=[("a", "b")], crossing_dim=None)
    with pytest.raises(ValueError, match="output_mode"):
        FS.cross(("a", "b"), 4, output_mode="float")
    with pytest.raises(ValueError, match="output_mode"):
        FS.feature("float32", kshim.layers.Rescaling(1.0), "multi_hot")
    fs = FS({"a": "float_normalized"})
    with pytest.raises(ValueError, match="call `.adapt"):
        fs({"a": [1.0]})
    with pytest.raises(ValueError, match="call `.adapt"):
        fs.get_inputs()
    with pytest.raises(ValueError, match="can only be called on a dict"):
        fs.adapt(np.ones(3))
    with pytest.raises(ValueError, match="dicts of arrays"):
        fs.adapt([np.ones(3)])
    fs.adapt({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        fs([1.0])
    with pytest.raises(ValueError, match="lacks the features"):
        fs({"b": [1.0]})
    with pytest.raises(ValueError, match="should return an integer dtype"):
        FS({"a": FS.feature("float32", kshim.layers.Rescaling(1.0), "one_hot")}).get_encoded_features()
    with pytest.raises(ValueError, match="Cannot concatenate"):
        FS({"a": FS.integer_hashed(4, output_mode="int")}).get_encoded_features()
    with pytest.raises(ValueError, match="cannot be one-hot encoded"):
        FS({"a": FS.feature("int32", kshim.layers.Identity(), "one_hot")}).get_encoded_features()


# ---- the structured-data tutorial: Model(get_inputs(), Dense(get_encoded_features())), fit, save, load ------
def test_tutorial_model_trains_and_round_trips(backend, tmp_path):
    kshim.utils.set_random_seed(0)
    data, labels = mixed_data()
    fs = mixed_space()
    fs.adapt(kshim.utils.ArrayDataset.from_arrays(data, batch_size=32))
    inputs, encoded = fs.get_inputs(), fs.get_encoded_features()
    assert sorted(inputs) == sorted(data) and inputs["thal"].dtype == "string" and inputs["sex"].dtype == "int32"
    x = Dense(16, activation="relu")(encoded)
    predictions = Dense(1, activation="sigmoid")(x)
    model = kshim.Model(inputs, predictions)
    model.compile(optimizer=kshim.optimizers.Adam(0.05), loss="binary_crossentropy")
    losses = model.fit(data, labels, epochs=8, batch_size=32, verbose=0).history["loss"]
    assert losses[-1] < losses[0] * 0.8
    before = npy(model.predict(data, verbose=0))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path)
    np.testing.assert_allclose(npy(loaded.predict(data, verbose=0)), before, **TOL)
    loaded.fit(data, labels, epochs=1, batch_size=32, verbose=0)  # and it keeps training


def test_tutorial_training_model_on_preprocessed_features(backend):
    """The tutorial's split: ``Model(encoded_features, predictions)`` trains on ``feature_space(x)``,
    ``Model(inputs, predictions)`` serves raw dicts; both share the Dense weights."""
    data, labels = mixed_data()
    fs = mixed_space()
    fs.adapt(data)
    encoded = fs.get_encoded_features()
    predictions = Dense(1, activation="sigmoid")(Dense(8, activation="relu")(encoded))
    train_model = kshim.Model(encoded, predictions)
    train_model.compile(optimizer="adam", loss="binary_crossentropy")
    train_model.fit(npy(fs(data)), labels, epochs=1, verbose=0)
    inference = kshim.Model(fs.get_inputs(), predictions)
    np.testing.assert_allclose(npy(inference.predict(data, verbose=0)),
                               npy(train_model.predict(npy(fs(data)), verbose=0)), **TOL)


def test_feature_space_save_and_load(backend, tmp_path):
    data, _ = mixed_data()
    fs = mixed_space()
    fs.adapt(data)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        config = json.loads(z.read("config.json"))
    assert config["module"] == "keras.utils" and config["class_name"] == "FeatureSpace"
    assert config["build_config"]["trestbps"] == {"input_shape": [None, 1]}
    assert {"assets/preprocessors/integer_lookup/vocabulary.txt", "assets/preprocessors/integer_lookup_1/"
            "vocabulary.txt", "assets/preprocessors/string_lookup/vocabulary.txt"} <= names
    loaded = kshim.saving.load_model(path)
    as_json = lambda cfg: json.loads(json.dumps(cfg))  # noqa: E731 - tuples become lists in the file
    assert isinstance(loaded, FS) and as_json(loaded.get_config()) == as_json(fs.get_config())
    np.testing.assert_allclose(npy(loaded(data)), npy(fs(data)), **TOL)
    np.testing.assert_allclose(npy(loaded.preprocessors["trestbps"].adapt_mean),
                               npy(fs.preprocessors["trestbps"].adapt_mean), rtol=1e-6)
    kshim.saving.save_model(loaded, path)  # and again through save_model
    np.testing.assert_allclose(npy(kshim.saving.load_model(path)(data)), npy(fs(data)), **TOL)


def test_load_in_a_fresh_process(tmp_path):
    """``load_model`` resolves ``keras.utils.FeatureSpace`` without FeatureSpace imported beforehand."""
    data, _ = mixed_data()
    fs = mixed_space()
    fs.adapt(data)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    model = kshim.Model(fs.get_inputs(), fs.get_encoded_features())  # holds TFDIdentity and TFDConcat
    model.save(str(tmp_path / "model.keras"))
    np.save(tmp_path / "want.npy", npy(fs({k: v[:4] for k, v in data.items()})))
    np.savez(tmp_path / "data.npz", **{k: v[:4] for k, v in data.items()})
    code = ("import numpy as np, kshim; d = dict(np.load('data.npz')); want = np.load('want.npy')\n"
            "m = kshim.saving.load_model('model.keras')\n"
            "np.testing.assert_allclose(np.asarray(m.predict(d, verbose=0)), want, rtol=1e-5, atol=1e-6)\n"
            "fs = kshim.saving.load_model('fs.keras')\n"
            "np.testing.assert_allclose(np.asarray(fs(d)), want, rtol=1e-5, atol=1e-6)")
    env = {**os.environ, "KSHIM_BACKEND": "numpy"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
