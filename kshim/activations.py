"""``kshim.activations``: Keras activation functions by name (with Keras' activation defaults)."""

from __future__ import annotations

from typing import Any, Callable

from . import _registry, ops


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Any:
    """Rectified linear unit with Keras' optional slope, cap and threshold.

    Computes ``x`` where ``x > threshold``, else ``negative_slope * (x - threshold)``, then caps the
    result at ``max_value``. With the defaults this is plain ``max(x, 0)`` (:func:`kshim.ops.relu`).

    Args:
        x: Input tensor.
        negative_slope: Slope applied below ``threshold``; 0.0 (the default) zeroes those values.
        max_value: Upper bound of the output; None (the default) leaves it unbounded.
        threshold: Values at or below it are treated as "below" (default 0.0).

    Returns:
        A tensor of ``x``'s shape and float dtype.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.activations.relu([-1.0, 0.5, 3.0])).tolist()
        [0.0, 0.5, 3.0]
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    above = ops.greater(x, threshold)
    y = ops.where(above, x, ops.multiply(negative_slope, ops.subtract(x, threshold)))
    if max_value is not None:
        y = ops.minimum(y, max_value)
    return y


def linear(x: Any) -> Any:
    """The identity activation: returns ``x`` unchanged.

    Args:
        x: Input (any value; it is not converted to a tensor).

    Returns:
        ``x`` itself.
    """
    return x


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit, ``x * P(X <= x)`` for a standard normal ``X``.

    The activation defaults to the exact erf form (``approximate=False``), as Keras' activation does; note
    that :func:`kshim.ops.gelu` defaults to the tanh approximation instead.

    Args:
        x: Input tensor.
        approximate: If True, use the tanh approximation
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``; if False (the default), the exact
            ``0.5 * x * (1 + erf(x / sqrt(2)))``.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.gelu(x, approximate=approximate)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs (Keras' activation default, 0.2).

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.leaky_relu(x, negative_slope)


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``, computed stably.

    Args:
        x: Input tensor of logits.
        axis: The axis the probabilities sum to 1 along (default the last).

    Returns:
        A tensor of ``x``'s shape and float dtype, non-negative, summing to 1 along ``axis``.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.activations.softmax([0.0, 0.0])).tolist()
        [0.5, 0.5]
    """
    return ops.softmax(x, axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """Log-softmax: ``x - logsumexp(x)`` along ``axis`` (the log of :func:`softmax`, computed stably).

    Args:
        x: Input tensor of logits.
        axis: The axis to normalize along (default the last).

    Returns:
        A tensor of ``x``'s shape and float dtype, non-positive, whose ``exp`` sums to 1 along ``axis``.
    """
    return ops.log_softmax(x, axis)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part (default 1.0); the output tends to ``-alpha`` as ``x`` goes to -inf.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.elu(x, alpha)


def exponential(x: Any) -> Any:
    """The exponential activation, ``exp(x)`` elementwise.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape (integer inputs give the default float dtype).
    """
    return ops.exp(x)


def sigmoid(x: Any) -> Any:
    """Sigmoid, ``1 / (1 + exp(-x))``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, in ``[0, 1]``.
    """
    return ops.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent, ``tanh(x)``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, in ``[-1, 1]``.
    """
    return ops.tanh(x)


def softplus(x: Any) -> Any:
    """Softplus, ``log(1 + exp(x))``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, non-negative.
    """
    return ops.softplus(x)


def softsign(x: Any) -> Any:
    """Softsign, ``x / (1 + |x|)``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, in ``[-1, 1]``.
    """
    return ops.softsign(x)


def selu(x: Any) -> Any:
    """Scaled exponential linear unit: ``scale * elu(x, alpha)``.

    ``alpha`` (about 1.6733) and ``scale`` (about 1.0507) are the fixed constants of the SELU paper.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.selu(x)


def silu(x: Any) -> Any:
    """SiLU (swish): ``x * sigmoid(x)``. ``swish`` is the same function.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.silu(x)


swish = silu


def hard_sigmoid(x: Any) -> Any:
    """Hard sigmoid, ``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, in ``[0, 1]``.
    """
    return ops.hard_sigmoid(x)


def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``. ``hard_swish`` is the same function.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.hard_silu(x)


hard_swish = hard_silu


def relu6(x: Any) -> Any:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, in ``[0, 6]``.
    """
    return ops.relu6(x)


def mish(x: Any) -> Any:
    """Mish: ``x * tanh(softplus(x))``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.mish(x)


def log_sigmoid(x: Any) -> Any:
    """Logarithm of the sigmoid, ``-softplus(-x)`` (stable for large ``|x|``).

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype, non-positive.
    """
    return ops.log_sigmoid(x)


def hard_tanh(x: Any) -> Any:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.hard_tanh(x)


def tanh_shrink(x: Any) -> Any:
    """Tanh shrink, ``x - tanh(x)``.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.tanh_shrink(x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: ``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``.

    Args:
        x: Input tensor.
        alpha: The scale of the negative part and of the exponent's argument (default 1.0).

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.celu(x, alpha)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: split ``x`` in two along ``axis``, ``a * sigmoid(b)``.

    Args:
        x: Input tensor; its size along ``axis`` must be even.
        axis: The axis to split in halves ``a`` (first) and ``b`` (second); default the last.

    Returns:
        A tensor of ``x``'s shape with the ``axis`` size halved.

    Raises:
        ValueError: If ``x``'s size along ``axis`` is odd.
    """
    return ops.glu(x, axis)


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Soft shrinkage: ``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    Args:
        x: Input tensor.
        threshold: The half-width of the band around 0 that maps to 0 (default 0.5).

    Returns:
        A tensor of ``x``'s shape and dtype.
    """
    return ops.soft_shrink(x, threshold)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Hard shrinkage: ``x`` where ``|x| > threshold``, else 0.

    Args:
        x: Input tensor.
        threshold: Values with ``|x| <= threshold`` become 0 (default 0.5).

    Returns:
        A tensor of ``x``'s shape and dtype.
    """
    return ops.hard_shrink(x, threshold)


def squareplus(x: Any, b: float = 4) -> Any:
    """Squareplus, a smooth ReLU: ``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: Input tensor.
        b: Smoothness; ``b = 0`` gives ``relu(x)`` (default 4).

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.squareplus(x, b)


def sparse_plus(x: Any) -> Any:
    """SparsePlus: 0 for ``x <= -1``, ``x`` for ``x >= 1`` and ``(x + 1)**2 / 4`` in between.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    return ops.sparse_plus(x)


def sparse_sigmoid(x: Any) -> Any:
    """Sparse sigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s float dtype.
    """
    return ops.sparse_sigmoid(x)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax: the projection of ``x`` onto the probability simplex along ``axis``
    (see :func:`kshim.ops.sparsemax`, which notes where it deliberately differs from Keras 3.15).

    Args:
        x: Input tensor.
        axis: Axis along which the sparsemax operation is applied.

    Returns:
        A tensor of ``x``'s shape, non-negative, summing to 1 along ``axis``.
    """
    return ops.sparsemax(x, axis)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: The value that decides when to retain or replace ``x``.
        default_value: Value to assign when ``x <= threshold``.

    Returns:
        A tensor of ``x``'s shape.
    """
    return ops.threshold(x, threshold, default_value)


ALL = {
    f.__name__: f
    for f in (
        relu,
        linear,
        gelu,
        leaky_relu,
        softmax,
        log_softmax,
        elu,
        exponential,
        sigmoid,
        tanh,
        softplus,
        softsign,
        selu,
        silu,
        hard_sigmoid,
        hard_silu,
        relu6,
        mish,
        log_sigmoid,
        celu,
        glu,
        hard_tanh,
        tanh_shrink,
        soft_shrink,
        hard_shrink,
        squareplus,
        sparse_plus,
        sparse_sigmoid,
        sparsemax,
        threshold,
    )
}
ALL.update({"swish": silu, "hard_swish": hard_silu})
_NAMES = {id(f): n for n, f in ALL.items() if n not in ("swish", "hard_swish")}
_registry.BUILTIN_FUNCTIONS.update(ALL)  # saved and loaded by bare name ("relu")


def get(identifier: Any) -> Callable:
    """Activation function from a name, a callable or None (linear).

    Args:
        identifier: An activation name (``"relu"``, ``"swish"``, ...), a serialized config dict (passed to
            :func:`deserialize`), any callable (returned as is) or None (gives :func:`linear`).

    Returns:
        The activation function.

    Raises:
        ValueError: For an unknown name or an identifier of another type.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = ALL.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}. Valid names: {', '.join(sorted(ALL))}.")
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}")


def serialize(activation: Callable) -> Any:
    """Name for built-in activations (as Keras writes them in configs); else the registered object.

    Args:
        activation: An activation function: one of this module's built-ins or a registered custom callable.

    Returns:
        The built-in's name (``"relu"``; ``swish`` and ``hard_swish`` give ``"silu"`` and ``"hard_silu"``),
        else the ``serialize_keras_object`` config of ``activation``.
    """
    name = _NAMES.get(id(activation))
    if name is not None:
        return name
    from ._serialization import serialize_keras_object

    return serialize_keras_object(activation)


def deserialize(config: Any, custom_objects: dict | None = None) -> Callable:
    """Inverse of :func:`serialize`: the activation function for a name or a serialized config.

    Args:
        config: An activation name (resolved by :func:`get`) or a ``serialize_keras_object`` config.
        custom_objects: Optional ``{name: object}`` mapping for custom activations in a config.

    Returns:
        The activation function.

    Raises:
        ValueError: For an unknown activation name.
    """
    if isinstance(config, str):
        return get(config)
    from ._serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)
