"""Backend primitives against plain NumPy / SciPy (elementwise, shapes, indexing) and jax.lax
(convolution, pooling), for every backend selected with ``--backend``.

Tolerances: elementwise float32 results may differ by a few ulps between libraries' libm
implementations, so rtol=1e-5 (about 80 ulp) with a tiny atol for values near zero; float64
uses rtol=1e-12. Sums of K float32 terms accumulate error ~ eps*sqrt(K), hence conv/matmul
float32 use rtol=atol=1e-4 for K up to a few hundred.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sps

from kshim.backends import BINARY_OPS, REDUCE_OPS, UNARY_OPS
from kshim.backends._base import BaseBackend

F32, F64 = np.float32, np.float64
TOL = {np.dtype(F32): dict(rtol=1e-5, atol=1e-6), np.dtype(F64): dict(rtol=1e-12, atol=1e-14)}
rng = np.random.default_rng(0)


def T(b, a, dtype=None):
    return b.convert_to_tensor(np.asarray(a) if dtype is None else np.asarray(a, dtype))


def N(b, t):
    return b.to_numpy(t)


def close(got, want, dtype=None, rtol=None, atol=None, check_dtype=True):
    got, want = np.asarray(got), np.asarray(want)
    tol = dict(TOL.get(np.dtype(dtype or want.dtype), dict(rtol=0, atol=0)))
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    assert got.shape == want.shape, (got.shape, want.shape)
    if check_dtype:
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got.astype(F64) if got.dtype.kind == "f" else got, want, equal_nan=True, **tol)


# ---- unary -------------------------------------------------------------------------------------
def _dom(name, shape, dtype):
    x = rng.standard_normal(shape)
    if name in ("log", "sqrt", "reciprocal"):
        x = np.abs(x) + 0.1
    elif name in ("arcsin", "arccos", "arctanh", "erfinv"):
        x = np.tanh(x) * 0.95
    elif name == "arccosh":
        x = np.abs(x) + 1.1
    elif name == "log1p":
        x = np.abs(x) - 0.5
    elif name == "round":
        x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3, -0.7] * 3).reshape(shape)
    return x.astype(dtype)


FLOAT_UNARY = [n for n in UNARY_OPS if n not in ("logical_not", "isnan", "isinf", "isfinite", "bitwise_not")]
REF1 = {"erf": sps.erf, "erfinv": sps.erfinv, "sigmoid": sps.expit,
        "softplus": lambda x: np.logaddexp(0, x), "reciprocal": lambda x: 1 / x}


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("name", FLOAT_UNARY)
def test_unary_float(backend, name, dtype):
    x = _dom(name, (4, 6), dtype)
    want = REF1.get(name, getattr(np, name, None))(x.astype(F64)).astype(dtype)
    got = N(backend, getattr(backend, name)(T(backend, x)))
    close(got, want, dtype)


@pytest.mark.parametrize("name", ["negative", "abs", "sign", "square"])
def test_unary_int(backend, name):
    x = np.array([[-3, 0, 2], [5, -1, 7]], np.int32)
    close(N(backend, getattr(backend, name)(T(backend, x))), getattr(np, name)(x))


def test_unary_predicates_and_logical(backend):
    x = np.array([0.0, np.nan, np.inf, -np.inf, 1.5], F32)
    for name in ("isnan", "isinf", "isfinite"):
        close(N(backend, getattr(backend, name)(T(backend, x))), getattr(np, name)(x))
    bx = np.array([True, False, True])
    close(N(backend, backend.logical_not(T(backend, bx))), ~bx)
    close(N(backend, backend.bitwise_not(T(backend, bx))), ~bx)
    ix = np.array([0, 5, -7], np.int32)
    close(N(backend, backend.bitwise_not(T(backend, ix))), ~ix)
    e = np.zeros((0, 3), F32)
    assert N(backend, backend.exp(T(backend, e))).shape == (0, 3)


# ---- binary ------------------------------------------------------------------------------------
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((0, 3), (3,))]
FLOAT_BIN = ["add", "subtract", "multiply", "divide", "floor_divide", "mod", "power",
             "maximum", "minimum", "arctan2"]
CMP = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("name", FLOAT_BIN + CMP)
def test_binary_float(backend, name, shapes, dtype):
    a = rng.standard_normal(shapes[0]).astype(dtype)
    c = rng.standard_normal(shapes[1]).astype(dtype)
    if name == "power":
        a = np.abs(a) + 0.5
    if name in ("divide", "floor_divide", "mod"):
        c = np.where(np.abs(c) < 0.2, 0.7, c).astype(dtype)
    if name in CMP and c.size and a.size:
        c = np.broadcast_to(c, np.broadcast_shapes(a.shape, c.shape)).copy()
        c.flat[0] = np.broadcast_to(a, c.shape).flat[0]  # a tie
    want = getattr(np, name)(a, c)
    got = N(backend, getattr(backend, name)(T(backend, a), T(backend, c)))
    close(got, want, dtype)


def test_binary_int_and_sign_rules(backend):
    a = np.array([7, -7, 7, -7, 0], np.int32)
    c = np.array([2, 2, -2, -2, 3], np.int32)
    for name in ("add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum"):
        close(N(backend, getattr(backend, name)(T(backend, a), T(backend, c))), getattr(np, name)(a, c))
    close(N(backend, backend.divide(T(backend, a.astype(F32)), T(backend, c.astype(F32)))),
          a.astype(F32) / c.astype(F32))
    fa, fc = a.astype(F64) + 0.5, c.astype(F64)
    close(N(backend, backend.mod(T(backend, fa), T(backend, fc))), np.mod(fa, fc))
    close(N(backend, backend.power(T(backend, a), T(backend, np.abs(c)))), np.power(a, np.abs(c)))


def test_binary_nan_propagation(backend):
    a = np.array([np.nan, 1.0, 2.0], F32)
    c = np.array([1.0, np.nan, 1.0], F32)
    close(N(backend, backend.maximum(T(backend, a), T(backend, c))), np.maximum(a, c))
    close(N(backend, backend.minimum(T(backend, a), T(backend, c))), np.minimum(a, c))


def test_binary_logical_bitwise(backend):
    p = np.array([[True, False], [True, True]])
    q = np.array([False, True])
    for name in ("logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"):
        close(N(backend, getattr(backend, name)(T(backend, p), T(backend, q))), getattr(np, name)(p, q))
    i = np.array([[12, 5], [-8, 255]], np.int32)
    j = np.array([3, 1], np.int32)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
        close(N(backend, getattr(backend, name)(T(backend, i), T(backend, j))), getattr(np, name)(i, j))
    u = np.array([1, 200, 255], np.uint8)
    close(N(backend, backend.right_shift(T(backend, u), T(backend, np.array([1, 2, 7], np.uint8)))),
          u >> np.array([1, 2, 7], np.uint8))


def test_where(backend):
    cnd = rng.standard_normal((3, 1)) > 0
    a = rng.standard_normal((3, 4)).astype(F32)
    c = rng.standard_normal((4,)).astype(F32)
    close(N(backend, backend.where(T(backend, cnd), T(backend, a), T(backend, c))), np.where(cnd, a, c))


# ---- reductions ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("axis", [None, (0,), (1,), (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", REDUCE_OPS)
def test_reduce(backend, name, axis, keepdims, dtype):
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    if name in ("any", "all"):
        x = x > -0.5
    fn = {"max": np.max, "min": np.min}.get(name, getattr(np, name))
    want = np.asarray(fn(x, axis=axis, keepdims=keepdims))
    got = N(backend, getattr(backend, name)(T(backend, x), axis, keepdims))
    close(got, want, rtol=1e-5 if dtype == F32 else 1e-12)


def test_reduce_int_and_empty(backend):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    close(N(backend, backend.sum(T(backend, x), (0,), False)), x.sum(0).astype(np.int32))
    close(N(backend, backend.max(T(backend, x), None, False)), np.asarray(x.max()))
    e = np.zeros((0, 3), F32)
    close(N(backend, backend.sum(T(backend, e), (0,), False)), np.zeros(3, F32))
    close(N(backend, backend.prod(T(backend, e), None, False)), np.asarray(F32(1)))


def test_arg_reductions_and_scans(backend):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0]], F32)
    for k in (False, True):
        close(N(backend, backend.argmax(T(backend, x), 1, k)), np.argmax(x, 1, keepdims=k).astype(np.int64))
        close(N(backend, backend.argmin(T(backend, x), 1, k)), np.argmin(x, 1, keepdims=k).astype(np.int64))
    close(N(backend, backend.argmax(T(backend, x), None)), np.asarray(np.argmax(x), np.int64))
    y = rng.standard_normal((3, 5)).astype(F64)
    for ax in (0, 1):
        close(N(backend, backend.cumsum(T(backend, y), ax)), np.cumsum(y, ax))
        close(N(backend, backend.cumprod(T(backend, y), ax)), np.cumprod(y, ax))
        close(N(backend, backend.sort(T(backend, y), ax)), np.sort(y, ax))
        close(N(backend, backend.argsort(T(backend, y), ax)), np.argsort(y, ax).astype(np.int64))
    s = np.array([3, 1, 3, 1, 2], F32)
    close(N(backend, backend.argsort(T(backend, s), 0)), np.array([1, 3, 4, 0, 2], np.int64))


def test_top_k(backend):
    x = np.array([[1.0, 5.0, 3.0, 5.0, 2.0], [0.0, 0.0, 0.0, 1.0, -1.0]], F32)
    v, i = backend.top_k(T(backend, x), 3)
    close(N(backend, v), np.array([[5, 5, 3], [1, 0, 0]], F32))
    close(N(backend, i), np.array([[1, 3, 2], [3, 0, 1]], np.int64))


# ---- conversion and creation ------------------------------------------------------------------
def test_convert_and_dtypes(backend):
    assert backend.dtype(backend.convert_to_tensor(1.5)) == "float64"
    assert backend.dtype(backend.convert_to_tensor(3)) == "int64"
    assert backend.dtype(backend.convert_to_tensor(True)) == "bool"
    assert backend.dtype(backend.convert_to_tensor([1.0, 2.0], "float32")) == "float32"
    t = backend.convert_to_tensor(np.ones((2, 3), F32))
    assert backend.is_tensor(t) and backend.shape(t) == (2, 3) and backend.dtype(t) == "float32"
    for d in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float64"):
        c = backend.cast(t, d)
        assert backend.dtype(c) == d
    close(N(backend, backend.cast(T(backend, np.array([-1.7, 2.9], F32)), "int32")), np.array([-1, 2], np.int32))
    assert isinstance(backend.device_name(), str)


def test_foreign_tensor_rejected(backend):
    if backend.name != "torch":
        torch = pytest.importorskip("torch")
        foreign = torch.ones(2)
    else:
        jnp = pytest.importorskip("jax.numpy")
        foreign = jnp.ones(2)
    with pytest.raises(TypeError, match="to_numpy"):
        backend.convert_to_tensor(foreign)


def test_creation(backend):
    close(N(backend, backend.zeros((2, 3), "float32")), np.zeros((2, 3), F32))
    close(N(backend, backend.ones((4,), "int32")), np.ones(4, np.int32))
    close(N(backend, backend.full((2,), 7, "int64")), np.full(2, 7, np.int64))
    close(N(backend, backend.arange(0, 5, 1, "int32")), np.arange(5, dtype=np.int32))
    close(N(backend, backend.arange(1.0, 2.0, 0.25, "float64")), np.arange(1.0, 2.0, 0.25))
    close(N(backend, backend.eye(3, 4, 1, "float32")), np.eye(3, 4, 1, dtype=F32))


# ---- shape / indexing ------------------------------------------------------------------------
def test_shape_ops(backend):
    x = rng.standard_normal((2, 3, 4)).astype(F32)
    t = T(backend, x)
    close(N(backend, backend.reshape(t, (6, 4))), x.reshape(6, 4))
    close(N(backend, backend.transpose(t, (2, 0, 1))), x.transpose(2, 0, 1))
    close(N(backend, backend.broadcast_to(T(backend, x[:, :1]), (5, 2, 3, 4))), np.broadcast_to(x[:, :1], (5, 2, 3, 4)))
    close(N(backend, backend.concatenate([t, t[:, :1] if False else T(backend, x[:, :1])], 1)),
          np.concatenate([x, x[:, :1]], 1))


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge"])
def test_pad(backend, mode):
    x = rng.standard_normal((3, 4)).astype(F64)
    pw = ((1, 2), (2, 0))
    kw = {"constant_values": 1.5} if mode == "constant" else {}
    close(N(backend, backend.pad(T(backend, x), pw, mode, **kw)), np.pad(x, pw, mode=mode, **kw))


KEYS = [(1,), (slice(None), 2), (slice(1, None, 2), Ellipsis), (Ellipsis, None, slice(None, None, -1)),
        (0, slice(3, 0, -2), None, 1), (slice(5, 10),)]


@pytest.mark.parametrize("key", KEYS)
def test_getitem_slice_update(backend, key):
    x = rng.standard_normal((3, 4, 5)).astype(F32)
    close(N(backend, backend.getitem(T(backend, x), key)), x[key])
    upd = rng.standard_normal(x[key].shape).astype(F32)
    want = x.copy()
    want[key] = upd
    close(N(backend, backend.slice_update(T(backend, x), key, T(backend, upd))), want)


def test_gather_scatter(backend):
    x = rng.standard_normal((5, 3)).astype(F64)
    idx = np.array([[4, 0], [0, 2]], np.int64)
    close(N(backend, backend.take(T(backend, x), T(backend, idx), 0)), np.take(x, idx, 0))
    close(N(backend, backend.take(T(backend, x), T(backend, np.array([2, 2, 0])), 1)), np.take(x, [2, 2, 0], 1))
    ia = np.array([[0], [2], [1], [1], [0]], np.int64)
    close(N(backend, backend.take_along_axis(T(backend, x), T(backend, ia), 1)), np.take_along_axis(x, ia, 1))
    si = np.array([[1], [3], [1]], np.int64)
    up = rng.standard_normal((3, 3))
    want = x.copy()
    np.add.at(want, (si[:, 0],), up)
    close(N(backend, backend.scatter_add(T(backend, x), T(backend, si), T(backend, up))), want)
    si2 = np.array([[0, 1], [4, 2], [0, 1]], np.int64)
    up2 = np.array([1.0, 2.0, 1.0])
    want = x.copy()
    want[0, 1], want[4, 2] = 1.0, 2.0
    close(N(backend, backend.scatter_update(T(backend, x), T(backend, si2), T(backend, up2))), want)


# ---- linear algebra ------------------------------------------------------------------------
MM = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((0, 4), (4, 2))]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shapes", MM)
def test_matmul(backend, shapes, dtype):
    a = rng.standard_normal(shapes[0]).astype(dtype)
    c = rng.standard_normal(shapes[1]).astype(dtype)
    got = N(backend, backend.matmul(T(backend, a), T(backend, c)))
    close(got, np.matmul(a.astype(F64), c.astype(F64)).astype(dtype), rtol=1e-4 if dtype == F32 else 1e-12,
          atol=1e-5 if dtype == F32 else 1e-13)


@pytest.mark.parametrize("spec,shapes", [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                         ("ij->ji", [(3, 4)]), ("ij->j", [(3, 4)]), ("i,i->", [(5,), (5,)]),
                                         ("...ij,jk", [(2, 3, 4), (4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)])])
def test_einsum(backend, spec, shapes):
    ops = [rng.standard_normal(s) for s in shapes]
    close(N(backend, backend.einsum(spec, *[T(backend, o) for o in ops])), np.einsum(spec, *ops))


# ---- fused softmax family (optional methods) --------------------------------------------------
@pytest.mark.parametrize("dtype", [F32, F64])
def test_softmax_family(backend, dtype):
    x = (rng.standard_normal((3, 5)) * 30).astype(dtype)
    x64 = x.astype(F64)
    if getattr(backend, "softmax", None) is not None:
        e = np.exp(x64 - x64.max(1, keepdims=True))
        close(N(backend, backend.softmax(T(backend, x), 1)), (e / e.sum(1, keepdims=True)).astype(dtype))
    if getattr(backend, "relu", None) is not None:
        assert N(backend, backend.relu(T(backend, x))).dtype == dtype
        close(N(backend, backend.relu(T(backend, x))), np.maximum(x, 0))
    if getattr(backend, "log_softmax", None) is not None:
        close(N(backend, backend.log_softmax(T(backend, x), 1)), sps.log_softmax(x64, 1).astype(dtype),
              atol=1e-5 if dtype == F32 else 1e-12)
    if getattr(backend, "logsumexp", None) is not None:
        for ax, k in ((None, False), ((1,), True), ((0,), False)):
            close(N(backend, backend.logsumexp(T(backend, x), ax, k)),
                  np.asarray(sps.logsumexp(x64, axis=ax, keepdims=k)).astype(dtype))


# ---- control flow ----------------------------------------------------------------------------
def test_cond(backend):
    x = T(backend, np.array([1.0, 2.0], F32))
    out = backend.cond(T(backend, np.array(True)), lambda a: backend.multiply(a, a), lambda a: a, x)
    close(N(backend, out), np.array([1.0, 4.0], F32))
    out = backend.cond(False, lambda a: backend.multiply(a, a), lambda a: backend.negative(a), x)
    close(N(backend, out), np.array([-1.0, -2.0], F32))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan(backend, reverse):
    xs = rng.standard_normal((4, 3))

    def f(c, x):
        c2 = backend.add(backend.multiply(c, T(backend, np.float64(0.5))), x["a"])
        return c2, (c2, {"s": backend.sum(x["a"], None, False)})
    carry, (ys, d) = backend.scan(f, T(backend, np.zeros(3)), {"a": T(backend, xs)}, reverse=reverse)
    c = np.zeros(3)
    want = [None] * 4
    for i in (range(3, -1, -1) if reverse else range(4)):
        c = c * 0.5 + xs[i]
        want[i] = c
    close(N(backend, carry), c)
    close(N(backend, ys), np.stack(want))
    close(N(backend, d["s"]), xs.sum(1))
    cnt, ys = backend.scan(lambda c, _: (backend.add(c, T(backend, np.int32(1))), c), T(backend, np.int32(0)),
                           None, length=5)
    close(N(backend, cnt), np.asarray(np.int32(5)))
    close(N(backend, ys), np.arange(5, dtype=np.int32))


def test_jit_and_stop_gradient(backend):
    f = backend.jit(lambda a: backend.add(a, a))
    close(N(backend, f(T(backend, np.ones(2, F32)))), np.full(2, 2, F32))
    close(N(backend, backend.stop_gradient(T(backend, np.ones(2, F32)))), np.ones(2, F32))


# ---- convolution and pooling vs jax.lax (float64 under jax.enable_x64) -----------------------
_SP = {1: "W", 2: "HW", 3: "DHW"}


def _dn(nd, fmt):
    s = _SP[nd]
    lhs = "N" + s + "C" if fmt == "channels_last" else "NC" + s
    return (lhs, s + "IO", lhs)


def _lax_conv(x, w, strides, padding, dilation, groups, fmt, lhs_dilation=None):
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        out = jax.lax.conv_general_dilated(x, w, strides, padding, lhs_dilation=lhs_dilation,
                                           rhs_dilation=dilation, dimension_numbers=_dn(x.ndim - 2, fmt),
                                           feature_group_count=groups, precision="highest")
        return np.asarray(out)


CONV_CASES = [  # nd, strides, padding, dilation, groups
    (1, (1,), ((0, 0),), (1,), 1), (1, (2,), ((1, 2),), (2,), 2),
    (2, (1, 1), ((1, 1), (1, 1)), (1, 1), 1), (2, (2, 1), ((0, 1), (2, 0)), (1, 2), 1),
    (2, (1, 2), ((1, 0), (0, 0)), (2, 1), 3), (3, (1, 2, 1), ((1, 1), (0, 1), (1, 0)), (1, 1, 2), 1),
]


def _conv_inputs(nd, groups, fmt, dtype, cin=6, cout=6, transpose=False):
    sp = (7, 6, 5)[:nd]
    k = (3, 2, 3)[:nd]
    x = rng.standard_normal((2,) + (sp + (cin,) if fmt == "channels_last" else (cin,) + sp)).astype(dtype)
    w = rng.standard_normal(k + ((cout, cin) if transpose else (cin // groups, cout))).astype(dtype)
    return x, w


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv(backend, case, fmt, dtype):
    nd, s, p, d, g = case
    x, w = _conv_inputs(nd, g, fmt, dtype)
    want = _lax_conv(x.astype(F64), w.astype(F64), s, p, d, g, fmt)
    got = N(backend, backend.conv(T(backend, x), T(backend, w), s, p, d, g, fmt))
    close(got, want.astype(dtype), rtol=1e-4 if dtype == F32 else 1e-12, atol=1e-4 if dtype == F32 else 1e-12)


CT_CASES = [(1, (2,), ((1, 1),), (1,)), (2, (2, 2), ((2, 1), (0, 2)), (1, 1)), (2, (1, 3), ((-1, 0), (1, 1)), (2, 1)),
            (3, (2, 1, 1), ((1, 1), (0, 0), (1, 2)), (1, 1, 1))]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CT_CASES)
def test_conv_transpose(backend, case, fmt, dtype):
    nd, s, p, d = case
    x, w = _conv_inputs(nd, 1, fmt, dtype, cin=3, cout=4, transpose=True)
    wf = np.swapaxes(w[(slice(None, None, -1),) * nd], -1, -2)  # (*k, in, out), flipped
    want = _lax_conv(x.astype(F64), wf.astype(F64), (1,) * nd, p, d, 1, fmt, lhs_dilation=s)
    got = N(backend, backend.conv_transpose(T(backend, x), T(backend, w), s, p, d, fmt))
    close(got, want.astype(dtype), rtol=1e-4 if dtype == F32 else 1e-12, atol=1e-4 if dtype == F32 else 1e-12)


POOL_CASES = [(1, (3,), (2,), ((1, 1),)), (2, (2, 2), (2, 2), ((0, 0), (0, 0))),
              (2, (3, 2), (1, 2), ((1, 1), (0, 1))), (3, (2, 2, 2), (1, 2, 1), ((0, 1), (1, 0), (0, 0)))]


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pools(backend, case, fmt):
    jax = pytest.importorskip("jax")
    nd, k, s, p = case
    x, _ = _conv_inputs(nd, 1, fmt, F64, cin=3)
    sp = list(range(1, nd + 1)) if fmt == "channels_last" else list(range(2, nd + 2))
    win, st, pads = [1] * x.ndim, [1] * x.ndim, [(0, 0)] * x.ndim
    for i, a in enumerate(sp):
        win[a], st[a], pads[a] = k[i], s[i], p[i]
    with jax.enable_x64(True):
        mx = np.asarray(jax.lax.reduce_window(x, -np.inf, jax.lax.max, win, st, pads))
        sm = np.asarray(jax.lax.reduce_window(x, 0.0, jax.lax.add, win, st, pads))
        cnt = np.asarray(jax.lax.reduce_window(np.ones_like(x), 0.0, jax.lax.add, win, st, pads))
    for dtype in (F32, F64):
        xt = T(backend, x.astype(dtype))
        close(N(backend, backend.max_pool(xt, k, s, p, fmt)), mx.astype(dtype))
        close(N(backend, backend.avg_pool(xt, k, s, p, fmt)), (sm / cnt).astype(dtype))


@pytest.mark.parametrize("name,args", [("add", 2), ("subtract", 2), ("multiply", 2), ("divide", 2),
                                       ("maximum", 2), ("sqrt", 1), ("square", 1)])
def test_foreach_equals_per_tensor_loop(backend, name, args):
    rng = np.random.default_rng(0)
    xs = [backend.convert_to_tensor(rng.random(s).astype("float32") + 0.1, "float32") for s in [(3,), (2, 4), ()]]
    ys = [backend.convert_to_tensor(rng.random(s).astype("float32") + 0.1, "float32") for s in [(3,), (2, 4), ()]]
    scalar = backend.convert_to_tensor(np.float32(0.7), "float32")
    for other in ([(ys,), (scalar,)] if args == 2 else [()]):
        got = backend.foreach(name, xs, *other)
        cols = [xs] + [o if isinstance(o, list) else [o] * 3 for o in other]
        want = [getattr(backend, name)(*row) for row in zip(*cols)]
        for a, c in zip(got, want):
            np.testing.assert_array_equal(backend.to_numpy(a), backend.to_numpy(c))


@pytest.mark.parametrize("dtype", [F32, F64])
def test_foreach_fused_lerp_and_subtract_quotient(backend, dtype):
    """``lerp`` equals ``a + (b - a) * w`` up to one FMA rounding (exactly, where the backend uses the
    composite); ``subtract_quotient`` equals ``x - n / d`` exactly on every backend."""
    rng = np.random.default_rng(1)
    shapes = [(5,), (3, 4), ()]
    a, b_, n, x = ([backend.convert_to_tensor(rng.standard_normal(s).astype(dtype)) for s in shapes] for _ in range(4))
    d = [backend.convert_to_tensor((rng.random(s) + 0.5).astype(dtype)) for s in shapes]
    w = backend.convert_to_tensor(np.asarray(0.1, dtype))
    lerp = backend.foreach("lerp", a, b_, w)
    ref = [backend.add(p, backend.multiply(backend.subtract(q, p), w)) for p, q in zip(a, b_)]
    eps = np.finfo(dtype).eps
    for got, want in zip(lerp, ref):
        g, r = backend.to_numpy(got), backend.to_numpy(want)
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, r, rtol=4 * eps, atol=4 * eps)
        if type(backend).foreach is BaseBackend.foreach:
            np.testing.assert_array_equal(g, r)
    sq = backend.foreach("subtract_quotient", x, n, d)
    for got, p, q, r in zip(sq, x, n, d):
        np.testing.assert_array_equal(backend.to_numpy(got), backend.to_numpy(backend.subtract(p, backend.divide(q, r))))
