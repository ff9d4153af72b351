"""TextVectorization without TensorFlow, and text models that train from raw strings.

Keras' TextVectorization needs TensorFlow, so the expected outputs are written out from Keras'
documented behaviour (its docstring example; the "" padding index 0 and "[UNK]" index 1; the
string ops of ``text_ops``: ASCII-only lowercasing, Keras' punctuation regex, whitespace split,
``tf.strings.ngrams`` order), and the expected configs from Keras 3.15's get_config. Indices and
counts compare exactly. The end-to-end test trains a classifier with TextVectorization inside the
model on each backend (loss must fall) and checks the ``.keras`` round trip gives identical
predictions (the vocabulary travels as ``assets/...`` members, Keras' layout).
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers import Dense, Embedding, GlobalAveragePooling1D, Input, TextVectorization

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
TEXTS = np.array(["good movie, great fun!", "bad film; awful.", "great acting and good plot", "awful and boring",
                  "fun fun good", "bad bad plot"] * 4)
LABELS = np.array([1, 0, 1, 0, 1, 0] * 4, dtype="float32")


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def keras_config(**over):
    cfg = {"name": "tv", "trainable": True, "dtype": POLICY, "max_tokens": None,
           "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": None, "output_mode": "int",
           "output_sequence_length": None, "pad_to_max_tokens": False, "sparse": False, "ragged": False,
           "vocabulary": None, "idf_weights": None, "encoding": "utf-8", "vocabulary_size": 2}
    cfg.update(over)
    return cfg


def test_keras_docstring_example(backend):
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer([["foo qux bar"], ["qux baz"]])
    assert ops.is_tensor(out) and ops.dtype(out) == "int64"
    np.testing.assert_array_equal(npy(out), [[4, 1, 3, 0], [1, 2, 0, 0]])
    given = TextVectorization(max_tokens=5000, output_sequence_length=4, vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    # no output_sequence_length: pad to the longest sequence of the batch; truncation keeps the start
    free = TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(npy(free(np.array(["a b a", "b"]))), [[2, 3, 2], [3, 0, 0]])
    short = TextVectorization(vocabulary=["a", "b"], output_sequence_length=2)
    np.testing.assert_array_equal(npy(short(np.array([["a b a"]]))), [[2, 3]])


def test_standardize_split_and_ngrams(backend):
    layer = TextVectorization()
    layer.adapt(["Hello, World! It's ÉCOLE time", "  hello\tworld\n"])
    # ASCII-only lowercasing (tf.strings.lower without an encoding) and Keras' punctuation class
    assert layer.get_vocabulary() == ["", "[UNK]", "world", "hello", "École", "time", "its"]
    chars = TextVectorization(standardize=None, split="character")
    chars.adapt(["ab a"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "b", " "]
    bi = TextVectorization(standardize=None, ngrams=2, vocabulary=["a", "b", "c", "a b", "b c"])
    np.testing.assert_array_equal(npy(bi(["a b c"])), [[2, 3, 4, 5, 6]])
    only2 = TextVectorization(standardize="lower", ngrams=(2,))
    only2.adapt(["A b C"])
    assert only2.get_vocabulary() == ["", "[UNK]", "b c", "a b"]
    punct = TextVectorization(standardize="strip_punctuation", split=None, vocabulary=["Ab"])
    np.testing.assert_array_equal(npy(punct(np.array([["A-b."], ["ab"]]))), [[2], [1]])
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def custom_standardize(x):
    return np.char.replace(np.char.lower(x), "!", " ")


def custom_split(x):
    return [s.split("-") for s in x.tolist()]


def test_callables_encoded_modes_and_adapt_sources(backend):
    layer = TextVectorization(standardize=custom_standardize, split=custom_split)
    layer.adapt(np.array(["A-B!-b"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "b ", "b", "a"]  # ties: token high to low
    multi = TextVectorization(output_mode="multi_hot")
    multi.adapt(iter([np.array(["x y", "y z"]), (np.array(["z z"]), None)]))  # a generator of batches
    assert multi.get_vocabulary() == ["[UNK]", "z", "y", "x"]
    out = multi(np.array(["z x q", ""]))
    assert ops.dtype(out) == "int64"
    np.testing.assert_array_equal(npy(out), [[1, 1, 0, 1], [0, 0, 0, 0]])
    count = TextVectorization(output_mode="count", vocabulary=["z", "y", "x"])
    np.testing.assert_array_equal(npy(count(np.array([["z z q"]]))), [[1, 2, 0, 0]])
    tfidf = TextVectorization(output_mode="tf_idf")
    tfidf.adapt(["x y", "y"])
    idf = np.log(1 + 2 / (1 + np.array([2, 1], dtype=np.float64))).astype("float32")  # y, x
    got = npy(tfidf(["y y x q"]))  # q is OOV: weight = mean idf
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[np.mean(idf), 2 * idf[0], idf[1]]], rtol=1e-6)
    spec = TextVectorization(output_mode="multi_hot", max_tokens=10, pad_to_max_tokens=True)(
        Input(shape=(1,), dtype="string"))
    assert tuple(spec.shape) == (None, 10)
    assert tuple(TextVectorization(output_sequence_length=7)(Input(shape=(1,), dtype="string")).shape) == (None, 7)


def test_config_matches_keras_and_errors(backend):
    assert TextVectorization(name="tv").get_config() == keras_config()
    layer = TextVectorization(name="tv", max_tokens=10, ngrams=2, output_sequence_length=5, vocabulary=["a", "b"])
    want = keras_config(max_tokens=10, ngrams=2, output_sequence_length=5, vocabulary=["a", "b"], vocabulary_size=4)
    assert layer.get_config() == want
    back = TextVectorization.from_config(json.loads(json.dumps(want)))
    assert back.get_config() == want and back.get_vocabulary() == layer.get_vocabulary()
    tup = TextVectorization.from_config(dict(keras_config(ngrams=[1, 3])))
    assert tup.get_config()["ngrams"] == (1, 3)
    for bad, match in [(dict(sparse=True), "sparse"), (dict(ragged=True), "ragged"),
                       (dict(standardize="upper"), "standardize"), (dict(split="comma"), "split"),
                       (dict(output_mode="ints"), "output_mode"), (dict(ngrams=[2]), "ngrams"),
                       (dict(output_mode="count", output_sequence_length=3), "output_sequence_length")]:
        with pytest.raises(ValueError, match=match):
            TextVectorization(**bad)
    with pytest.raises(ValueError, match="Cannot adapt"):
        TextVectorization(vocabulary=["a"]).adapt(["a"])


def _classifier() -> tuple:
    kshim.utils.set_random_seed(0)
    tv = TextVectorization(max_tokens=30, output_sequence_length=6)
    tv.adapt(TEXTS)
    inp = Input(shape=(1,), dtype="string")
    x = GlobalAveragePooling1D()(Embedding(30, 8)(tv(inp)))
    model = kshim.Model(inp, Dense(1, activation="sigmoid")(x))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model, tv


def test_text_classifier_trains_from_raw_strings_and_round_trips(backend, tmp_path):
    model, tv = _classifier()
    assert not model._use_jit()  # TextVectorization has supports_jit = False, as in Keras
    hist = model.fit(TEXTS[:, None], LABELS, epochs=6, batch_size=8, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < losses[0]
    raw = np.array([["great fun"], ["awful plot"], ["unseen words only"]])
    before = npy(model.predict(raw, verbose=0))
    np.testing.assert_allclose(npy(model.predict(raw[:, 0].astype(object), verbose=0)), before, rtol=1e-6)
    path = os.path.join(tmp_path, "text.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        vocab = z.read("assets/layers/text_vectorization/vocabulary.txt").decode("utf-8")
    assert names == ["assets/layers/text_vectorization/_lookup_layer/vocabulary.txt",
                     "assets/layers/text_vectorization/vocabulary.txt", "config.json", "metadata.json",
                     "model.weights.h5"]
    assert vocab == "\n".join(tv.get_vocabulary())
    loaded = kshim.saving.load_model(path)
    np.testing.assert_array_equal(npy(loaded.predict(raw, verbose=0)), before)
    loaded.fit(TEXTS[:, None], LABELS, epochs=1, batch_size=8, verbose=0)  # and it keeps training


def test_sequential_text_model(backend):
    tv = TextVectorization(vocabulary=["good", "bad"], output_mode="multi_hot")
    model = kshim.Sequential([Input(shape=(1,), dtype="string"), tv, Dense(1)])
    out = npy(model(np.array([["good"], ["bad bad"], ["meh"]])))
    assert out.shape == (3, 1)
    model.compile(optimizer="sgd", loss="mse")
    texts = np.array(["good", "bad bad", "good good", "bad"])  # (n,) data for Input((1,)), as Keras accepts
    hist = model.fit(texts, np.array([1.0, -1.0, 1.0, -1.0]), epochs=5, batch_size=2, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert npy(model.predict(texts, verbose=0)).shape == (4, 1)


def test_loads_keras_layout_written_by_hand(backend, tmp_path):
    """Keras writes assets/<path>/vocabulary.txt for TextVectorization and again for its private
    ``_lookup_layer`` (files only, "\\n"-joined, no trailing newline). An archive laid out that way
    by hand, with a different vocabulary, must load with that vocabulary."""
    model, _ = _classifier()
    src = os.path.join(tmp_path, "src.keras")
    model.save(src)
    new_vocab = ["", "[UNK]", "awful", "great"]
    dst = os.path.join(tmp_path, "keras_layout.keras")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in ("metadata.json", "config.json", "model.weights.h5"):
            zout.writestr(name, zin.read(name))
        for sub in ("", "_lookup_layer/"):
            zout.writestr(f"assets/layers/text_vectorization/{sub}vocabulary.txt", "\n".join(new_vocab))
    loaded = kshim.saving.load_model(dst)
    tv = loaded.layers[1]
    assert tv.get_vocabulary() == new_vocab
    np.testing.assert_array_equal(npy(tv(np.array([["great awful fun"]]))), [[3, 2, 1, 0, 0, 0]])


def test_tf_idf_model_round_trips_and_runs_in_a_numpy_pipeline(backend, tmp_path):
    tv = TextVectorization(output_mode="tf_idf", max_tokens=12)
    tv.adapt(TEXTS)
    inp = Input(shape=(1,), dtype="string")
    model = kshim.Model(inp, Dense(2)(tv(inp)))
    before = npy(model.predict(TEXTS[:5, None], verbose=0))
    path = os.path.join(tmp_path, "tfidf.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path)
    np.testing.assert_array_equal(npy(loaded.predict(TEXTS[:5, None], verbose=0)), before)
    from kshim.layers import run_on_numpy
    piped = run_on_numpy(tv, TEXTS[:5])
    assert isinstance(piped, np.ndarray) and piped.shape == (5, 12)
    np.testing.assert_allclose(piped, npy(tv(TEXTS[:5])), rtol=1e-6)


def test_same_seed_same_training_on_every_backend():
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    histories = []
    for b in ("numpy", "jax", "torch"):
        with kshim.backend.use(b):
            model, _ = _classifier()
            histories.append(model.fit(TEXTS[:, None], LABELS, epochs=3, batch_size=8, verbose=0).history["loss"])
    for h in histories[1:]:
        # float32 training: same initial weights and batches, summation order may differ per backend
        np.testing.assert_allclose(h, histories[0], rtol=1e-5)
