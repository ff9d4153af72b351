"""The NumPy backend's tape autodiff: every VJP rule against central finite differences (float64),
plus the ``value_and_grad`` contract and agreement with ``jax.grad`` on composite models.

Finite differences use eps=1e-6: truncation error ~eps^2 = 1e-12 and rounding ~1e-16/eps = 1e-10
relative to the loss scale, so rtol=1e-6 with atol=1e-7 * scale has ample margin.
"""
from __future__ import annotations

import numpy as np
import pytest

from kshim import backends

b = backends.get("numpy")
rng = np.random.default_rng(1)


def _loss(fn, proj):
    """Scalar loss: random projection of fn's (possibly tuple) output, so cotangents are generic."""
    def loss(*args):
        out = fn(*args)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        tot = None
        for o, p in zip(outs, proj):
            if p is None:
                continue
            s = b.sum(b.multiply(o, p), None, False)
            tot = s if tot is None else b.add(tot, s)
        return tot
    return loss


def check_grad(fn, *args, eps=1e-6, rtol=1e-6):
    """Compare value_and_grad of ``sum(fn(*args) * R)`` with central finite differences."""
    args = [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in args]
    outs = fn(*args)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    proj = [rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else None for o in outs]
    loss = _loss(fn, proj)
    fl = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    val, grads = b.value_and_grad(loss, argnums=tuple(fl))(*args)
    assert np.isclose(val, loss(*args))
    scale = max(1.0, abs(float(val)))
    for i, g in zip(fl, grads):
        a = args[i]
        assert g.shape == a.shape and g.dtype == a.dtype
        fd = np.zeros_like(a)
        for j in range(a.size):
            ap, am = a.copy(), a.copy()
            ap.flat[j] += eps
            am.flat[j] -= eps
            fp = float(loss(*(args[:i] + [ap] + args[i + 1:])))
            fm = float(loss(*(args[:i] + [am] + args[i + 1:])))
            fd.flat[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=rtol, atol=1e-7 * scale, err_msg=f"arg {i}")


def R(*shape):
    return rng.standard_normal(shape)


# ---- elementwise -----------------------------------------------------------------------------
DOMAIN = {"log": lambda x: np.abs(x) + 0.3, "sqrt": lambda x: np.abs(x) + 0.3,
          "reciprocal": lambda x: np.abs(x) + 0.3, "arcsin": lambda x: np.tanh(x) * 0.8,
          "arccos": lambda x: np.tanh(x) * 0.8, "arctanh": lambda x: np.tanh(x) * 0.8,
          "erfinv": lambda x: np.tanh(x) * 0.8, "arccosh": lambda x: np.abs(x) + 1.3,
          "log1p": lambda x: np.abs(x) - 0.5, "abs": lambda x: x + np.sign(x) * 0.1,
          "floor": lambda x: x * 0.9 + 0.05, "ceil": lambda x: x * 0.9 + 0.05, "round": lambda x: x * 0.9 + 0.05}
UNARY_F = ["negative", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "square", "reciprocal",
           "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
           "arccosh", "arctanh", "erf", "erfinv", "sigmoid", "softplus", "floor", "ceil", "round"]


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("name", UNARY_F)
def test_unary_grad(name, shape):
    x = DOMAIN.get(name, lambda v: v)(R(*shape))
    check_grad(getattr(b, name), x)


BIN_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((2, 3), ())]


@pytest.mark.parametrize("shapes", BIN_SHAPES)
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "floor_divide", "mod",
                                  "power", "maximum", "minimum", "arctan2"])
def test_binary_grad(name, shapes):
    x, y = R(*shapes[0]), R(*shapes[1])
    if name == "power":
        x = np.abs(x) + 0.5
    if name in ("divide", "mod", "floor_divide"):
        y = np.where(np.abs(y) < 0.3, 0.9, y)
    if name == "mod":
        x = np.floor(x / y) * y + np.abs(y) * 0.3 * np.sign(y)  # away from the jumps
    check_grad(getattr(b, name), x, y)


def test_maximum_minimum_ties_split():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 3.0])
    _, (gx, gy) = b.value_and_grad(lambda a, c: b.sum(b.maximum(a, c), None, False), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 1, 0.5])
    _, (gx, gy) = b.value_and_grad(lambda a, c: b.sum(b.minimum(a, c), None, False), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 1, 0.5])


