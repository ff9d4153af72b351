"""Traced elementwise math, reductions, scans and fused softmax-family ops (one VJP each)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .. import rawops as R
from .tensor import Tensor, make, unbroadcast, val

_SQRT_PI = math.sqrt(math.pi)


def _zero(x, out, g):
    return None


# name -> (forward, vjp(x, out, g) -> gx or None). None vjp: output never differentiable.
# name -> (forward on arrays, vjp rule ``(x, out, g) -> gx`` or None for an op without gradient)
UNARY: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]] = {
    "negative": (np.negative, lambda x, o, g: -g),
    "abs": (np.abs, lambda x, o, g: g * (np.conj(np.sign(x)) if x.dtype.kind == "c" else np.sign(x))),
    "sign": (np.sign, _zero),
    "exp": (np.exp, lambda x, o, g: g * o),
    "log": (np.log, lambda x, o, g: g / x),
    "log1p": (np.log1p, lambda x, o, g: g / (1 + x)),
    "expm1": (np.expm1, lambda x, o, g: g * (o + 1)),
    "sqrt": (np.sqrt, lambda x, o, g: g * 0.5 / o),
    "square": (np.square, lambda x, o, g: g * 2 * x),
    "reciprocal": (np.reciprocal, lambda x, o, g: -g * o * o),
    "sin": (np.sin, lambda x, o, g: g * np.cos(x)),
    "cos": (np.cos, lambda x, o, g: -g * np.sin(x)),
    "tan": (np.tan, lambda x, o, g: g * (1 + o * o)),
    "arcsin": (np.arcsin, lambda x, o, g: g / np.sqrt(1 - x * x)),
    "arccos": (np.arccos, lambda x, o, g: -g / np.sqrt(1 - x * x)),
    "arctan": (np.arctan, lambda x, o, g: g / (1 + x * x)),
    "sinh": (np.sinh, lambda x, o, g: g * np.cosh(x)),
    "cosh": (np.cosh, lambda x, o, g: g * np.sinh(x)),
    "tanh": (np.tanh, lambda x, o, g: g * (1 - o * o)),
    "arcsinh": (np.arcsinh, lambda x, o, g: g / np.sqrt(x * x + 1)),
    "arccosh": (np.arccosh, lambda x, o, g: g / np.sqrt(x * x - 1)),
    "arctanh": (np.arctanh, lambda x, o, g: g / (1 - x * x)),
    "erf": (R.erf, lambda x, o, g: g * (2 / _SQRT_PI) * np.exp(-x * x)),
    "erfinv": (R.erfinv, lambda x, o, g: g * (_SQRT_PI / 2) * np.exp(o * o)),
    "sigmoid": (R.sigmoid, lambda x, o, g: g * o * (1 - o)),
    "softplus": (R.softplus, lambda x, o, g: g * R.sigmoid(x)),
    "floor": (np.floor, _zero),
    "ceil": (np.ceil, _zero),
    "round": (np.round, _zero),
    "logical_not": (R.logical_not, None),
    "isnan": (np.isnan, None),
    "isinf": (np.isinf, None),
    "isfinite": (np.isfinite, None),
    "bitwise_not": (R.bitwise_not, None),
}


def unary(name):
    fwd, rule = UNARY[name]
    if rule is None:
        return lambda x: fwd(val(x))

    def traced(x):
        xv = x.value
        out = fwd(xv)
        return make(out, (x,), lambda g: (rule(xv, out, g),))

    return traced


def _max_vjp(a, b, o, g, ga_mask, gb_mask):
    half = g * 0.5
    eq = a == b
    ga = np.where(ga_mask, g, np.where(eq, half, 0)) if ga_mask is not None else None
    gb = np.where(gb_mask, g, np.where(eq, half, 0)) if gb_mask is not None else None
    return ga, gb


def _pow_vjp(a, b, o, g, na, nb):
    ga = gb = None
    if na:
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = g * np.where(b == 0, 0, b * np.power(a, b - 1))
    if nb:
        safe = np.where(a > 0, a, 1)
        gb = g * np.where(a > 0, o * np.log(safe), 0)
    return ga, gb


def _binary_rules():
    def lin(sa, sb):
        return lambda a, b, o, g, na, nb: (
            (g if sa == 1 else -g) if na else None,
            (g if sb == 1 else -g) if nb else None,
        )

    def mul(a, b, o, g, na, nb):
        return (g * b if na else None, g * a if nb else None)

    def div(a, b, o, g, na, nb):
        ga = g / b
        return (ga if na else None, -ga * o if nb else None)

    def mod(a, b, o, g, na, nb):
        return (g if na else None, -g * np.floor_divide(a, b) if nb else None)

    def atan2(a, b, o, g, na, nb):
        d = g / (a * a + b * b)
        return (d * b if na else None, -d * a if nb else None)

    def mx(a, b, o, g, na, nb):
        return _max_vjp(a, b, o, g, (a > b) if na else None, (b > a) if nb else None)

    def mn(a, b, o, g, na, nb):
        return _max_vjp(a, b, o, g, (a < b) if na else None, (b < a) if nb else None)

    return {
        "add": (np.add, lin(1, 1)),
        "subtract": (np.subtract, lin(1, -1)),
        "multiply": (np.multiply, mul),
        "divide": (np.true_divide, div),
        "floor_divide": (np.floor_divide, lambda *a: (None, None)),
        "mod": (np.mod, mod),
        "power": (np.power, _pow_vjp),
        "maximum": (np.maximum, mx),
        "minimum": (np.minimum, mn),
        "arctan2": (np.arctan2, atan2),
        "equal": (np.equal, None),
        "not_equal": (np.not_equal, None),
        "less": (np.less, None),
        "less_equal": (np.less_equal, None),
        "greater": (np.greater, None),
        "greater_equal": (np.greater_equal, None),
        "logical_and": (np.logical_and, None),
        "logical_or": (np.logical_or, None),
        "logical_xor": (np.logical_xor, None),
        "bitwise_and": (np.bitwise_and, None),
        "bitwise_or": (np.bitwise_or, None),
        "bitwise_xor": (np.bitwise_xor, None),
        "left_shift": (np.left_shift, None),
        "right_shift": (np.right_shift, None),
    }


BINARY = _binary_rules()


def binary(name):
    fwd, rule = BINARY[name]
    if rule is None:
        return lambda a, b: fwd(val(a), val(b))

    def traced(a, b):
        av, bv = val(a), val(b)
        out = fwd(av, bv)
        na, nb = a.__class__ is Tensor, b.__class__ is Tensor
        sa, sb = np.shape(av), np.shape(bv)

        def vjp(g):
            ga, gb = rule(av, bv, out, g, na, nb)
            return (unbroadcast(ga, sa) if ga is not None else None, unbroadcast(gb, sb) if gb is not None else None)

        return make(out, (a, b), vjp)

    return traced


def where(c, a, b):
    cv, av, bv = val(c), val(a), val(b)
    out = np.where(cv, av, bv)
    sa, sb = np.shape(av), np.shape(bv)

    def vjp(g):
        m = cv if getattr(cv, "dtype", None) == np.bool_ else np.asarray(cv).astype(bool)
        ga = unbroadcast(R.select(m, g), sa) if a.__class__ is Tensor else None
        gb = unbroadcast(R.select(~m, g), sb) if b.__class__ is Tensor else None
        return None, ga, gb

    return make(out, (c, a, b), vjp)


def _expand(g, shape, axis, keepdims):
    """Reshape a reduced cotangent so it broadcasts against the input ``shape``."""
    if not keepdims:
        if axis is None:
            return np.reshape(g, (1,) * len(shape))
        g = np.expand_dims(g, axis)
    return g


def sum_(x, axis=None, keepdims=False):
    xv = x.value
    out = R.sum_(xv, axis, keepdims)
    return make(out, (x,), lambda g: (np.broadcast_to(_expand(g, xv.shape, axis, keepdims), xv.shape),))


def _to_last(a, axes):
    """Move ``axes`` to the end and flatten them: returns (array, inverse permutation, shape)."""
    rest = [i for i in range(a.ndim) if i not in axes]
    perm = rest + list(axes)
    t = np.transpose(a, perm)
    return t.reshape(t.shape[: len(rest)] + (-1,)), np.argsort(perm), t.shape


def prod_(x, axis=None, keepdims=False):
    xv = x.value
    out = R.prod_(xv, axis, keepdims)

    def vjp(g):
        axes = tuple(range(xv.ndim)) if axis is None else tuple(axis)
        flat, inv, tshape = _to_last(xv, axes)
        ones = np.ones(flat.shape[:-1] + (1,), xv.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = np.transpose((left * right).reshape(tshape), inv)  # product of the others
        return (_expand(g, xv.shape, axis, keepdims) * others,)

    return make(out, (x,), vjp)


def _minmax(fn):
    def traced(x, axis=None, keepdims=False):
        xv = x.value
        out = fn(xv, axis=axis, keepdims=keepdims)

        def vjp(g):
            mask = xv == _expand(out, xv.shape, axis, keepdims)
            cnt = np.sum(mask, axis=axis, keepdims=True).astype(g.dtype)
            return (mask * (_expand(g, xv.shape, axis, keepdims) / cnt),)

        return make(out, (x,), vjp)

    return traced


max_ = _minmax(np.max)
min_ = _minmax(np.min)


def cumsum(x, axis):
    xv = x.value
    out = R.cumsum(xv, axis)
    return make(out, (x,), lambda g: (np.flip(np.cumsum(np.flip(g, axis), axis), axis),))


def cumprod(x, axis):
    xv = x.value
    out = R.cumprod(xv, axis)

    def vjp(g):
        if np.all(xv != 0):
            return (np.flip(np.cumsum(np.flip(g * out, axis), axis), axis) / xv,)
        # zeros: d out_j / d x_i = prod_{k<=j, k!=i} x_k, built explicitly (O(n^2) along axis)
        xm = np.moveaxis(xv, axis, -1)
        gm = np.moveaxis(g, axis, -1)
        n = xm.shape[-1]
        rep = np.repeat(xm[..., None, :], n, axis=-2).copy()  # [..., i, k]
        rep[..., np.arange(n), np.arange(n)] = 1
        c = np.cumprod(rep, -1) * np.triu(np.ones((n, n), xv.dtype))  # j >= i
        gx = np.einsum("...ij,...j->...i", c, gm)
        return (np.moveaxis(gx, -1, axis),)

    return make(out, (x,), vjp)


def cast(x, npdtype):
    xv = x.value
    src = xv.dtype
    out = (xv.real if src.kind == "c" and np.dtype(npdtype).kind != "c" else xv).astype(npdtype, copy=False)
    if src.kind != "c" and np.dtype(npdtype).kind == "c":  # real -> complex: the real part flows back
        return make(out, (x,), lambda g: (np.real(g).astype(src, copy=False),))
    return make(out, (x,), lambda g: (g.astype(src, copy=False),))


def relu(x):
    xv = x.value
    out = np.maximum(xv, 0)
    return make(out, (x,), lambda g: (R.select(xv > 0, g),))


def softmax(x, axis):
    out = R.softmax(x.value, axis)
    return make(out, (x,), lambda g: (out * (g - np.sum(g * out, axis=axis, keepdims=True)),))


def log_softmax(x, axis):
    out = R.log_softmax(x.value, axis)
    return make(out, (x,), lambda g: (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),))


def logsumexp(x, axis=None, keepdims=False):
    xv = x.value
    out = R.logsumexp(xv, axis, keepdims)

    def vjp(g):
        oe = _expand(out, xv.shape, axis, keepdims)
        return (_expand(g, xv.shape, axis, keepdims) * np.exp(xv - oe),)

    return make(out, (x,), vjp)
