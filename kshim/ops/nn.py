"""Neural-network ops (``keras.ops.nn``): activations, convolution, pooling, normalization, losses."""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

from .. import _config as config
from .. import dtypes as _dt
from ..backend import current
from ._conv_utils import check_padded_size, conv_output_shape, conv_padding, conv_transpose_padding, tuplify
from ._dispatch import axis_tuple, norm_axis, op, promote, tensor


def _f(x: Any) -> Any:
    """Tensor in a float dtype (integers become floatx)."""
    b = current()
    x = tensor(x)
    return x if _dt.is_float(b.dtype(x)) else b.cast(x, config.floatx())


def _c(x: Any, v: float) -> Any:
    """Scalar constant in ``x``'s dtype."""
    b = current()
    return b.full((), v, b.dtype(x))


# ---- activations ----------------------------------------------------------------------------
@op
def relu(x: Any) -> Any:
    """Rectified linear unit: ``max(x, 0)``, elementwise.

    The gradient at 0 is 0 on every backend. Integer inputs keep their dtype (as in Keras); bool
    becomes int32.

    Args:
        x: Input tensor.

    Returns:
        A tensor of ``x``'s shape and dtype (int32 for bool).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.relu(kshim.ops.array([-1.0, 0.0, 2.0])))
        array([0., 0., 2.], dtype=float32)
    """
    b = current()
    x = tensor(x)
    if b.dtype(x) == "bool":
        x = b.cast(x, "int32")
    fused = getattr(b, "relu", None)
    if fused is not None:
        return fused(x)
    return b.where(b.greater(x, _c(x, 0.0)), x, _c(x, 0.0))


@op
def relu6(x: Any) -> Any:
    """Rectified linear unit capped at 6: ``min(max(x, 0), 6)``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.minimum(relu(x), _c(x, 6.0))


@op
def sigmoid(x: Any) -> Any:
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    return current().sigmoid(_f(x))


@op
def hard_sigmoid(x: Any) -> Any:
    """Piecewise-linear approximation of the sigmoid: ``relu6(x + 3) / 6``, elementwise.

    It is 0 for ``x <= -3``, 1 for ``x >= 3`` and ``x / 6 + 0.5`` in between.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.divide(relu6(b.add(x, _c(x, 3.0))), _c(x, 6.0))


@op
def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


@op
def silu(x: Any) -> Any:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.multiply(x, b.sigmoid(x))


swish = silu


@op
def log_sigmoid(x: Any) -> Any:
    """Logarithm of the sigmoid, ``-softplus(-x)``, elementwise (stable for large ``|x|``).

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.negative(b.softplus(b.negative(x)))


@op
def softplus(x: Any) -> Any:
    """Softplus, ``log(1 + exp(x))``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    return current().softplus(_f(x))


@op
def softsign(x: Any) -> Any:
    """Softsign, ``x / (1 + |x|)``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.divide(x, b.add(b.abs(x), _c(x, 1.0)))


@op
def tanh_shrink(x: Any) -> Any:
    """Tanh shrink, ``x - tanh(x)``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.subtract(x, b.tanh(x))


@op
def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Soft shrinkage: moves ``x`` towards 0 by ``threshold``, elementwise.

    It is ``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold`` and 0 in between.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        threshold: The non-negative threshold (default 0.5).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    t = _c(x, threshold)
    return b.where(b.greater(x, t), b.subtract(x, t), b.where(b.less(x, b.negative(t)), b.add(x, t), _c(x, 0.0)))


@op
def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Hard shrinkage: ``x`` where ``|x| > threshold``, 0 elsewhere, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        threshold: The non-negative threshold (default 0.5).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.where(b.greater(b.abs(x), _c(x, threshold)), x, _c(x, 0.0))


@op
def hard_tanh(x: Any) -> Any:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.minimum(b.maximum(x, _c(x, -1.0)), _c(x, 1.0))


@op
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Leaky rectified linear unit: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        negative_slope: The slope for negative inputs (default 0.2).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    return b.where(b.greater_equal(x, _c(x, 0.0)), x, b.multiply(x, _c(x, negative_slope)))


@op
def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        alpha: The scale of the negative part (default 1.0).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    neg = b.multiply(_c(x, alpha), b.expm1(b.minimum(x, _c(x, 0.0))))
    return b.where(b.greater(x, _c(x, 0.0)), x, neg)


