"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import warnings
from typing import Any

from .. import activations, constraints, initializers, ops, regularizers
from .core import _ser
from .layer import Layer


class ReLU(Layer):
    """``max_value``-capped rectifier: ``x`` above ``threshold``, else
    ``negative_slope * (x - threshold)``.

    Args:
        max_value: Upper cap of the output (``None``, the default: no cap); must be ``>= 0``.
        negative_slope: Slope below the threshold (default ``0.0``); must be ``>= 0``.
        threshold: Value below which the output is ``negative_slope * (x - threshold)`` (default ``0.0``);
            must be ``>= 0``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If one of the three arguments is negative (or ``None`` where a number is needed).
    """

    def __init__(
        self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs: Any
    ):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: max_value={max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. Received: "
                f"negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                f"threshold of a ReLU layer cannot be None or a negative value. Received: threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold})
        return cfg


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, else ``negative_slope * x`` (default slope 0.3; the deprecated
    ``alpha`` keyword is accepted).

    Args:
        negative_slope: Slope for negative inputs (default ``0.3``); must be ``>= 0``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``negative_slope`` is ``None`` or negative.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                f"Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg


class PReLU(Layer):
    """Leaky ReLU with a learned slope ``alpha`` of shape ``input_shape[1:]`` (size 1 on
    ``shared_axes``): ``relu(x) - alpha * relu(-x)``.

    Args:
        alpha_initializer: Initializer of ``alpha`` (default ``"Zeros"``, so it starts as a ReLU).
        alpha_regularizer: Optional regularizer of ``alpha``.
        alpha_constraint: Optional constraint on ``alpha``.
        shared_axes: An axis or list of axes (counting the batch axis as 0) along which ``alpha`` is
            shared, e.g. ``[1, 2]`` for one slope per channel of an image; ``None`` (default): no sharing.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape: Any) -> None:
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or ():
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU {self.name!r}: every non-batch axis that is not in `shared_axes` must have a "
                f"known size; got input shape {tuple(input_shape)} and shared_axes={self.shared_axes}."
            )
        self.alpha = self.add_weight(
            tuple(param_shape),
            self.alpha_initializer,
            name="alpha",
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        pos = ops.relu(inputs)
        neg = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(pos, neg)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": _ser(regularizers, self.alpha_regularizer),
                "alpha_constraint": _ser(constraints, self.alpha_constraint),
                "shared_axes": self.shared_axes,
            }
        )
        return cfg


class ELU(Layer):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: Scale of the negative part (default ``1.0``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["alpha"] = self.alpha
        return cfg


def _large_negative(dtype: str) -> float:
    return -3e4 if dtype == "float16" else -1e9


class Softmax(Layer):
    """Softmax over ``axis`` (an int or a list of ints). A ``mask`` (broadcastable to the input;
    non-bool masks count values > 0.5 as kept) gives masked positions a large negative logit and
    zero output.

    Args:
        axis: The axis, or list of axes, to normalize over (default ``-1``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        x = inputs
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            ms, xs = tuple(ops.shape(mask)), tuple(ops.shape(x))
            if len(ms) > len(xs):
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs` and must not have more dimensions. "
                    f"Received: inputs.shape={xs}, mask.shape={ms}"
                )
            for m_dim, i_dim in zip(ms[::-1], xs[::-1]):
                if m_dim != 1 and m_dim != i_dim:
                    raise ValueError(
                        "The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 "
                        f"or match the corresponding input dimension. Received: inputs.shape={xs}, "
                        f"mask.shape={ms}"
                    )
            if ops.dtype(mask) != "bool":
                mask = ops.greater(mask, 0.5)
            x = ops.where(mask, x, _large_negative(ops.dtype(x)))
        if isinstance(self.axis, (list, tuple)):
            if len(self.axis) > 1:
                out = ops.exp(ops.subtract(x, ops.logsumexp(x, axis=tuple(self.axis), keepdims=True)))
            else:
                out = ops.softmax(x, axis=self.axis[0])
        else:
            out = ops.softmax(x, axis=self.axis)
        if mask is not None:
            out = ops.where(mask, out, 0.0)
        return out

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg
