"""The same misuse raises the same exception *type* in kshim as in Keras 3, on every backend, so a Keras
user's ``except ValueError`` keeps working (kshim's messages stay its own). Each row of ``SAME_AS_KERAS``
runs on kshim under the test's backend and on real Keras (JAX backend) and compares the types; rows
where Keras has no single type (it raises nothing, or a backend library's own error) are in
``KSHIM_ONLY`` with the type kshim promises and why. Also: a target/prediction shape mismatch in a loss
names the loss, both shapes and the likely fix, on every backend and through ``fit``."""
import functools
import os
import re

import numpy as np
import pytest

import kshim
from kshim import _errors

os.environ.setdefault("KERAS_BACKEND", "jax")
try:
    import keras
except ImportError:
    keras = None

X = np.zeros((4, 3), "float32")
Y = np.zeros((4, 1), "float32")


def _seq(K, units=1):
    return K.Sequential([K.Input((3,)), K.layers.Dense(units)])


def _func(K):
    i = K.Input((3,))
    return K.Model(i, K.layers.Dense(1)(i))


def _compiled(K, units=1, **kw):
    m = _seq(K, units)
    m.compile("sgd", kw.pop("loss", "mse"), **kw)
    return m


def _called_twice(K):
    d = K.layers.Dense(2)
    d(np.zeros((2, 4), "float32"))
    d(np.zeros((2, 5), "float32"))


def _fit_empty(K):
    m = K.Sequential()
    m.compile("sgd", "mse")
    m.fit(X, Y, verbose=0)


SAME_AS_KERAS = {
    "fit before compile": lambda K: _seq(K).fit(X, Y, verbose=0),
    "evaluate before compile": lambda K: _seq(K).evaluate(X, Y, verbose=0),
    "train_on_batch before compile": lambda K: _seq(K).train_on_batch(X, Y),
    "test_on_batch before compile": lambda K: _seq(K).test_on_batch(X, Y),
    "optimizers.get unknown": lambda K: K.optimizers.get("nope"),
    "losses.get unknown": lambda K: K.losses.get("nope"),
    "metrics.get unknown": lambda K: K.metrics.get("nope"),
    "activations.get unknown": lambda K: K.activations.get("nope"),
    "initializers.get unknown": lambda K: K.initializers.get("nope"),
    "regularizers.get unknown": lambda K: K.regularizers.get("nope"),
    "constraints.get unknown": lambda K: K.constraints.get("nope"),
    "compile unknown optimizer": lambda K: _seq(K).compile("nope", "mse"),
    "compile unknown loss, then fit": lambda K: _compiled(K, loss="nope").fit(X, Y, verbose=0),
    "compile unknown metric, then fit": lambda K: _compiled(K, metrics=["nope"]).fit(X, Y, verbose=0),
    "Dense activation unknown": lambda K: K.layers.Dense(2, activation="nope"),
    "Dense initializer unknown": lambda K: K.layers.Dense(2, kernel_initializer="nope"),
    "layer built for 4 features called on 5": _called_twice,
    "Sequential called on the wrong shape": lambda K: _seq(K)(np.zeros((2, 5), "float32")),
    "functional model called on the wrong last dim": lambda K: _func(K)(np.zeros((2, 4), "float32")),
    "functional model called on the wrong rank": lambda K: _func(K)(np.zeros((2, 3, 2), "float32")),
    "functional model given two inputs": lambda K: _func(K)([X, X]),
    "predict on the wrong input shape": lambda K: _seq(K).predict(np.zeros((2, 5), "float32"), verbose=0),
    "fit with different x and y lengths": lambda K: _compiled(K).fit(X, np.zeros((3, 1), "float32"), verbose=0),
    "predict on a Sequential without layers": lambda K: K.Sequential().predict(X, verbose=0),
    "fit a Sequential without layers": _fit_empty,
    "add a non-layer to a Sequential": lambda K: K.Sequential().add("dense"),
    "pop an empty Sequential": lambda K: K.Sequential().pop(),
    "count_params of an unbuilt layer": lambda K: K.layers.Dense(2).count_params(),
    "count_params of an unbuilt model": lambda K: K.Sequential([K.layers.Dense(1)]).count_params(),
    "get_layer unknown name": lambda K: _seq(K).get_layer("nope"),
    "get_layer index out of range": lambda K: _seq(K).get_layer(index=10),
    "set_weights wrong count": lambda K: _seq(K).set_weights([np.zeros((3, 1))]),
    "set_weights wrong shape": lambda K: _seq(K).set_weights([np.zeros((4, 1)), np.zeros(1)]),
    "set_weights on an unbuilt layer": lambda K: K.layers.Dense(2).set_weights([np.zeros((3, 2)), np.zeros(2)]),
    "Variable.assign wrong shape": lambda K: K.Variable(np.zeros(3, "float32")).assign(np.zeros(4, "float32")),
    "unknown layer keyword argument": lambda K: K.layers.Dense(2, not_an_arg=1),
    "layer called on a layer": lambda K: K.layers.Dense(2)(K.layers.Dense(3)),
    "Dropout rate out of range": lambda K: K.layers.Dropout(1.5),
    "Conv2D padding unknown": lambda K: K.layers.Conv2D(2, 3, padding="full"),
    "Conv2D on a rank-2 input": lambda K: K.layers.Conv2D(2, 3)(K.Input((5,))),
    "LSTM on a rank-2 input": lambda K: K.layers.LSTM(2)(np.zeros((2, 3), "float32")),
    "Concatenate mismatched shapes": lambda K: K.layers.Concatenate()([K.Input((3, 2)), K.Input((4, 3))]),
    "Reshape to a different size": lambda K: K.layers.Reshape((5,))(K.Input((3, 2))),
    "Model output not connected to its input": lambda K: K.Model(K.Input((3,)), K.layers.Dense(1)(K.Input((3,)))),
    "SGD momentum out of range": lambda K: K.optimizers.SGD(momentum=2.0),
    "loss reduction unknown": lambda K: K.losses.MeanSquaredError(reduction="bad"),
    "sparse CE with wrong-rank labels": lambda K: K.losses.SparseCategoricalCrossentropy()(
        np.zeros((8, 2)), np.ones((8, 4)) / 4),
    "categorical CE with integer labels": lambda K: K.losses.CategoricalCrossentropy()(
        np.zeros((8,)), np.ones((8, 4)) / 4),
    "binary CE shape mismatch": lambda K: K.losses.BinaryCrossentropy()(np.zeros((8, 3)), np.ones((8, 1)) / 2),
    "set_floatx unknown": lambda K: K.config.set_floatx("float8"),
    "set_image_data_format unknown": lambda K: K.config.set_image_data_format("nhwc"),
    "to_categorical label >= num_classes": lambda K: K.utils.to_categorical([0, 1], num_classes=1),
}