@op
def selu(x: Any) -> Any:
    """Scaled exponential linear unit: ``scale * elu(x, alpha)``, elementwise.

    ``alpha`` (about 1.6733) and ``scale`` (about 1.0507) are the fixed constants of the SELU paper.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return b.multiply(_c(x, scale), elu(x, alpha))


@op
def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable exponential linear unit, elementwise.

    It is ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        alpha: The scale of the negative part (default 1.0).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    neg = b.multiply(_c(x, alpha), b.expm1(b.divide(b.minimum(x, _c(x, 0.0)), _c(x, alpha))))
    return b.add(relu(x), b.minimum(neg, _c(x, 0.0)))


@op
def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal ``X``, elementwise.

    ``approximate=True`` (the ``keras.ops`` default) uses the tanh form
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``; ``False`` the exact
    ``0.5 * x * (1 + erf(x / sqrt(2)))``.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        approximate: Whether to use the tanh approximation (default True).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    half = _c(x, 0.5)
    if approximate:
        inner = b.multiply(
            _c(x, _math.sqrt(2.0 / _math.pi)), b.add(x, b.multiply(_c(x, 0.044715), b.multiply(b.square(x), x)))
        )
        return b.multiply(b.multiply(half, x), b.add(_c(x, 1.0), b.tanh(inner)))
    return b.multiply(b.multiply(half, x), b.add(_c(x, 1.0), b.erf(b.divide(x, _c(x, _math.sqrt(2.0))))))


@op
def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: splits ``x`` in two halves ``a`` and ``b`` along ``axis`` and returns
    ``a * sigmoid(b)``.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        axis: The axis to split (default -1); its size must be even.

    Returns:
        A tensor of ``x``'s shape with ``axis`` halved, in ``x``'s float dtype.

    Raises:
        ValueError: If the size of ``axis`` is odd, or ``axis`` is out of bounds.
    """
    b = current()
    x = _f(x)
    ax = norm_axis(axis, len(b.shape(x)))
    n = b.shape(x)[ax]
    if n % 2:
        raise ValueError(f"glu: axis {axis} must have an even size, got shape {b.shape(x)}.")
    lead = (slice(None),) * ax
    a, g = b.getitem(x, lead + (slice(0, n // 2),)), b.getitem(x, lead + (slice(n // 2, n),))
    return b.multiply(a, b.sigmoid(g))


@op
def squareplus(x: Any, b: float = 4.0) -> Any:
    """Squareplus, a smooth ReLU: ``(x + sqrt(x**2 + b)) / 2``, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        b: The smoothness constant (default 4.0); 0 gives ``relu``.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    bk = current()
    x = _f(x)
    return bk.divide(bk.add(x, bk.sqrt(bk.add(bk.square(x), _c(x, b)))), _c(x, 2.0))


@op
def sparse_plus(x: Any) -> Any:
    """SparsePlus: 0 for ``x <= -1``, ``x`` for ``x >= 1`` and ``(x + 1)**2 / 4`` in between, elementwise.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    mid = b.multiply(_c(x, 0.25), b.square(b.add(x, _c(x, 1.0))))
    return b.where(b.less_equal(x, _c(x, -1.0)), _c(x, 0.0), b.where(b.greater_equal(x, _c(x, 1.0)), x, mid))


@op
def mish(x: Any) -> Any:
    b = current()
    x = _f(x)
    return b.multiply(x, b.tanh(b.softplus(x)))


@op
def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``, computed with the maximum subtracted first.

    A backend may supply a fused kernel for it.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        axis: The axis to normalize over, an int (default -1: the last axis), a tuple of axes
            normalized together (as if flattened into one), or None (all axes, as Keras).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype, whose values along ``axis`` are
        non-negative and sum to 1.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    b = current()
    x = _f(x)
    axes = _softmax_axes(axis, len(b.shape(x)))
    fused = getattr(b, "softmax", None)
    if fused is not None and len(axes) == 1:
        return fused(x, axes[0])
    e = b.exp(b.subtract(x, b.stop_gradient(b.max(x, axes, True))))
    return b.divide(e, b.sum(e, axes, True))


def _softmax_axes(axis: Any, ndim: int) -> tuple:
    """``axis`` of softmax/log_softmax as a tuple: an int, or (as Keras) a tuple/list of axes that are
    normalized together, as if flattened into one; None is every axis."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = axis_tuple(axis, ndim)
        if not axes:
            raise ValueError("softmax: `axis` must name at least one axis.")
        return axes
    return (norm_axis(axis, ndim),)


@op
def log_softmax(x: Any, axis: int = -1) -> Any:
    """Logarithm of the softmax along ``axis``: ``x - logsumexp(x, axis, keepdims=True)``.

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        axis: The axis to normalize over, an int (default -1: the last axis), a tuple of axes
            normalized together (as if flattened into one), or None (all axes, as Keras).

    Returns:
        A tensor of ``x``'s shape, in ``x``'s float dtype.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    b = current()
    x = _f(x)
    axes = _softmax_axes(axis, len(b.shape(x)))
    fused = getattr(b, "log_softmax", None)
    if fused is not None and len(axes) == 1:
        return fused(x, axes[0])
    return b.subtract(x, logsumexp(x, axis=axes, keepdims=True))


@op
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, computed stably (the maximum is factored out first).

    Args:
        x: Input tensor; integer and bool inputs are cast to ``floatx()`` first.
        axis: None (the default: all axes), an int or a sequence of ints.
        keepdims: If True, the reduced axes are kept with size 1; if False (the default) they are
            removed.

    Returns:
        A tensor in ``x``'s float dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = _f(x)
    axes = axis_tuple(axis, len(b.shape(x)))
    fused = getattr(b, "logsumexp", None)
    if fused is not None:
        return fused(x, axes, keepdims)
    m = b.stop_gradient(b.max(x, axes, True))
    m = b.where(b.isfinite(m), m, _c(x, 0.0))
    out = b.add(b.log(b.sum(b.exp(b.subtract(x, m)), axes, True)), m)
    if not keepdims:
        shp = b.shape(out)
        out = b.reshape(out, tuple(s for i, s in enumerate(shp) if axes is not None and i not in axes))
    return out


# ---- convolution and pooling -------------------------------------------------------------------
def _spatial(x: Any, nd: int, data_format: str) -> tuple:
    shp = current().shape(x)
    return tuple(shp[1:-1]) if data_format == "channels_last" else tuple(shp[2:])


def _channels(x: Any, data_format: str) -> int:
    shp = current().shape(x)
    return shp[-1] if data_format == "channels_last" else shp[1]


@op
def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    """N-d convolution (1-d, 2-d or 3-d, as the kernel's rank says) of ``inputs`` with ``kernel``.

    The number of groups is inferred: the input channels divided by the kernel's input channels
    (1 for an ordinary convolution). Integer inputs are cast to ``floatx()`` first.

    Args:
        inputs: Tensor of rank ``N + 2``, laid out as ``data_format`` says.
        kernel: Tensor of shape ``(*kernel_size, in_channels // groups, out_channels)``.
        strides: An int or one int per spatial dimension (default 1).
        padding: ``"valid"`` (the default: no padding) or ``"same"`` (pad so that the output's
            spatial size is the input's divided by ``strides``, rounded up). kshim also accepts
            ``"causal"`` (pad only at the start of each spatial axis), which Keras' op does not.
        data_format: ``"channels_last"`` (inputs ``(batch, *spatial, channels)``) or
            ``"channels_first"`` (``(batch, channels, *spatial)``); None (the default) means
            ``kshim.config.image_data_format()``.
        dilation_rate: An int or one int per spatial dimension (default 1): the spacing between
            kernel taps.

    Returns:
        The output tensor of rank ``N + 2`` with ``out_channels`` channels, in ``data_format``'s layout.

    Raises:
        ValueError: If the shapes or channel counts do not fit, ``strides``/``dilation_rate`` have the
            wrong length, ``padding`` or ``data_format`` is invalid, or the output would be empty.
    """
    b = current()
    x, w = promote(_f(inputs), kernel)
    df = config.standardize_data_format(data_format)
    nd = len(b.shape(w)) - 2
    if len(b.shape(x)) != nd + 2:
        raise ValueError(f"conv: inputs of shape {b.shape(x)} need rank {nd + 2} for a kernel of shape {b.shape(w)}.")
    cin, kin = _channels(x, df), b.shape(w)[-2]
    if kin == 0 or cin % kin:
        raise ValueError(
            f"conv: input channels {cin} (inputs {b.shape(x)}, {df}) are not a multiple of the "
            f"kernel's input channels {kin} (kernel {b.shape(w)})."
        )
    groups = cin // kin
    if b.shape(w)[-1] % groups:
        raise ValueError(f"conv: output channels {b.shape(w)[-1]} not divisible by groups {groups}.")
    s, d = tuplify(strides, nd, "strides"), tuplify(dilation_rate, nd, "dilation_rate")
    conv_output_shape(b.shape(x), b.shape(w)[:-2], s, padding, df, dilation=d)
    pads = conv_padding(padding, _spatial(x, nd, df), b.shape(w)[:-2], s, d)
    check_padded_size(b.shape(x), pads, df, "conv")
    return b.conv(x, w, s, pads, d, groups, df)


@op
def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    """Depthwise N-d convolution: each input channel is convolved with its own
    ``channel_multiplier`` filters.

    Args:
        inputs: Tensor of rank ``N + 2``, laid out as ``data_format`` says.
        kernel: Tensor of shape ``(*kernel_size, in_channels, channel_multiplier)``.
        strides: An int or one int per spatial dimension (default 1).
        padding: ``"valid"`` (the default: no padding) or ``"same"`` (pad so that the output's
            spatial size is the input's divided by ``strides``, rounded up). kshim also accepts
            ``"causal"`` (pad only at the start of each spatial axis), which Keras' op does not.
        data_format: ``"channels_last"`` (inputs ``(batch, *spatial, channels)``) or
            ``"channels_first"`` (``(batch, channels, *spatial)``); None (the default) means
            ``kshim.config.image_data_format()``.
        dilation_rate: An int or one int per spatial dimension (default 1): the spacing between
            kernel taps.

    Returns:
        The output tensor with ``in_channels * channel_multiplier`` channels, in ``data_format``'s
        layout.

    Raises:
        ValueError: If the shapes or channel counts do not fit, ``strides``/``dilation_rate`` have the
            wrong length, ``padding`` or ``data_format`` is invalid, or the output would be empty.
    """
    b = current()
    x, w = promote(_f(inputs), kernel)
    shp = b.shape(w)
    w = b.reshape(w, tuple(shp[:-2]) + (1, shp[-2] * shp[-1]))
    return conv(x, w, strides, padding, data_format, dilation_rate)


@op
def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    """Separable N-d convolution: a :func:`depthwise_conv`, then a pointwise (kernel size 1)
    :func:`conv` that mixes the channels. ``strides``, ``padding`` and ``dilation_rate`` apply to
    the depthwise step.

    Args:
        inputs: Tensor of rank ``N + 2``, laid out as ``data_format`` says.
        depthwise_kernel: Tensor of shape ``(*kernel_size, in_channels, channel_multiplier)``.
        pointwise_kernel: Tensor of shape ``(1, ..., 1, in_channels * channel_multiplier, out_channels)``
            (N ones).
        strides: An int or one int per spatial dimension (default 1).
        padding: ``"valid"`` (the default: no padding) or ``"same"`` (pad so that the output's
            spatial size is the input's divided by ``strides``, rounded up). kshim also accepts
            ``"causal"`` (pad only at the start of each spatial axis), which Keras' op does not.
        data_format: ``"channels_last"`` (inputs ``(batch, *spatial, channels)``) or
            ``"channels_first"`` (``(batch, channels, *spatial)``); None (the default) means
            ``kshim.config.image_data_format()``.
        dilation_rate: An int or one int per spatial dimension (default 1): the spacing between
            kernel taps.

    Returns:
        The output tensor with ``out_channels`` channels, in ``data_format``'s layout.

    Raises:
        ValueError: If the shapes or channel counts do not fit, ``strides``/``dilation_rate`` have the
            wrong length, ``padding`` or ``data_format`` is invalid, or the output would be empty.
    """
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


@op
def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    """N-d transposed convolution (the gradient of :func:`conv` with respect to its input), with
    Keras' output sizes.

    Args:
        inputs: Tensor of rank ``N + 2``, laid out as ``data_format`` says.
        kernel: Tensor of shape ``(*kernel_size, out_channels, in_channels)`` (note the order).
        strides: An int or one int per spatial dimension (default 1).
        padding: ``"valid"`` (the default: each output size is ``n * s + max(k - s, 0)``) or
            ``"same"`` (each output size is ``n * s``), for input size ``n``, stride ``s`` and
            (dilated) kernel size ``k``.
        output_padding: None (the default: sizes as above), or an int or one int per spatial
            dimension: the output size along each axis is then
            ``(n - 1) * s + k - 2 * pad + output_padding``, with ``pad`` 0 for ``"valid"`` and
            ``k // 2`` for ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; None (the default) means
            ``kshim.config.image_data_format()``.
        dilation_rate: An int or one int per spatial dimension (default 1).

    Returns:
        The output tensor with ``out_channels`` channels, in ``data_format``'s layout.

    Raises:
        ValueError: If the input channels differ from the kernel's last dimension, an argument has
            the wrong length, or ``padding`` or ``data_format`` is invalid.
    """
    b = current()
    x, w = promote(_f(inputs), kernel)
    df = config.standardize_data_format(data_format)
    nd = len(b.shape(w)) - 2
    if _channels(x, df) != b.shape(w)[-1]:
        raise ValueError(
            f"conv_transpose: input channels {_channels(x, df)} (inputs {b.shape(x)}) do not match "
            f"the kernel's last dim (kernel {b.shape(w)}, layout (*k, out, in))."
        )
    s, d = tuplify(strides, nd, "strides"), tuplify(dilation_rate, nd, "dilation_rate")
    op_ = (None,) * nd if output_padding is None else tuplify(output_padding, nd, "output_padding")
    pads = conv_transpose_padding(padding, b.shape(w)[:-2], s, d, op_)
    return b.conv_transpose(x, w, s, pads, d, df)


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None) -> Any:
    b = current()
    x = _f(inputs) if kind == "avg" else tensor(inputs)
    df = config.standardize_data_format(data_format)
    nd = len(b.shape(x)) - 2
    k = tuplify(pool_size, nd, "pool_size")
    s = k if strides is None else tuplify(strides, nd, "strides")
    conv_output_shape(b.shape(x), k, s, padding, df, what="pool_size")
    spatial = _spatial(x, nd, df)
    if padding.lower() == "same":
        # One window covering a whole axis (window and stride >= its length): pooling the axis
        # without padding is the same result and never allocates a window-sized padded input.
        whole = [0 < n <= kk and n <= ss for n, kk, ss in zip(spatial, k, s)]
        k = tuple(n if w else kk for n, kk, w in zip(spatial, k, whole))
        s = tuple(n if w else ss for n, ss, w in zip(spatial, s, whole))
    pads = conv_padding(padding, spatial, k, s, (1,) * nd)
    check_padded_size(b.shape(x), pads, df, f"{kind}_pool")
    fn = b.max_pool if kind == "max" else b.avg_pool
    return fn(x, k, s, pads, df)


@op
def max_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: str | None = None
) -> Any:
    """N-d max pooling: the maximum of each window.

    Args:
        inputs: Tensor of rank ``N + 2`` (N spatial dimensions), laid out as ``data_format`` says.
        pool_size: An int or one int per spatial dimension: the window size.
        strides: An int or one int per spatial dimension; None (the default) means ``pool_size``.
        padding: ``"valid"`` (the default: no padding) or ``"same"`` (pad so that the output's
            spatial size is the input's divided by ``strides``, rounded up).
        data_format: ``"channels_last"`` or ``"channels_first"``; None (the default) means
            ``kshim.config.image_data_format()``.

    Returns:
        The pooled tensor, with the input's batch and channel dimensions.

    Raises:
        ValueError: If ``pool_size`` or ``strides`` has the wrong length, ``padding`` or
            ``data_format`` is invalid, or the output would be empty.
    """
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@op
def average_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: str | None = None
) -> Any:
    """N-d average pooling: the mean of each window.

    Integer inputs are cast to ``floatx()``; with ``same`` padding the padded cells are not counted in the
    mean.

    Args:
        inputs: Tensor of rank ``N + 2`` (N spatial dimensions), laid out as ``data_format`` says.
        pool_size: An int or one int per spatial dimension: the window size.
        strides: An int or one int per spatial dimension; None (the default) means ``pool_size``.
        padding: ``"valid"`` (the default: no padding) or ``"same"`` (pad so that the output's
            spatial size is the input's divided by ``strides``, rounded up).
        data_format: ``"channels_last"`` or ``"channels_first"``; None (the default) means
            ``kshim.config.image_data_format()``.

    Returns:
        The pooled tensor, with the input's batch and channel dimensions.

    Raises:
        ValueError: If ``pool_size`` or ``strides`` has the wrong length, ``padding`` or
            ``data_format`` is invalid, or the output would be empty.
    """
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