def test_power_special_cases():
    _, g = b.value_and_grad(lambda a: b.sum(b.power(a, np.array([0.0, 2.0])), None, False))(np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    check_grad(lambda a: b.power(a, np.array([2.0, 3.0])), np.array([-1.5, 2.0]))  # d/de undefined for a<0


def test_where_cast_stop_gradient():
    c = R(2, 3) > 0
    check_grad(lambda x, y: b.where(c, x, y), R(2, 3), R(3))
    check_grad(lambda x: b.cast(b.multiply(x, x), "float64"), R(4))
    f32 = lambda x: b.cast(b.multiply(b.cast(x, "float32"), 2.0), "float64")
    _, g = b.value_and_grad(lambda x: b.sum(f32(x), None, False))(R(3))
    np.testing.assert_allclose(g, 2.0)
    _, g = b.value_and_grad(lambda x: b.sum(b.cast(b.cast(x, "int32"), "float64"), None, False))(R(3))
    np.testing.assert_array_equal(g, 0.0)
    _, g = b.value_and_grad(lambda x: b.sum(b.multiply(b.stop_gradient(x), x), None, False))(np.arange(3.0))
    np.testing.assert_array_equal(g, np.arange(3.0))


# ---- reductions, scans, sorting ------------------------------------------------------------------
@pytest.mark.parametrize("axis,keep", [(None, False), ((0,), False), ((1,), True), ((0, 2), False), ((0, 2), True)])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
def test_reduce_grad(name, axis, keep):
    check_grad(lambda x: getattr(b, name)(x, axis, keep), R(2, 3, 4))


def test_prod_with_zeros_and_ties():
    x = R(3, 4)
    x[0, 1] = 0.0
    x[1, 0] = x[1, 2] = 0.0
    check_grad(lambda v: b.prod(v, (1,), False), x)
    check_grad(lambda v: b.prod(v, None, False), x[:1])
    t = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 0.0, 2.0, 1.0]])
    _, g = b.value_and_grad(lambda v: b.sum(b.max(v, (1,), False), None, False))(t)
    np.testing.assert_allclose(g, [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0, 0.5, 0]])


@pytest.mark.parametrize("axis", [0, 1])
def test_scan_ops_grad(axis):
    x = R(3, 4)
    check_grad(lambda v: b.cumsum(v, axis), x)
    check_grad(lambda v: b.cumprod(v, axis), x)
    x[1, 1] = 0.0
    x[2, 3] = 0.0
    check_grad(lambda v: b.cumprod(v, axis), x)
    check_grad(lambda v: b.sort(v, axis), R(3, 4))


def test_top_k_grad():
    check_grad(lambda v: b.top_k(v, 2), R(3, 5))


def test_relu_grad():
    x = R(3, 4)
    x[np.abs(x) < 0.05] = 0.3                       # keep finite differences away from the kink
    check_grad(b.relu, x)
    g = b.value_and_grad(lambda v: b.sum(b.relu(v), None, False))(np.zeros(3))[1]
    assert np.array_equal(g, np.zeros(3))           # gradient 0 at 0, like jax.nn.relu / torch.relu


@pytest.mark.parametrize("name,axis", [("softmax", 1), ("log_softmax", 0), ("log_softmax", 1)])
def test_softmax_grad(name, axis):
    check_grad(lambda v: getattr(b, name)(v, axis), R(3, 4) * 3)


@pytest.mark.parametrize("axis,keep", [(None, False), ((1,), True), ((0, 1), False)])
def test_logsumexp_grad(axis, keep):
    check_grad(lambda v: b.logsumexp(v, axis, keep), R(3, 4, 2) * 3)


# ---- shape / indexing -------------------------------------------------------------------------
def test_shape_grads():
    check_grad(lambda v: b.reshape(v, (3, 4)), R(2, 6))
    check_grad(lambda v: b.transpose(v, (2, 0, 1)), R(2, 3, 4))
    check_grad(lambda v: b.broadcast_to(v, (2, 3, 4)), R(3, 1))
    check_grad(lambda u, v: b.concatenate([u, v, u], 1), R(2, 3), R(2, 1))


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge"])
def test_pad_grad(mode):
    check_grad(lambda v: b.pad(v, ((1, 2), (3, 1)), mode), R(4, 4))
    check_grad(lambda v: b.pad(v, ((0, 0), (2, 2)), mode), R(2, 3))


@pytest.mark.parametrize("key", [(1,), (slice(None), 2), (slice(None, None, -2), None, Ellipsis),
                                 (0, slice(3, 0, -1), 1)])
def test_getitem_slice_update_grad(key):
    check_grad(lambda v: b.getitem(v, key), R(3, 4, 5))
    upd = R(3, 4, 5)[key]
    check_grad(lambda v, u: b.slice_update(v, key, u), R(3, 4, 5), upd)


def test_gather_scatter_grads():
    idx = np.array([[2, 0], [2, 1]])
    check_grad(lambda v: b.take(v, idx, 0), R(3, 4))
    check_grad(lambda v: b.take(v, idx, 1), R(3, 4))
    ia = np.array([[0, 0], [2, 1], [1, 1]])
    check_grad(lambda v: b.take_along_axis(v, ia, 1), R(3, 4))
    check_grad(lambda v: b.take_along_axis(v, np.array([[0], [2]]), 0), R(3, 1))
    si = np.array([[1], [0], [1]])
    check_grad(lambda v, u: b.scatter_add(v, si, u), R(3, 2), R(3, 2))
    si2 = np.array([[1, 0], [2, 1], [1, 0]])
    check_grad(lambda v, u: b.scatter_update(v, si2, u), R(3, 2), R(3))
    _, (gx, gu) = b.value_and_grad(lambda v, u: b.sum(b.scatter_update(v, si2, u), None, False), (0, 1))(R(3, 2), R(3))
    assert gu.sum() == 2 and gx.sum() == 4


# ---- linear algebra ---------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 2))])
def test_matmul_grad(shapes):
    check_grad(b.matmul, R(*shapes[0]), R(*shapes[1]))


