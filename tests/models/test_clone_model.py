"""``kshim.models.clone_model`` with ``clone_function``, ``call_function``, ``input_tensors`` and
``recursive``: the same model as real Keras 3 builds from the same arguments (layer names and types,
configs, weights, outputs on the same input), on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import kshim


def _keras():
    return pytest.importorskip("keras")


def _functional(lib):
    inp = lib.Input((3,), name="x")
    shared = lib.layers.Dense(3, name="shared")
    h = shared(inp)
    h2 = shared(h)  # one layer called twice: cloned once, and shared in the clone
    out = lib.layers.Dense(2, name="head")(lib.layers.Add(name="add")([h, h2]))
    return lib.Model(inp, out, name="fm")


def _relu_dense(lib):
    def clone(layer):
        cfg = layer.get_config()
        if isinstance(layer, lib.layers.Dense):
            cfg["activation"] = "relu"
        return layer.__class__.from_config(cfg)

    return clone


def _dropout_after_head(lib):
    def call(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        return lib.layers.Dropout(0.5, name="drop_head")(out) if layer.name == "head" else out

    return call


def _describe(model) -> list:
    return [(type(l).__name__, l.name, l.get_config().get("activation")) for l in model.layers]


def _weights(model, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()]


def test_clone_and_call_function_build_what_keras_builds(backend):
    keras = _keras()
    ours = kshim.models.clone_model(
        _functional(kshim), clone_function=_relu_dense(kshim), call_function=_dropout_after_head(kshim)
    )
    theirs = keras.models.clone_model(
        _functional(keras), clone_function=_relu_dense(keras), call_function=_dropout_after_head(keras)
    )
    assert _describe(ours) == _describe(theirs)
    assert [l.name for l in ours.layers] == ["x", "shared", "add", "head", "drop_head"]
    assert type(ours).__name__ == type(theirs).__name__ and ours.name == theirs.name == "fm"
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    weights = _weights(theirs)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    # relu and Dropout (inactive in predict) inserted: the outputs agree to float32 rounding
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_default_clone_function_reproduces_the_outputs(backend):
    model = _functional(kshim)
    model.set_weights(_weights(model, 2))
    clone = kshim.models.clone_model(model, clone_function=lambda l: l.__class__.from_config(l.get_config()))
    assert clone.layers[1] is not model.layers[1] and len(clone.weights) == len(model.weights) == 4
    x = np.random.default_rng(3).standard_normal((4, 3)).astype("float32")
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))  # new weights
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))  # same graph, same ops


def test_input_tensors(backend):
    keras = _keras()
    for lib in (kshim, keras):
        new_in = lib.Input((3,), name="y")
        clone = lib.models.clone_model(_functional(lib), input_tensors=new_in)
        assert clone.input is new_in and [l.name for l in clone.layers] == ["y", "shared", "add", "head"]
        seq = lib.Sequential([lib.Input((5,), name="si"), lib.layers.Dense(2)])
        c = lib.models.clone_model(seq, input_tensors=[lib.Input(batch_shape=(7, 5))])
        assert tuple(c.inputs[0].shape) == (7, 5) and c.layers[0].name == seq.layers[0].name
        assert c.layers[0] is not seq.layers[0]


def test_recursive_clones_nested_models_with_the_same_function(backend):
    keras = _keras()
    got = {}
    for lib in (kshim, keras):
        inner = lib.Sequential([lib.layers.Dense(2, name="inner_dense")], name="inner")
        outer = lib.Sequential([lib.Input((5,), name="si"), lib.layers.Dense(3, name="d"), inner], name="outer")
        deep = lib.models.clone_model(outer, clone_function=_relu_dense(lib), recursive=True)
        seen = []

        def record(layer, lib=lib, seen=seen):
            seen.append(type(layer).__name__)
            return layer.__class__.from_config(layer.get_config())

        lib.models.clone_model(outer, clone_function=record)  # not recursive: the inner model whole
        got[lib.__name__] = (
            _describe(deep),
            deep.layers[1] is inner,
            [l.get_config()["activation"] for l in deep.layers[1].layers],
            seen,
        )
    assert got["kshim"] == got["keras"]
    assert got["kshim"][1:] == (False, ["relu"], ["Dense", "Sequential"])


def test_compiled_model_clone_is_compiled(backend):
    model = _functional(kshim)
    model.compile(optimizer=kshim.optimizers.SGD(0.05), loss="mse")
    clone = kshim.models.clone_model(model, clone_function=_relu_dense(kshim))
    assert clone.compiled and clone.loss == "mse" and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config()["learning_rate"] == pytest.approx(0.05)


class _Sub(kshim.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = kshim.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_refusals_are_value_errors_as_in_keras(backend):
    keras = _keras()
    seq = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2)])
    kseq = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    cases = [
        (lambda lib, s: lib.models.clone_model(s, call_function=lambda l, *a, **k: l(*a, **k)), "call_function"),
        (lambda lib, s: lib.models.clone_model(s, input_tensors="x"), "KerasTensor"),
        (lambda lib, s: lib.models.clone_model(s, input_tensors=[lib.Input((3,)), lib.Input((3,))]), "single"),
        (lambda lib, s: lib.models.clone_model(s, bogus=1), "bogus"),
    ]
    for fn, words in cases:
        with pytest.raises(ValueError):
            fn(keras, kseq)
        with pytest.raises(ValueError, match=words):
            fn(kshim, seq)
    with pytest.raises(TypeError):  # Keras fails calling it; kshim's error is also a ValueError
        keras.models.clone_model(kseq, clone_function=3)
    with pytest.raises(TypeError, match="callable") as err:
        kshim.models.clone_model(seq, clone_function=3)
    assert isinstance(err.value, ValueError)
    with pytest.raises(ValueError, match="same structure"):
        kshim.models.clone_model(_functional(kshim), input_tensors=[kshim.Input((3,))])
    sub = _Sub()
    sub(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="Sequential and functional"):
        kshim.models.clone_model(sub, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="only supported for functional"):
        kshim.models.clone_model(sub, call_function=lambda l, *a, **k: l(*a, **k))


def test_a_clone_that_changes_the_outputs_is_refused(backend):
    def split(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        return [out, out] if layer.name == "add" else out

    with pytest.raises(ValueError, match="keep each layer's outputs"):
        kshim.models.clone_model(_functional(kshim), call_function=split)
