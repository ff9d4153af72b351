"""``keras.wrappers``: scikit-learn estimators around kshim models (needs ``scikit-learn``)."""

from .sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