# Keras raises nothing here, or the backend library's own error (TypeError on JAX, RuntimeError on
# PyTorch for a broadcasting failure); kshim promises one type on every backend.
KSHIM_ONLY = {
    "MSE with y_true (8, 3), y_pred (8, 4)": (
        lambda K: K.losses.MeanSquaredError()(np.zeros((8, 3)), np.zeros((8, 4))), ValueError,
        "Keras: the backend's broadcasting error (jax TypeError, torch RuntimeError)"),
    "fit with targets that do not fit the output": (
        lambda K: _compiled(K, 2).fit(X, np.zeros((4, 3), "float32"), verbose=0), ValueError,
        "Keras: the backend's broadcasting error"),
    "evaluate with targets that do not fit the output": (
        lambda K: _compiled(K, 2).evaluate(X, np.zeros((4, 3), "float32"), verbose=0), ValueError,
        "Keras: the backend's broadcasting error"),
    "compile with an unknown loss": (
        lambda K: _seq(K).compile("sgd", "nope"), ValueError,
        "Keras raises the same ValueError, but only at fit(); kshim raises at compile()"),
    "fit with verbose='loud'": (
        lambda K: _compiled(K).fit(X, Y, verbose="loud"), ValueError,
        "Keras accepts any value and treats it as truthy"),
    "backend.use(123)": (lambda K: K.backend.use(123).__enter__(), TypeError, "kshim-only API"),
}

# Misuses whose raise site lives in a file another change owns; strict, so fixing them shows up here.
SAME_AS_KERAS["add on a functional model"] = lambda K: _func(K).add(K.layers.Dense(2))
SAME_AS_KERAS["Model(inputs=<a layer>)"] = lambda K: K.Model(inputs=K.layers.Conv2D(3, 3),
                                                           outputs=K.layers.Dense(1))


def _raised(fn, K):
    try:
        fn(K)
    except Exception as e:  # noqa: BLE001 - the point is to see what is raised
        return e
    return None


@functools.lru_cache(maxsize=None)
def _keras_type(name):
    e = _raised(SAME_AS_KERAS[name], keras)
    return type(e) if e is not None else None


needs_keras = pytest.mark.skipif(keras is None, reason="real Keras is not installed")


@needs_keras
@pytest.mark.parametrize("name", list(SAME_AS_KERAS))
def test_same_exception_type_as_keras(name, backend):
    ktype = _keras_type(name)
    assert ktype is not None, f"Keras raised nothing for {name!r}: move the row to KSHIM_ONLY"
    err = _raised(SAME_AS_KERAS[name], kshim)
    assert err is not None, f"kshim raised nothing for {name!r}; Keras raises {ktype.__name__}"
    assert isinstance(err, ktype), (f"{name!r}: kshim raised {type(err).__name__}: {err}; Keras raises "
                                    f"{ktype.__name__}")


