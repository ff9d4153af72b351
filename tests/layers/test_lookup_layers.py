"""StringLookup and IntegerLookup without TensorFlow.

Real Keras needs TensorFlow for these layers, so the expected outputs are written out from Keras'
documented behaviour (its docstring examples and index layout: mask at 0 in "int" mode, then the
OOV indices, then the vocabulary; adapt orders by count, ties by the token, highest first), and the
expected configs from Keras 3.15's get_config. Indices and counts are exact; TF-IDF values are
float32 products of the given weights (rtol=1e-6).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers import Input, IntegerLookup, StringLookup

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def keras_string_lookup_config(**over):
    cfg = {"name": "s", "trainable": True, "dtype": POLICY, "invert": False, "max_tokens": None, "num_oov_indices": 1,
           "oov_token": "[UNK]", "mask_token": None, "output_mode": "int", "sparse": False, "pad_to_max_tokens": False,
           "idf_weights": None, "vocabulary": None, "vocabulary_size": None, "oov_method": "floormod", "salt": None,
           "encoding": "utf-8"}
    cfg.update(over)
    return cfg


def test_string_lookup_vocabulary_and_adapt_match_keras_docs(backend):
    layer = StringLookup(vocabulary=VOCAB)
    out = layer(DATA)
    assert ops.is_tensor(out) and ops.dtype(out) == "int64"
    np.testing.assert_array_equal(npy(out), [[1, 3, 4], [4, 0, 2]])
    adapted = StringLookup()
    adapted.adapt(DATA)
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(npy(adapted(DATA)), [[5, 3, 1], [1, 2, 4]])
    # num_oov_indices=2: "m" and "z" hash (FarmHash Fingerprint64) to OOV buckets 0 and 1
    two = StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(npy(two([["a", "c", "d"], ["m", "z", "b"]])), [[2, 4, 5], [0, 1, 3]])
    # inputs as arrays of str, bytes and objects, and a 0-d string
    for arr in (np.array(DATA), np.array(DATA, dtype="S"), np.array(DATA, dtype=object)):
        np.testing.assert_array_equal(npy(layer(arr)), [[1, 3, 4], [4, 0, 2]])
    assert int(npy(layer(np.array("c")))) == 3


def test_string_lookup_encoded_modes_match_keras_docs(backend):
    onehot = StringLookup(vocabulary=VOCAB, output_mode="one_hot")(["a", "b", "c", "d", "z"])
    assert ops.dtype(onehot) == "int64"  # Keras returns int64 encodings eagerly
    np.testing.assert_array_equal(npy(onehot), np.eye(5, dtype="int64")[[1, 2, 3, 4, 0]])
    data = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
    np.testing.assert_array_equal(npy(StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(data)),
                                  [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(npy(StringLookup(vocabulary=VOCAB, output_mode="count")(data)),
                                  [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = StringLookup(output_mode="tf_idf")
    tfidf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    out = tfidf(data)
    assert ops.dtype(out) == "float32"
    np.testing.assert_allclose(npy(out), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    with_oov = StringLookup(output_mode="tf_idf")
    with_oov.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(npy(with_oov(data)), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)
    padded = StringLookup(vocabulary=VOCAB, output_mode="multi_hot", max_tokens=8, pad_to_max_tokens=True)
    assert npy(padded(data)).shape == (2, 8)
    spec = StringLookup(vocabulary=VOCAB, output_mode="count")(Input(shape=(4,), dtype="string"))
    assert tuple(spec.shape) == (None, 5) and spec.dtype == "int64"


def test_string_lookup_mask_invert_and_special_tokens(backend):
    masked = StringLookup(vocabulary=VOCAB, mask_token="[MASK]")
    assert masked.get_vocabulary() == ["[MASK]", "[UNK]", "a", "b", "c", "d"]
    np.testing.assert_array_equal(npy(masked([["a", "[MASK]", "q"]])), [[2, 0, 1]])
    # encoded modes: no mask index, masked inputs are dropped
    mh = StringLookup(vocabulary=VOCAB, mask_token="[MASK]", output_mode="multi_hot")
    assert mh.get_vocabulary() == ["[UNK]", "a", "b", "c", "d"]
    np.testing.assert_array_equal(npy(mh([["[MASK]", "a"]])), [[0, 1, 0, 0, 0]])
    inv = StringLookup(vocabulary=VOCAB, invert=True)
    words = inv(np.array([[1, 3, 4], [4, 0, 2]]))
    assert isinstance(words, np.ndarray) and words.dtype.kind == "U"
    np.testing.assert_array_equal(words, [["a", "c", "d"], ["d", "[UNK]", "b"]])
    # a vocabulary that already starts with the special tokens (Keras' order) is accepted as is
    full = StringLookup(vocabulary=["[MASK]", "[UNK]", "x", "y"], mask_token="[MASK]")
    assert full.get_vocabulary(include_special_tokens=False) == ["x", "y"]
    assert full.vocabulary_size() == 4
    with pytest.raises(ValueError, match="repeated term"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="reserved mask token"):
        StringLookup(vocabulary=["a", "[MASK]"], mask_token="[MASK]")
    with pytest.raises(ValueError, match="larger than the maximum"):
        StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="all inputs should be in vocabulary"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["a", "zz"])
    np.testing.assert_array_equal(npy(StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["b"])), [1])


def test_string_lookup_adapt_options(backend):
    data = np.array([["x", "y", "y"], ["z", "z", "z"], ["w", "y", "x"]])
    layer = StringLookup(max_tokens=3)
    layer.adapt(data)  # counts z:3, y:3, x:2, w:1 -> z, y (ties: token high to low), cut to 3 - 1 OOV
    assert layer.get_vocabulary() == ["[UNK]", "z", "y"]
    gen = StringLookup()
    gen.adapt(iter([data[:1], (data[1:], None)]))  # a generator of batches; (x, y) tuples use x
    assert gen.get_vocabulary() == ["[UNK]", "z", "y", "x", "w"]
    tfidf = StringLookup(output_mode="tf_idf")
    tfidf.adapt(data)
    # documents = rows; idf = log(1 + 3 / (1 + document count)); OOV gets the mean idf
    idf = np.log(1 + 3 / (1 + np.array([1, 2, 2, 1], dtype=np.float64))).astype("float32")  # z, y, x, w
    row = npy(tfidf(np.array([["z", "z", "q"]])))[0]
    np.testing.assert_allclose(row, [np.mean(idf), 2 * idf[0], 0, 0, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="Cannot adapt"):
        StringLookup(vocabulary=VOCAB).adapt(data)
    with pytest.raises(RuntimeError, match="set the layer's vocabulary"):
        StringLookup(output_mode="multi_hot")(data)


def test_string_lookup_salted_oov_and_file_vocabulary(backend, tmp_path):
    salted = StringLookup(vocabulary=VOCAB, num_oov_indices=3, salt=[133, 137])
    from kshim.layers.preprocessing.hashing_functions import siphash64
    want = [int(h % np.uint64(3)) for h in siphash64([b"m", b"zz"], [133, 137])]
    np.testing.assert_array_equal(npy(salted(["m", "zz", "a"])), want + [3])
    path = os.path.join(tmp_path, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("a\nb\nc\nd\n\n")
    from_file = StringLookup(vocabulary=path)
    np.testing.assert_array_equal(npy(from_file(DATA)), [[1, 3, 4], [4, 0, 2]])
    assert from_file.get_config()["vocabulary"] is None
    with pytest.raises(ValueError, match="does not exist"):
        StringLookup(vocabulary=os.path.join(tmp_path, "missing.txt"))
    with pytest.raises(ValueError, match="outside of the model archive"):
        StringLookup.from_config(keras_string_lookup_config(vocabulary=path))


def test_string_lookup_config_matches_keras(backend):
    layer = StringLookup(name="s", vocabulary=VOCAB, mask_token="", num_oov_indices=2, salt=9)
    want = keras_string_lookup_config(vocabulary=VOCAB, mask_token="", num_oov_indices=2, salt=[9, 9],
                                      vocabulary_size=7)
    assert layer.get_config() == want
    assert StringLookup.from_config(want).get_config() == want
    assert StringLookup(name="s").get_config() == keras_string_lookup_config()
    with pytest.raises(ValueError, match="sparse"):
        StringLookup(output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="invert"):
        StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(max_tokens=1)


def test_integer_lookup_matches_keras_docs(backend):
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(npy(IntegerLookup(vocabulary=vocab)(data)), [[1, 3, 4], [4, 0, 2]])
    adapted = IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(npy(adapted(data)), [[5, 2, 1], [1, 3, 4]])
    two = IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    np.testing.assert_array_equal(npy(two(np.array([[12, 1138, 42], [37, 1000, 36]]))), [[2, 4, 5], [1, 0, 3]])
    oov = np.array([100, 300, 700, 1100, 1700, 2000])
    np.testing.assert_array_equal(npy(IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)(oov)), [0] * 6)
    farm = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    np.testing.assert_array_equal(npy(farm(oov)), [3, 3, 2, 2, 0, 1])
    counts = IntegerLookup(vocabulary=vocab, output_mode="count")(np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]))
    np.testing.assert_array_equal(npy(counts), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = IntegerLookup(output_mode="tf_idf", vocabulary=[-1] + vocab, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(npy(tfidf(np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]))),
                               [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)
    inv = IntegerLookup(vocabulary=vocab, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    assert ops.dtype(inv) == "int64"
    np.testing.assert_array_equal(npy(inv), [[12, 1138, 42], [42, -1, 36]])
    masked = IntegerLookup(vocabulary=vocab, mask_token=0)
    np.testing.assert_array_equal(npy(masked(ops.convert_to_tensor(np.array([0, 12, 5])))), [0, 2, 1])


def test_integer_lookup_config_and_errors(backend):
    layer = IntegerLookup(name="i", vocabulary=np.array([3, 1]), mask_token=0)
    want = {"name": "i", "trainable": True, "dtype": POLICY, "invert": False, "max_tokens": None,
            "num_oov_indices": 1, "oov_token": -1, "mask_token": 0, "output_mode": "int", "sparse": False,
            "pad_to_max_tokens": False, "vocabulary_dtype": "int64", "idf_weights": None, "vocabulary": [3, 1],
            "vocabulary_size": 4, "oov_method": "floormod", "salt": None}
    assert layer.get_config() == want
    assert IntegerLookup.from_config(want).get_config() == want
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="farmhash"):
        IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="oov_method"):
        IntegerLookup(oov_method="mod")
    with pytest.raises(ValueError, match="sparse"):
        IntegerLookup(output_mode="count", sparse=True)


def test_lookup_same_result_on_every_backend():
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    outs = []
    for b in ("numpy", "jax", "torch"):
        with kshim.backend.use(b):
            layer = StringLookup(num_oov_indices=3, output_mode="count")
            layer.adapt(np.array([["a", "b"], ["b", "c"]]))
            outs.append(npy(layer(np.array([["a", "q", "b", "b"]]))))
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_lookup_vocabulary_is_saved_as_keras_assets(backend, tmp_path):
    import zipfile
    inp = Input(shape=(3,), dtype="string")
    lookup = StringLookup(mask_token="")
    lookup.adapt(np.array([["x", "y", "y"], ["z", "", "y"]]))
    model = kshim.Model(inp, lookup(inp))
    path = os.path.join(tmp_path, "lookup.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert z.read("assets/layers/string_lookup/vocabulary.txt").decode() == "\n".join(["", "[UNK]", "y", "z", "x"])
    loaded = kshim.saving.load_model(path)
    x = np.array([["z", "q", ""]])
    np.testing.assert_array_equal(npy(loaded(x)), npy(model(x)))
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()
    # a vocabulary given in the config is not written as an asset (Keras: input_vocabulary)
    i2 = Input(shape=(2,), dtype="int64")
    m3 = kshim.Model(i2, IntegerLookup(vocabulary=[5, 7])(i2))
    p3 = os.path.join(tmp_path, "ids.keras")
    m3.save(p3)
    with zipfile.ZipFile(p3) as z:
        assert not [n for n in z.namelist() if n.startswith("assets/")]
    np.testing.assert_array_equal(npy(kshim.saving.load_model(p3)(np.array([[7, 9]]))), [[2, 0]])


def test_damaged_assets_are_a_corrupt_file_error(backend, tmp_path):
    import zipfile
    inp = Input(shape=(1,), dtype="string")
    lookup = StringLookup()
    lookup.adapt(np.array([["x"], ["y"]]))
    src = os.path.join(tmp_path, "ok.keras")
    kshim.Model(inp, lookup(inp)).save(src)
    bad = os.path.join(tmp_path, "bad.keras")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in ("metadata.json", "config.json", "model.weights.h5"):
            zout.writestr(name, zin.read(name))
        zout.writestr("assets/layers/string_lookup", "a file where the folder should be")
        zout.writestr("assets/layers/string_lookup/vocabulary.txt", "x\ny")
    with pytest.raises(ValueError, match="damaged assets"):
        kshim.saving.load_model(bad)
