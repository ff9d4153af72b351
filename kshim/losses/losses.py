"""Keras 3 loss functions (per-sample, reduced over the last axis) and their ``Loss`` classes."""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable

from .. import _config as config, ops
from .loss import Loss, check_sparse_target_shape, check_target_shape, squeeze_or_expand_to_same_rank
from .._validation import bind_positional


def _pair(y_true: Any, y_pred: Any, loss: str) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    if not ops.dtype(y_pred).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, config.floatx())
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_target_shape(loss, y_true, y_pred)
    return y_true, y_pred


# ---- regression ----------------------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    eps = ops.cast(config.epsilon(), ops.dtype(y_pred))
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), eps)))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = config.epsilon()
    a = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    b = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(a, b)), axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Negative cosine similarity along ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred, "cosine_similarity")
    return ops.negative(ops.sum(ops.multiply(ops.normalize(y_true, axis=axis), ops.normalize(y_pred, axis=axis)),
                                axis=axis))


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Quadratic for ``|error| <= delta``, linear beyond."""
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    d = ops.cast(delta, ops.dtype(y_pred))
    err = ops.subtract(y_pred, y_true)
    abs_err = ops.abs(err)
    quad = ops.multiply(0.5, ops.square(err))
    lin = ops.subtract(ops.multiply(d, abs_err), ops.multiply(0.5, ops.square(d)))
    return ops.mean(ops.where(ops.less_equal(abs_err, d), quad, lin), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)`` computed stably."""
    y_true, y_pred = _pair(y_true, y_pred, "log_cosh")
    x = ops.subtract(y_pred, y_true)
    return ops.mean(ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), math.log(2.0)), axis=-1)