@pytest.mark.parametrize("name", list(KSHIM_ONLY))
def test_kshim_only_exception_types(name, backend):
    fn, etype, _why = KSHIM_ONLY[name]
    err = _raised(fn, kshim)
    assert isinstance(err, etype), f"{name!r}: kshim raised {type(err).__name__}: {err}"


def test_dual_types_keep_the_old_catch_clauses(backend):
    """The types kshim used to raise still catch these errors (RuntimeError for fit-before-compile,
    TypeError for unknown layer arguments), besides Keras' ValueError."""
    with pytest.raises(RuntimeError, match=r"compile\(\) on model .* before calling fit\(\)"):
        _seq(kshim).fit(X, Y, verbose=0)
    with pytest.raises(TypeError, match="not_an_arg"):
        kshim.layers.Dense(2, not_an_arg=1)
    assert issubclass(_errors.NotCompiledError, ValueError) and issubclass(_errors.ArgumentError, ValueError)
    assert issubclass(_errors.NotSequentialError, AttributeError)


# ---- loss shape mismatches: the loss, both shapes, the fix ----------------------------------------------
def _msg(fn):
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


def test_regression_loss_shape_mismatch_names_loss_shapes_and_fix(backend):
    msg = _msg(lambda: kshim.losses.MeanSquaredError()(np.zeros((8, 3)), np.zeros((8, 4))))
    assert "'mean_squared_error'" in msg and "(8, 3)" in msg and "(8, 4)" in msg
    assert "Dense(3)" in msg
    msg = _msg(lambda: kshim.losses.mean_absolute_error(np.zeros((7, 3)), np.zeros((8, 3))))
    assert "'mean_absolute_error'" in msg and "(7, 3)" in msg and "(8, 3)" in msg and "same number of samples" in msg
    for fn in ("hinge", "kl_divergence", "poisson", "huber", "log_cosh", "categorical_hinge"):
        msg = _msg(lambda: getattr(kshim.losses, fn)(np.zeros((8, 3)), np.full((8, 4), 0.5)))
        assert f"'{fn}'" in msg and "(8, 3)" in msg and "(8, 4)" in msg, msg
    # broadcastable shapes are still accepted, as in Keras
    out = kshim.losses.MeanSquaredError()(np.zeros((8, 1)), np.ones((8, 4)))
    np.testing.assert_allclose(kshim.ops.convert_to_numpy(out), 1.0)


def test_crossentropy_shape_mismatch_suggests_the_right_loss(backend):
    msg = _msg(lambda: kshim.losses.CategoricalCrossentropy()(np.zeros((8,)), np.full((8, 4), 0.25)))
    assert "'categorical_crossentropy'" in msg and "(8,)" in msg and "(8, 4)" in msg
    assert "sparse_categorical_crossentropy" in msg and "to_categorical" in msg
    one_hot = np.eye(4)[[0, 1] * 4]
    msg = _msg(lambda: kshim.losses.SparseCategoricalCrossentropy()(one_hot, np.full((8, 4), 0.25)))
    assert "'sparse_categorical_crossentropy'" in msg and "(8, 4)" in msg and "one-hot" in msg
    assert "categorical_crossentropy" in msg
    msg = _msg(lambda: kshim.losses.SparseCategoricalCrossentropy()(np.zeros((8, 2)), np.full((8, 4), 0.25)))
    assert "(8, 2)" in msg and "expected targets of shape (8,) or (8, 1)" in msg
    msg = _msg(lambda: kshim.losses.BinaryCrossentropy()(np.zeros((8, 3)), np.full((8, 1), 0.5)))
    assert "'binary_crossentropy'" in msg and "(8, 3)" in msg and "(8, 1)" in msg


@pytest.mark.parametrize("loss,units,y,expect", [
    ("mse", 4, np.zeros((8, 3), "float32"), [r"'mean_squared_error'", r"\(8, 3\)", r"\(8, 4\)", r"Dense\(3\)"]),
    ("sparse_categorical_crossentropy", 4, np.zeros((8, 2), "int32"),
     [r"'sparse_categorical_crossentropy'", r"\(8, 2\)", r"\(8, 4\)"]),
    ("categorical_crossentropy", 4, np.zeros((8,), "int32"),
     [r"'categorical_crossentropy'", r"\(8,\)", r"\(8, 4\)", "sparse_categorical_crossentropy"]),
])
def test_loss_shape_mismatch_through_fit(backend, loss, units, y, expect):
    """Inside fit (jitted on JAX, traced where torch traces) the error is the same clear ValueError."""
    m = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(units, activation="softmax")])
    m.compile("sgd", loss)
    with pytest.raises(ValueError) as info:
        m.fit(np.zeros((8, 3), "float32"), y, batch_size=8, epochs=1, verbose=0)
    for pattern in expect:
        assert re.search(pattern, str(info.value)), (pattern, str(info.value))
