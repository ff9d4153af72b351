"""``kshim.wrappers`` (``keras.wrappers``): scikit-learn estimators around kshim models, against real
Keras 3's wrappers on the same data and weights, and through scikit-learn's own machinery."""

from __future__ import annotations

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import kshim  # noqa: E402
from kshim.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

rng = np.random.default_rng(3)
X = rng.standard_normal((48, 5)).astype("float32")
LABELS = np.array(["cat", "dog", "emu"])[rng.integers(0, 3, 48)]
Y_REG = (X @ rng.standard_normal(5) + 0.1).astype("float32")


def _build(lib, X, y, units=None, loss="categorical_crossentropy", seed=0):
    """A one-layer model with fixed weights, the same in kshim and Keras (sized by the processed y)."""
    out = units or y.shape[1]
    activation = "softmax" if out > 1 and loss.startswith("cat") else None
    model = lib.Sequential([lib.layers.Input((X.shape[1],)), lib.layers.Dense(out, activation=activation)])
    w = np.random.default_rng(seed).standard_normal((X.shape[1], out)).astype("float32") * 0.3
    model.set_weights([w, np.zeros(out, "float32")])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss=loss)
    return model


def _keras():
    keras = pytest.importorskip("keras")
    pytest.importorskip("keras.wrappers")
    return keras


FIT = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}


def test_classifier_matches_keras(backend):
    keras = _keras()
    ours = SKLearnClassifier(lambda X, y: _build(kshim, X, y), fit_kwargs=FIT).fit(X, LABELS)
    theirs = keras.wrappers.SKLearnClassifier(lambda X, y: _build(keras, X, y), fit_kwargs=dict(FIT)).fit(X, LABELS)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    # float32 training of the same model on the same batches: differences are float32 rounding
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.score(X, LABELS) == pytest.approx(theirs.score(X, LABELS))
    assert ours.n_features_in_ == 5 and ours.epoch_ == 2


def test_regressor_matches_keras_and_keeps_1d_targets(backend):
    keras = _keras()
    ours = SKLearnRegressor(lambda X, y: _build(kshim, X, y, loss="mse"), fit_kwargs=FIT).fit(X, Y_REG)
    theirs = keras.wrappers.SKLearnRegressor(lambda X, y: _build(keras, X, y, loss="mse"), fit_kwargs=dict(FIT))
    theirs.fit(X, Y_REG)
    got, want = ours.predict(X), theirs.predict(X)
    assert got.shape == want.shape == (48,)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert ours.score(X, Y_REG) == pytest.approx(theirs.score(X, Y_REG), rel=1e-4)
    two = SKLearnRegressor(lambda X, y: _build(kshim, X, y, loss="mse"), fit_kwargs=FIT)
    assert two.fit(X, np.stack([Y_REG, -Y_REG], 1)).predict(X).shape == (48, 2)


def test_transformer_outputs_and_pipeline(backend):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def embed(X, y):
        return _build(kshim, X, y, units=3, loss="mse")

    trs = SKLearnTransformer(embed, fit_kwargs=FIT).fit(X, np.stack([Y_REG] * 3, 1))
    np.testing.assert_allclose(trs.transform(X), np.asarray(trs.model_.predict(X, verbose=0)))
    pipe = make_pipeline(SKLearnTransformer(embed, fit_kwargs=FIT), LogisticRegression())
    # the transformer step is fitted on y (labels as one column of codes), then feeds the classifier
    codes = np.searchsorted(np.unique(LABELS), LABELS).astype("float32")
    pipe.fit(X, codes)
    assert pipe.predict(X).shape == (48,)


def test_sklearn_clone_params_and_cross_validation(backend):
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    est = SKLearnClassifier(lambda X, y, seed: _build(kshim, X, y, seed=seed), model_kwargs={"seed": 1}, fit_kwargs=FIT)
    params = est.get_params()
    assert set(params) == {"model", "warm_start", "model_kwargs", "fit_kwargs"}
    copy_ = clone(est)
    assert copy_.get_params()["model_kwargs"] == {"seed": 1} and copy_.fit_kwargs == FIT
    scores = cross_val_score(est, X, LABELS, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))


def test_instance_is_cloned_unless_warm_start(backend):
    model = _build(kshim, X, np.zeros((1, 3)))
    before = [np.array(w) for w in model.get_weights()]
    est = SKLearnClassifier(model, fit_kwargs=FIT).fit(X, LABELS)
    assert est.model_ is not model and est.model_.compiled
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the given instance did not train
    warm = SKLearnClassifier(model, warm_start=True, fit_kwargs=FIT).fit(X, LABELS)
    assert warm.model_ is model
    trained = [np.array(w) for w in model.get_weights()]
    assert not np.array_equal(trained[0], before[0])
    warm.fit(X, LABELS)  # continues from the weights the previous fit left
    assert warm.model_ is model and not np.array_equal(model.get_weights()[0], trained[0])


def test_errors_name_the_problem(backend, monkeypatch):
    from sklearn.exceptions import NotFittedError

    uncompiled = kshim.Sequential([kshim.layers.Input((5,)), kshim.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled"):
        SKLearnClassifier(uncompiled, warm_start=True).fit(X, LABELS)
    est = SKLearnClassifier(lambda X, y: _build(kshim, X, y), fit_kwargs=FIT)
    with pytest.raises(ValueError, match="binary and multiclass"):
        est.fit(X, Y_REG)
    with pytest.raises(ValueError, match="only one class"):
        est.fit(X, np.array(["a"] * 48))
    with pytest.raises(NotFittedError):
        est.predict(X)
    est.fit(X, LABELS)
    with pytest.raises(ValueError, match="5 features"):
        est.predict(X[:, :4])
    from kshim.wrappers import sklearn_wrapper

    monkeypatch.setattr(sklearn_wrapper, "sklearn", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        SKLearnRegressor(lambda X, y: None)


def test_clone_model_of_a_compiled_model_is_compiled_like_keras(backend):
    keras = _keras()
    ours = kshim.models.clone_model(_build(kshim, X, np.zeros((1, 3))))
    theirs = keras.models.clone_model(_build(keras, X, np.zeros((1, 3))))
    assert ours.compiled == theirs.compiled is True
    assert ours.loss == theirs.loss == "categorical_crossentropy"
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__ == "SGD"
    assert ours.optimizer.get_config()["learning_rate"] == pytest.approx(0.1)
    plain = kshim.Sequential([kshim.layers.Input((5,)), kshim.layers.Dense(3)])
    assert not kshim.models.clone_model(plain).compiled