# ---- probabilistic --------------------------------------------------------------------------------
def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[eps, 1]``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("kl_divergence", y_true, y_pred)
    y_true = ops.clip(y_true, config.epsilon(), 1)
    y_pred = ops.clip(y_pred, config.epsilon(), 1)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("poisson", y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, config.epsilon())))), axis=-1)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Any:
    """Mean elementwise binary crossentropy along ``axis``; labels smoothed towards 0.5."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops.cast(y_true, ops.dtype(y_pred)), y_pred)
    check_target_shape("binary_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Any:
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha`` balancing)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops.cast(y_true, ops.dtype(y_pred)), y_pred)
    check_target_shape("binary_focal_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = ops.add(ops.multiply(y_true, y_pred), ops.multiply(ops.subtract(1, y_true), ops.subtract(1, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        w = ops.add(ops.multiply(y_true, alpha), ops.multiply(ops.subtract(1, y_true), 1 - alpha))
        focal = ops.multiply(w, focal)
    return ops.mean(focal, axis=axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Any:
    """Crossentropy against one-hot labels (smoothed towards ``1/num_classes``)."""
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("categorical_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        n = ops.cast(ops.shape(y_true)[-1], ops.dtype(y_pred))
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), ops.divide(label_smoothing, n))
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _squeeze_sparse(y_true: Any, y_pred: Any, axis: int) -> Any:
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    return y_true


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Any:
    """Crossentropy against integer labels; entries equal to ``ignore_class`` give 0."""
    check_sparse_target_shape("sparse_categorical_crossentropy", y_true, y_pred, axis)
    y_true = _squeeze_sparse(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred), axis)
    y_pred = ops.convert_to_tensor(y_pred)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    valid = ops.not_equal(y_true, ops.cast(ignore_class, ops.dtype(y_true)))
    y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
    y_pred = ops.where(ops.expand_dims(valid, axis), y_pred, ops.zeros_like(y_pred))
    res = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    return ops.where(ops.reshape(valid, ops.shape(res)), res, ops.zeros_like(res))


# ---- hinge ----------------------------------------------------------------------------------------
def _hinge_labels(y_true: Any) -> Any:
    """{0, 1} labels -> {-1, 1}; other labels unchanged (decided over the whole tensor, traceably)."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with {0,1} labels mapped to {-1,1}."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_target_shape("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - y_true * y_pred, 0)**2, axis=-1)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_target_shape("squared_hinge", y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("categorical_hinge", y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), ops.cast(0.0, ops.dtype(y_pred)))


# ---- classes --------------------------------------------------------------------------------------
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses."""

    def __init__(self, fn: Callable, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: str | None = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        if type(self) is LossFunctionWrapper:
            cfg["fn"] = getattr(self.fn, "__name__", self.fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        config = dict(config)
        if "fn" in config and isinstance(config["fn"], str):
            from . import get
            config["fn"] = get(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def _wrapper(fn: Callable, default_name: str, doc: str, **defaults: Any) -> type:
    """A ``LossFunctionWrapper`` subclass whose constructor takes ``defaults`` as keyword options."""

    keys = list(defaults)
    order = keys + ["reduction", "name", "dtype"]  # Keras' positional order: options, then reduction, name, dtype

    def __init__(self, *args: Any, **kwargs: Any):
        bind_positional(type(self).__name__, order, args, kwargs)
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}")
        reduction = kwargs.pop("reduction", "sum_over_batch_size")
        name = kwargs.pop("name", default_name)
        dtype = kwargs.pop("dtype", None)
        opts = {**defaults, **kwargs}
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype, **opts)
        for k, v in opts.items():
            setattr(self, k, v)

    _P = inspect.Parameter
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_P("self", _P.POSITIONAL_OR_KEYWORD)]
        + [_P(k, _P.POSITIONAL_OR_KEYWORD, default=v) for k, v in defaults.items()]
        + [_P("reduction", _P.POSITIONAL_OR_KEYWORD, default="sum_over_batch_size"),
           _P("name", _P.POSITIONAL_OR_KEYWORD, default=default_name),
           _P("dtype", _P.POSITIONAL_OR_KEYWORD, default=None)])

    def get_config(self) -> dict:
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    return type("_Wrapped", (LossFunctionWrapper,), {"__init__": __init__, "get_config": get_config,
                                                     "from_config": from_config, "__doc__": doc})


def _named(cls: type, name: str) -> type:
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    return cls


MeanSquaredError = _named(_wrapper(mean_squared_error, "mean_squared_error", "Mean squared error."),
                          "MeanSquaredError")
MeanAbsoluteError = _named(_wrapper(mean_absolute_error, "mean_absolute_error", "Mean absolute error."),
                           "MeanAbsoluteError")
MeanAbsolutePercentageError = _named(_wrapper(mean_absolute_percentage_error, "mean_absolute_percentage_error",
                                              "Mean absolute percentage error."), "MeanAbsolutePercentageError")
MeanSquaredLogarithmicError = _named(_wrapper(mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
                                              "Mean squared logarithmic error."), "MeanSquaredLogarithmicError")
CosineSimilarity = _named(_wrapper(cosine_similarity, "cosine_similarity", "Negative cosine similarity.",
                                   axis=-1), "CosineSimilarity")
Huber = _named(_wrapper(huber, "huber_loss", "Huber loss (``delta`` 1.0).", delta=1.0), "Huber")
LogCosh = _named(_wrapper(log_cosh, "log_cosh", "Log-cosh loss."), "LogCosh")
KLDivergence = _named(_wrapper(kl_divergence, "kl_divergence", "Kullback-Leibler divergence."), "KLDivergence")
Poisson = _named(_wrapper(poisson, "poisson", "Poisson loss."), "Poisson")
BinaryCrossentropy = _named(_wrapper(binary_crossentropy, "binary_crossentropy", "Binary crossentropy.",
                                     from_logits=False, label_smoothing=0.0, axis=-1), "BinaryCrossentropy")
BinaryFocalCrossentropy = _named(_wrapper(
    binary_focal_crossentropy, "binary_focal_crossentropy", "Binary focal crossentropy.",
    apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1),
    "BinaryFocalCrossentropy")
CategoricalCrossentropy = _named(_wrapper(categorical_crossentropy, "categorical_crossentropy",
                                          "Categorical crossentropy.", from_logits=False, label_smoothing=0.0,
                                          axis=-1), "CategoricalCrossentropy")
Hinge = _named(_wrapper(hinge, "hinge", "Hinge loss."), "Hinge")
SquaredHinge = _named(_wrapper(squared_hinge, "squared_hinge", "Squared hinge loss."), "SquaredHinge")
CategoricalHinge = _named(_wrapper(categorical_hinge, "categorical_hinge", "Categorical hinge loss."),
                          "CategoricalHinge")


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy against integer labels; ``ignore_class`` entries are masked out of the average."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy", dtype: str | None = None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        # NOTE: no rank matching here: sparse labels have one axis fewer than y_pred by design.
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        y_true = _squeeze_sparse(y_true, y_pred, self.axis)
        return ops.not_equal(y_true, ops.cast(self.ignore_class, ops.dtype(y_true)))

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}