@pytest.mark.parametrize("spec,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->j", [(3, 4)]),
                                         ("i,i->", [(3,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
                                         ("...ij,jk", [(2, 2, 3), (3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
                                         ("ij,k->ijk", [(2, 2), (3,)]),
                                         # repeated index inside one operand (diagonal / trace)
                                         ("ii->i", [(3, 3)]), ("ii->", [(3, 3)]), ("iij,j->i", [(2, 2, 3), (3,)]),
                                         ("ii,ij->j", [(3, 3), (3, 2)])])
def test_einsum_grad(spec, shapes):
    check_grad(lambda *o: b.einsum(spec, *o), *[R(*s) for s in shapes])


# ---- convolution and pooling -------------------------------------------------------------------
CONV = [("channels_last", (5,), (3,), (2,), ((1, 2),), (1,), 1),
        ("channels_first", (5, 4), (2, 3), (1, 2), ((1, 0), (2, 1)), (2, 1), 2),
        ("channels_last", (5, 5), (3, 3), (2, 2), ((1, 1), (0, 1)), (1, 1), 1),
        ("channels_last", (4, 3, 4), (2, 2, 2), (1, 2, 1), ((0, 1), (1, 0), (1, 1)), (1, 1, 2), 2)]


@pytest.mark.parametrize("case", CONV)
def test_conv_grad(case):
    fmt, sp, k, s, p, d, g = case
    cin, cout = 4, 2
    x = R(2, *sp, cin) if fmt == "channels_last" else R(2, cin, *sp)
    check_grad(lambda a, w: b.conv(a, w, s, p, d, g, fmt), x, R(*k, cin // g, cout))


CT = [("channels_last", (3,), (3,), (2,), ((1, 1),), (1,)),
      ("channels_first", (3, 4), (2, 3), (2, 1), ((0, 1), (-1, 3)), (1, 2)),
      ("channels_last", (2, 2, 2), (2, 1, 2), (1, 2, 2), ((1, 1), (0, 0), (1, 0)), (1, 1, 1))]


@pytest.mark.parametrize("case", CT)
def test_conv_transpose_grad(case):
    fmt, sp, k, s, p, d = case
    cin, cout = 3, 2
    x = R(2, *sp, cin) if fmt == "channels_last" else R(2, cin, *sp)
    check_grad(lambda a, w: b.conv_transpose(a, w, s, p, d, fmt), x, R(*k, cout, cin))


POOL = [("channels_last", (6,), (3,), (2,), ((1, 1),)), ("channels_first", (5, 4), (2, 2), (2, 2), ((1, 0), (0, 0))),
        ("channels_last", (4, 5), (3, 2), (1, 1), ((1, 1), (0, 1))),
        ("channels_first", (3, 4, 3), (2, 2, 2), (1, 2, 1), ((0, 1), (0, 0), (1, 0)))]


@pytest.mark.parametrize("case", POOL)
def test_pool_grads(case):
    fmt, sp, k, s, p = case
    x = R(2, *sp, 3) if fmt == "channels_last" else R(2, 3, *sp)
    check_grad(lambda a: b.max_pool(a, k, s, p, fmt), x)
    check_grad(lambda a: b.avg_pool(a, k, s, p, fmt), x)


def test_max_pool_grad_goes_to_first_max():
    x = np.array([[[1.0], [1.0], [0.0], [0.0]]])  # (1, 4, 1)
    _, g = b.value_and_grad(lambda a: b.sum(b.max_pool(a, (2,), (2,), ((0, 0),), "channels_last"), None, False))(x)
    np.testing.assert_array_equal(g[0, :, 0], [1, 0, 1, 0])


# ---- control flow ------------------------------------------------------------------------------
def test_cond_grad():
    f = lambda x: b.cond(b.greater(b.sum(x, None, False), 0.0), lambda v: b.multiply(v, v), lambda v: b.sin(v), x)
    check_grad(f, np.abs(R(3)))
    check_grad(f, -np.abs(R(3)))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_bptt(reverse):
    def rnn(h0, W, xs):
        def step(h, x):
            h2 = b.tanh(b.add(b.matmul(h, W), x))
            return h2, b.sum(b.multiply(h2, h2), (1,), False)
        h, ys = b.scan(step, h0, xs, reverse=reverse)
        return h, ys
    check_grad(rnn, R(2, 3), R(3, 3) * 0.5, R(5, 2, 3))


# ---- value_and_grad contract --------------------------------------------------------------------
def test_value_and_grad_contract():
    def f(p, x, n):
        return b.sum(b.multiply(p["w"], x), None, False)
    p = {"w": np.arange(3.0), "unused": [np.ones((2, 2), np.float32), np.arange(4)]}
    x = np.full(3, 2.0)
    (v), g = b.value_and_grad(f)(p, x, 3)
    assert float(v) == 6.0
    np.testing.assert_array_equal(g["w"], x)
    assert g["unused"][0].shape == (2, 2) and g["unused"][0].dtype == np.float32 and not g["unused"][0].any()
    assert g["unused"][1].dtype == np.arange(4).dtype and not g["unused"][1].any()
    v, (gp, gx) = b.value_and_grad(f, argnums=(0, 1))(p, x, 3)
    np.testing.assert_array_equal(gx, p["w"])
    (v, aux), g = b.value_and_grad(lambda w: (b.sum(b.square(w), None, False), {"sq": b.square(w)}),
                                   has_aux=True)(np.arange(3.0))
    assert type(aux["sq"]) is np.ndarray and type(v) is np.ndarray
    np.testing.assert_array_equal(g, 2 * np.arange(3.0))
    _, g = b.value_and_grad(lambda w: b.sum(w, None, False))(np.ones(3, np.float32))
    assert g.dtype == np.float32
    _, g = b.value_and_grad(lambda w: b.sum(b.cast(w, "float32"), None, False))(np.arange(3))
    assert g.dtype == np.arange(3).dtype and not g.any()


def test_value_and_grad_errors():
    with pytest.raises(TypeError, match="scalar"):
        b.value_and_grad(lambda w: b.square(w))(np.ones(3))

    def outer(w):
        inner = b.value_and_grad(lambda v: b.sum(b.multiply(v, w), None, False))
        return b.sum(inner(np.ones(3))[1], None, False)
    with pytest.raises(RuntimeError, match="[Nn]ested"):
        b.value_and_grad(outer)(np.ones(3))
    # the failed inner call must not leave the tape in a broken state
    v, g = b.value_and_grad(lambda w: b.sum(w, None, False))(np.ones(2))
    np.testing.assert_array_equal(g, 1.0)


def test_tensor_operators():
    def f(x, y):
        z = (x + 1) * y - x / (y * y + 1) + (-x) ** 2 + 2.0 ** x + abs(y) @ x.T
        z = z[0] + z[1:, None][:, 0] % 3.0 - (x // 1)
        m = (x < y) & (x <= y) | (x > 0) ^ (x >= y) | (x == y) | (x != y)
        return b.where(m, z, z * 2)
    check_grad(f, R(2, 2), R(2, 2) + 3)
    t = b.Tensor(np.array(2.5))
    assert float(t) == 2.5 and int(t) == 2 and bool(t) and t.item() == 2.5 and len(b.Tensor(np.ones(3))) == 3


# ---- agreement with jax.grad ---------------------------------------------------------------------
def _jax():
    jax = pytest.importorskip("jax")
    return jax, jax.numpy


def test_mlp_matches_jax():
    jax, jnp = _jax()
    X, Y = R(16, 8), rng.integers(0, 4, 16)
    params = {"w1": R(8, 10) * 0.3, "b1": R(10) * 0.1, "w2": R(10, 4) * 0.3, "b2": R(4) * 0.1}
    onehot = np.eye(4)[Y]

    def mlp(ops, p):
        h = ops["relu"](ops["mm"](X, p["w1"]) + p["b1"])
        ls = ops["lsm"](ops["mm"](h, p["w2"]) + p["b2"])
        return -ops["sum"](ls * onehot) / 16

    ours = dict(relu=lambda v: b.maximum(v, 0.0), mm=b.matmul, lsm=lambda v: b.log_softmax(v, 1),
                sum=lambda v: b.sum(v, None, False))
    theirs = dict(relu=lambda v: jnp.maximum(v, 0.0), mm=jnp.matmul, lsm=lambda v: jax.nn.log_softmax(v, 1),
                  sum=jnp.sum)
    v, g = b.value_and_grad(lambda p: mlp(ours, p))(params)
    with jax.enable_x64(True):
        jv, jg = jax.value_and_grad(lambda p: mlp(theirs, p))(params)
        jg = {k: np.asarray(a) for k, a in jg.items()}
    np.testing.assert_allclose(v, float(jv), rtol=1e-10)
    for k in params:
        np.testing.assert_allclose(g[k], jg[k], rtol=1e-10, atol=1e-13)


def test_cnn_matches_jax():
    jax, jnp = _jax()
    X = R(3, 9, 9, 2)
    params = {"k1": R(3, 3, 2, 4) * 0.3, "k2": R(2, 2, 4, 3) * 0.3, "w": R(12, 2) * 0.3}

    def net_ours(p):
        h = b.maximum(b.conv(X, p["k1"], (1, 1), ((1, 1), (1, 1)), (1, 1), 1, "channels_last"), 0.0)
        h = b.max_pool(h, (2, 2), (2, 2), ((0, 0), (0, 0)), "channels_last")
        h = b.tanh(b.conv(h, p["k2"], (2, 2), ((0, 1), (0, 1)), (1, 1), 1, "channels_last"))
        h = b.avg_pool(h, (2, 2), (1, 1), ((0, 1), (0, 1)), "channels_last")
        out = b.matmul(b.reshape(h, (3, 12)), p["w"])
        return b.sum(b.logsumexp(out, (1,), False), None, False)

    def net_jax(p):
        dn = ("NHWC", "HWIO", "NHWC")
        h = jnp.maximum(jax.lax.conv_general_dilated(X, p["k1"], (1, 1), ((1, 1), (1, 1)), dimension_numbers=dn), 0)
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        h = jnp.tanh(jax.lax.conv_general_dilated(h, p["k2"], (2, 2), ((0, 1), (0, 1)), dimension_numbers=dn))
        pads = ((0, 0), (0, 1), (0, 1), (0, 0))
        s = jax.lax.reduce_window(h, 0.0, jax.lax.add, (1, 2, 2, 1), (1, 1, 1, 1), pads)
        c = jax.lax.reduce_window(jnp.ones_like(h), 0.0, jax.lax.add, (1, 2, 2, 1), (1, 1, 1, 1), pads)
        out = (s / c).reshape(3, 12) @ p["w"]
        return jnp.sum(jax.nn.logsumexp(out, 1))

    v, g = b.value_and_grad(net_ours)(params)
    with jax.enable_x64(True):
        jv, jg = jax.value_and_grad(net_jax)(params)
        jg = {k: np.asarray(a) for k, a in jg.items()}
    np.testing.assert_allclose(v, float(jv), rtol=1e-10)
    for k in params:
        np.testing.assert_allclose(g[k], jg[k], rtol=1e-10, atol=1e-13)
