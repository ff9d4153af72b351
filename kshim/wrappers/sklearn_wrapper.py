"""scikit-learn estimators wrapping a compiled kshim model, as ``keras.wrappers``.

The wrappers follow scikit-learn's estimator contract (constructor arguments stored as given,
``get_params``/``set_params``/``clone``, fitted attributes ending in ``_``), so they work in
pipelines, grid searches and cross-validation. scikit-learn is imported when a wrapper is created;
without it the constructor raises ``ImportError`` naming the package to install.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # stand-in bases so the module imports; the wrappers then refuse to be created
    sklearn = None
    BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin = (
        type(name, (), {}) for name in ("BaseEstimator", "ClassifierMixin", "RegressorMixin", "TransformerMixin")
    )


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _require_sklearn(name: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"{name} requires `scikit-learn` to be installed. Run `pip install scikit-learn` to install it."
        )


def _check_compiled(model: Any) -> None:
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer: call "
            "`model.compile(optimizer=..., loss=...)` before passing it (or return it compiled from "
            "the model function)."
        )


class _SKLBase(BaseEstimator):
    """What the three wrappers share: building or reusing the model, ``fit`` and ``predict``."""

    def __init__(
        self,
        model: Any,
        warm_start: bool = False,
        model_kwargs: dict | None = None,
        fit_kwargs: dict | None = None,
    ):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_clone__(self) -> Any:
        """A new unfitted wrapper with the same parameters: the same model or model function, not a
        deep copy (a model instance is cloned when the new wrapper fits, unless ``warm_start``)."""
        return type(self)(**self.get_params(deep=False))

    @property
    def epoch_(self) -> int:
        """Epochs the last ``fit`` ran."""
        return len(self.history_.epoch)

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from ..models import Model, clone_model

        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        """Fit the model to ``X`` (n_samples, n_features) and ``y`` (n_samples,) or (n_samples, n_outputs).

        ``fit_kwargs`` and then ``kwargs`` are passed to ``model.fit`` (``kwargs`` win). Unlike
        Keras, ``fit_kwargs`` itself is not modified.

        Returns:
            The wrapper (fitted: ``model_``, ``history_``, ``n_features_in_``).
        """
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y, dtype="numeric", multi_output=True, y_numeric=False)
        y = self._encode_target(y)
        model = self._get_model(X, y)
        _check_compiled(model)
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def _outputs(self, X: Any) -> np.ndarray:
        """The fitted model's raw outputs for ``X`` (checked against the fitted feature count)."""
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype="numeric")
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions for ``X``, mapped back to the form of the ``y`` given to ``fit``."""
        return self._decode_target(self._outputs(X))

    def _encode_target(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the model is trained on it (one column for a 1-D ``y``); remembers its form."""
        from sklearn.utils.multiclass import type_of_target

        type_of_target(y, raise_unknown=True)
        self._y_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode_target(self, y: np.ndarray) -> np.ndarray:
        return y[:, 0] if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1 else y


_ARGS_DOC = """
    Args:
        model: A compiled kshim ``Model``, or a callable ``model(X=..., y=..., **model_kwargs)``
            returning one. A model instance is cloned (fresh weights, same compile arguments)
            for every ``fit`` unless ``warm_start=True``.
        warm_start: Reuse the weights of the previous ``fit`` (and train a given instance itself).
            This is what Keras documents; Keras 3.15 itself ignores the flag (it clones and
            starts afresh on every ``fit``).
        model_kwargs: Keyword arguments for ``model`` when it is a callable.
        fit_kwargs: Keyword arguments for ``model.fit``; those passed to ``fit`` take precedence.
"""


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """scikit-learn classifier around a kshim model (``keras.wrappers.SKLearnClassifier``).

    ``y`` (binary or multiclass labels of any type) is one-hot encoded for the model, so the model
    ends in one unit per class (softmax with ``categorical_crossentropy``); ``predict`` returns the
    label of the largest output, ``decision_function`` the raw outputs. Fitted attributes:
    ``model_``, ``history_``, ``classes_``, ``n_features_in_``.
    """

    __doc__ = (__doc__ or "") + _ARGS_DOC

    def _encode_target(self, y: np.ndarray) -> np.ndarray:
        from sklearn.utils.multiclass import type_of_target

        target_type = type_of_target(y, raise_unknown=True)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        self.classes_, index = np.unique(y.reshape(-1), return_inverse=True)
        if len(self.classes_) == 1:
            raise ValueError("Classifier can't train when only one class is present.")
        return np.eye(len(self.classes_), dtype="float32")[index]

    def _decode_target(self, y: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(y, axis=-1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs for ``X``, one column per class in ``classes_`` order."""
        return self._outputs(X)


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """scikit-learn regressor around a kshim model (``keras.wrappers.SKLearnRegressor``).

    A 1-D ``y`` is fed to the model as one column and ``predict`` returns 1-D again. Fitted
    attributes: ``model_``, ``history_``, ``n_features_in_``.
    """

    __doc__ = (__doc__ or "") + _ARGS_DOC


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """scikit-learn transformer around a kshim model (``keras.wrappers.SKLearnTransformer``).

    ``fit`` trains the model like the regressor; ``transform(X)`` is the model's output (an
    embedding, say), for use as a step of a scikit-learn pipeline.
    """

    __doc__ = (__doc__ or "") + _ARGS_DOC

    def transform(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``."""
        return self._outputs(X)
