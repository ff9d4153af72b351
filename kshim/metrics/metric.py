"""``Metric`` base class (stateful, with a generic stateless API) and the reduction metrics."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .. import _config as config, ops
from .._scope import StatelessScope
from ..losses.loss import apply_mask, squeeze_or_expand_to_same_rank
from ..variables import Variable


class Metric:
    """Base metric: state lives in ``variables``; ``update_state`` accumulates, ``result`` reads.

    The ``stateless_*`` methods run the same code in a :class:`StatelessScope`, so they trace
    under ``jax.jit`` and the NumPy tape.

    Args:
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        name: The metric's name (default: the snake_case class name, made unique).
    """

    _is_metric = True  # lets layers track metric attributes without importing this module

    def __init__(self, dtype: str | None = None, name: str | None = None):
        if name is None:
            from .._naming import to_snake_case, uniquify

            name = uniquify(to_snake_case(type(self).__name__))
        self.name = name
        self._dtype = dtype or config.floatx()
        self._variables: list[Variable] = []
        self._metrics: list["Metric"] = []

    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(
        self,
        shape: Sequence[int] = (),
        initializer: Any = "zeros",
        dtype: str | None = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Create and track a state variable (non-trainable)."""
        dtype = dtype or self._dtype
        shape = tuple(int(s) for s in shape)
        if isinstance(initializer, str):
            from .. import initializers

            initializer = initializers.get(initializer)
        value = initializer(shape, dtype) if callable(initializer) else ops.full(shape, initializer, dtype)
        v = Variable(value, dtype=dtype, trainable=False, aggregation=aggregation, name=name or "variable")
        v.path = f"{self.name.replace('/', '>')}/{v.name}"
        self._variables.append(v)
        return v

    def add_weight(
        self, shape: Sequence[int] = (), initializer: Any = None, dtype: str | None = None, name: str | None = None
    ) -> Variable:
        return self.add_variable(shape, initializer or "zeros", dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """State variables, including those of nested metrics."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def reset_state(self) -> None:
        """Zero every state variable."""
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} must implement update_state().")

    def result(self) -> Any:
        raise TypeError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def _check_values(self, values: Sequence[Any]) -> list:
        values = list(values)
        if len(values) != len(self.variables):
            raise ValueError(
                f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length {len(values)}, "
                f"but expected {len(self.variables)} variables."
            )
        return values

    def stateless_update_state(self, metric_variables: Sequence[Any], *args: Any, **kwargs: Any) -> list:
        """Pure ``update_state``: new variable values from the given ones."""
        values = self._check_values(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, values))) as scope:
            self.update_state(*args, **kwargs)
        return [scope.update_for(v, val) for v, val in zip(self.variables, values)]

    def stateless_result(self, metric_variables: Sequence[Any]) -> Any:
        """Pure ``result`` computed from the given variable values."""
        values = self._check_values(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, values))):
            return self.result()

    def stateless_reset_state(self) -> list:
        """Variable values after ``reset_state`` (the variables themselves are not changed)."""
        with StatelessScope(record_all=True) as scope:
            self.reset_state()
        return [scope.update_for(v, v.value) for v in self.variables]

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable, dtype: str | None
) -> tuple[Any, Any]:
    """Weight ``values`` and reduce them to one value per sample (Keras' rules)."""
    dtype = dtype or config.floatx()
    values = ops.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        wn, vn = len(ops.shape(sample_weight)), len(ops.shape(values))
        if vn > wn:
            values = reduce_fn(values, axis=tuple(range(wn, vn)))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = ops.multiply(values, sample_weight)
        if wn > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, wn)))
    vn = len(ops.shape(values))
    if vn > 1:
        values = reduce_fn(values, axis=tuple(range(1, vn)))
    return values, sample_weight


class Sum(Metric):
    """Weighted sum of the given values.

    ``update_state(values, sample_weight=None)`` adds ``sum(values * sample_weight)``; the result is the
    running total.

    Args:
        name: The metric's name (default ``"sum"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """

    def __init__(self, name: str = "sum", dtype: str | None = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", self.dtype, name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self) -> Any:
        return ops.cast(self.total, self.dtype)


class Mean(Metric):
    """Weighted mean of the given values (``total / count``).

    ``update_state(values, sample_weight=None)`` reduces ``values`` to one value per sample (the mean over
    the non-batch axes), adds their weighted sum to ``total`` and the summed weights (or the number of
    samples) to ``count``; the result is ``total / count``, 0 while ``count`` is 0.

    Args:
        name: The metric's name (default ``"mean"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Example:
        >>> m = kshim.metrics.Mean()
        >>> m.update_state([1.0, 2.0, 3.0, 4.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
        >>> float(kshim.ops.convert_to_numpy(m.result()))
        1.5
    """

    def __init__(self, name: str = "mean", dtype: str | None = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", self.dtype, name="total")
        self.count = self.add_variable((), "zeros", self.dtype, name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            n = ops.sum(sample_weight)
        elif len(ops.shape(values)) >= 1:
            n = ops.shape(values)[0]
        else:
            n = 1
        self.count.assign_add(ops.cast(n, self.dtype))

    def result(self) -> Any:
        return ops.divide_no_nan(self.total, ops.cast(self.count, self.dtype))


class MeanMetricWrapper(Mean):
    """Mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    A Keras mask on ``y_pred`` (``_keras_mask``) is folded into ``sample_weight``.

    Args:
        fn: The per-sample metric function ``fn(y_true, y_pred, **kwargs)``.
        name: The metric's name (default ``fn.__name__``, else ``"mean_metric_wrapper"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        **kwargs: Keyword arguments passed to ``fn`` on every update (and stored in the config).
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: str | None = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    # Keras' API: a Mean subclass whose update_state takes (y_true, y_pred), not Mean's (values).
    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = apply_mask(sample_weight, mask, self.dtype, "sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        cfg = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            cfg["fn"] = getattr(self._fn, "__name__", self._fn)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        config = dict(config)
        if isinstance(config.get("fn"), str):
            from . import get

            config["fn"] = get(config["fn"])
        return cls(**config)
