"""JAX-specific behaviour of the kshim JAX backend (the shared primitive tests live elsewhere)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from kshim import backends  # noqa: E402
from kshim.backends import BINARY_OPS, REDUCE_OPS, UNARY_OPS, Backend  # noqa: E402


@pytest.fixture(scope="module")
def b():
    return backends.get("jax")


def t(b, x, dtype=None):
    return b.convert_to_tensor(np.asarray(x), dtype)


# ---- construction / conversion -----------------------------------------------------------------

def test_protocol_and_op_tables(b):
    assert isinstance(b, Backend)
    assert b.name == "jax"
    for n in (*UNARY_OPS, *BINARY_OPS, *REDUCE_OPS, "softmax", "log_softmax", "logsumexp"):
        assert callable(getattr(b, n)), n


def test_x64_and_highest_precision_enabled(b):
    assert jax.config.jax_enable_x64
    assert jax.config.jax_default_matmul_precision == "highest"
    x = b.convert_to_tensor(np.array([1.0, 2.0]), "float64")
    assert b.dtype(x) == "float64" and x.dtype == jnp.float64
    assert b.dtype(b.convert_to_tensor(np.arange(3, dtype=np.int64))) == "int64"


def test_python_scalar_defaults(b):
    assert b.dtype(b.convert_to_tensor(True)) == "bool"
    assert b.dtype(b.convert_to_tensor(3)) == "int64"
    assert b.dtype(b.convert_to_tensor(3.0)) == "float64"
    assert b.dtype(b.convert_to_tensor(3.0, "float32")) == "float32"
    assert b.dtype(b.convert_to_tensor([[1, 2]], "int8")) == "int8"


def test_explicit_dtypes_do_not_widen(b):
    for d in ("float16", "bfloat16", "float32", "int32", "uint8", "int16", "bool"):
        assert b.dtype(b.zeros((2,), d)) == d
        assert b.dtype(b.ones((2,), d)) == d
        assert b.dtype(b.full((2,), 1, d)) == d
        assert b.dtype(b.eye(2, 3, 0, d)) == d
    for d in ("float32", "int32", "bfloat16"):
        assert b.dtype(b.arange(0, 4, 1, d)) == d
    x = t(b, np.ones((2, 3), np.float32))
    assert b.dtype(b.sum(x)) == "float32"
    assert b.dtype(b.sum(t(b, np.ones(3, np.int32)))) == "int32"
    assert b.dtype(b.cumsum(t(b, np.ones(3, np.int32)), 0)) == "int32"
    assert b.dtype(b.matmul(x, b.transpose(x, (1, 0)))) == "float32"


def test_bfloat16_roundtrip(b):
    import ml_dtypes
    x = b.convert_to_tensor(np.array([1.5, -2.25], np.float32), "bfloat16")
    assert b.dtype(x) == "bfloat16"
    out = b.to_numpy(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.dtype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(out.astype(np.float32), [1.5, -2.25])
    # a NumPy bfloat16 array keeps its dtype
    assert b.dtype(b.convert_to_tensor(out)) == "bfloat16"


def test_to_numpy_is_writable_copy(b):
    x = t(b, [1.0, 2.0])
    a = b.to_numpy(x)
    assert isinstance(a, np.ndarray)
    a[0] = 5.0
    assert float(b.to_numpy(x)[0]) == 1.0


def test_torch_tensor_rejected(b):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="torch"):
        b.convert_to_tensor(torch.zeros(3))


def test_numpy_backend_tensor_rejected(b):
    # Any object from the NumPy backend's module (its traced tensor) is foreign.
    Fake = type("Tensor", (), {"__module__": "kshim.backends.numpy.tape"})
    with pytest.raises(TypeError, match="numpy"):
        b.convert_to_tensor(Fake())


def test_is_tensor_and_device(b):
    assert b.is_tensor(t(b, [1.0]))
    assert not b.is_tensor(np.ones(2))
    assert isinstance(b.device_name(), str) and b.device_name()


# ---- semantics details ----------------------------------------------------------------------------

def test_round_mod_floor_divide_nan(b):
    np.testing.assert_array_equal(b.to_numpy(b.round(t(b, [0.5, 1.5, 2.5, -0.5, -1.5]))),
                                  [0.0, 2.0, 2.0, -0.0, -2.0])
    a, c = t(b, [-7, 7, -7, 7]), t(b, [2, -2, -2, 2])
    np.testing.assert_array_equal(b.to_numpy(b.mod(a, c)), [1, -1, -1, 1])
    np.testing.assert_array_equal(b.to_numpy(b.floor_divide(a, c)), [-4, -4, 3, 3])
    af, cf = t(b, [-7.5, 7.5]), t(b, [2.0, -2.0])
    np.testing.assert_allclose(b.to_numpy(b.mod(af, cf)), np.mod([-7.5, 7.5], [2.0, -2.0]))
    m = b.to_numpy(b.maximum(t(b, [np.nan, 1.0]), t(b, [0.0, np.nan])))
    assert np.isnan(m).all()
    m = b.to_numpy(b.minimum(t(b, [np.nan, 1.0]), t(b, [0.0, np.nan])))
    assert np.isnan(m).all()


def test_top_k_ties_and_argsort_stable(b):
    v, i = b.top_k(t(b, [1.0, 3.0, 3.0, 2.0, 3.0]), 3)
    np.testing.assert_array_equal(b.to_numpy(v), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(b.to_numpy(i), [1, 2, 4])
    assert b.dtype(i) == "int64"
    idx = b.argsort(t(b, [2, 1, 2, 1, 0]), 0)
    np.testing.assert_array_equal(b.to_numpy(idx), [4, 1, 3, 0, 2])
    assert b.dtype(idx) == "int64"


def test_scatter_add_accumulates_duplicates(b):
    x = b.zeros((3, 2), "float32")
    idx = t(b, [[0], [2], [0]])
    upd = t(b, np.ones((3, 2), np.float32))
    np.testing.assert_array_equal(b.to_numpy(b.scatter_add(x, idx, upd)), [[2, 2], [0, 0], [1, 1]])
    out = b.scatter_update(x, t(b, [[1, 1]]), t(b, np.array([5.0], np.float32)))
    np.testing.assert_array_equal(b.to_numpy(out), [[0, 0], [0, 5], [0, 0]])


def test_getitem_slice_update(b):
    x = t(b, np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(b.to_numpy(b.getitem(x, (slice(None, None, -2), Ellipsis, None, 1))),
                                  np.arange(12.0).reshape(3, 4)[::-2, ..., None, 1])
    y = b.slice_update(x, (slice(0, 2), slice(1, 3)), b.zeros((2, 2), "float64"))
    ref = np.arange(12.0).reshape(3, 4)
    ref[0:2, 1:3] = 0
    np.testing.assert_array_equal(b.to_numpy(y), ref)
    np.testing.assert_array_equal(b.to_numpy(x), np.arange(12.0).reshape(3, 4))  # functional


def test_take_along_axis_broadcasts(b):
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 2, 1, 0]])
    np.testing.assert_array_equal(b.to_numpy(b.take_along_axis(t(b, x), t(b, idx), 0)),
                                  np.take_along_axis(x, idx, 0))


def test_conv_transpose_matches_lax(b):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    k = rng.normal(size=(3, 4, 3)).astype(np.float32)  # (k, out, in)
    out = b.conv_transpose(t(b, x), t(b, k), (2,), ((2, 1),), (1,), "channels_last")
    assert b.shape(out) == (2, (5 - 1) * 2 + 1 + 2 + 1 - 2, 4)
    ref = jax.lax.conv_general_dilated(jnp.asarray(x), jnp.asarray(k[::-1]), (1,), [(2, 1)],
                                       lhs_dilation=(2,), dimension_numbers=("NWC", "WOI", "NWC"),
                                       precision="highest")
    np.testing.assert_allclose(b.to_numpy(out), np.asarray(ref), rtol=1e-6, atol=1e-6)


# ---- autodiff ------------------------------------------------------------------------------------

def test_int_leaves_get_zero_grads(b):
    params = {"w": t(b, np.array([1.0, 2.0], np.float32)), "step": t(b, np.array(3, np.int32)),
              "mask": t(b, np.array([True, False]))}

    def loss(p, x):
        return b.sum(b.multiply(b.multiply(p["w"], x), b.cast(p["mask"], "float32")))

    val, g = b.value_and_grad(loss)(params, t(b, np.array([3.0, 4.0], np.float32)))
    assert float(val) == 3.0
    np.testing.assert_array_equal(b.to_numpy(g["w"]), [3.0, 0.0])
    assert b.dtype(g["step"]) == "int32" and b.shape(g["step"]) == ()
    assert int(g["step"]) == 0
    assert b.dtype(g["mask"]) == "bool" and b.shape(g["mask"]) == (2,)
    assert g["step"].dtype != jax.dtypes.float0


def test_value_and_grad_argnums_aux_unused(b):
    def f(x, n, y):
        return b.sum(b.square(x)), {"n": n}

    x = t(b, np.array([1.0, -2.0]))
    y = t(b, np.array([[1.0, 2.0]], np.float32))
    (val, aux), (gx, gn, gy) = b.value_and_grad(f, argnums=(0, 1, 2), has_aux=True)(x, 7, y)
    assert float(val) == 5.0 and aux["n"] == 7
    np.testing.assert_array_equal(b.to_numpy(gx), [2.0, -4.0])
    assert b.dtype(gn) == "int64" and int(gn) == 0
    assert b.dtype(gy) == "float32" and b.shape(gy) == (1, 2)
    np.testing.assert_array_equal(b.to_numpy(gy), [[0.0, 0.0]])


def test_max_and_maximum_tie_gradients(b):
    _, g = b.value_and_grad(lambda v: b.max(v))(t(b, [1.0, 3.0, 3.0]))
    np.testing.assert_allclose(b.to_numpy(g), [0.0, 0.5, 0.5])
    _, g = b.value_and_grad(lambda u, v: b.sum(b.maximum(u, v)), argnums=(0, 1))(t(b, [2.0]), t(b, [2.0]))
    assert float(g[0][0]) == 0.5 and float(g[1][0]) == 0.5


def test_grad_through_scan_and_cond(b):
    def f(w):
        def step(c, x):
            c = b.add(b.multiply(c, w), x)
            return c, c
        c, ys = b.scan(step, t(b, 0.0), t(b, [1.0, 2.0, 3.0]))
        return b.cond(b.greater(c, t(b, 0.0)), lambda: b.sum(ys), lambda: b.negative(c))

    val, g = b.value_and_grad(f)(t(b, 2.0))
    # c = 1, 4, 11 (sum 16); the gradient is checked against central differences
    eps = 1e-6
    num = (float(f(t(b, 2.0 + eps))) - float(f(t(b, 2.0 - eps)))) / (2 * eps)
    assert float(val) == 16.0
    np.testing.assert_allclose(float(g), num, rtol=1e-6)


# ---- control flow ----------------------------------------------------------------------------------

def test_cond_python_bool_calls_branch_only(b):
    calls = []
    out = b.cond(True, lambda a: calls.append("t") or a, lambda a: calls.append("f") or a, 1)
    assert out == 1 and calls == ["t"]
    # a concrete jax bool also just calls one branch (no tracing of the other)
    out = b.cond(t(b, False), lambda: calls.append("t2") or 1, lambda: calls.append("f2") or 2)
    assert out == 2 and calls == ["t", "f2"]


def test_cond_under_jit_uses_lax_cond(b):
    traced = []

    def f(x):
        return b.cond(b.greater(b.sum(x), t(b, 0.0)),
                      lambda v: traced.append("t") or b.multiply(v, t(b, 2.0)),
                      lambda v: traced.append("f") or b.negative(v), x)

    jf = b.jit(f)
    np.testing.assert_array_equal(b.to_numpy(jf(t(b, [1.0, 2.0]))), [2.0, 4.0])
    np.testing.assert_array_equal(b.to_numpy(jf(t(b, [-1.0, -2.0]))), [1.0, 2.0])
    assert sorted(traced) == ["f", "t"]  # both branches traced once, then the cache reused


def test_scan_reverse_length_pytrees(b):
    def step(c, x):
        c = {"s": b.add(c["s"], x["a"])}
        return c, (c["s"], b.multiply(x["a"], t(b, 2.0)))

    xs = {"a": t(b, [1.0, 2.0, 3.0])}
    c, (run, dbl) = b.scan(step, {"s": t(b, 0.0)}, xs, reverse=True)
    assert float(c["s"]) == 6.0
    np.testing.assert_array_equal(b.to_numpy(run), [6.0, 5.0, 3.0])
    np.testing.assert_array_equal(b.to_numpy(dbl), [2.0, 4.0, 6.0])
    c, ys = b.scan(lambda c, _: (b.add(c, t(b, 1)), c), t(b, 0), None, length=4)
    assert int(c) == 4
    np.testing.assert_array_equal(b.to_numpy(ys), [0, 1, 2, 3])


# ---- compilation --------------------------------------------------------------------------------------

def test_jit_donation_and_static(b):
    def update(w, g, scale):
        return b.subtract(w, b.multiply(g, t(b, scale, "float32")))

    jf = b.jit(update, donate_argnums=(0,), static_argnums=(2,))
    w = t(b, np.ones(4, np.float32))
    g = t(b, np.full(4, 0.5, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some platforms cannot donate and warn
        w2 = jf(w, g, 2.0)
    np.testing.assert_array_equal(b.to_numpy(w2), np.zeros(4, np.float32))
    assert b.dtype(w2) == "float32"
    assert w.is_deleted()  # the donated buffer was consumed
    np.testing.assert_array_equal(b.to_numpy(g), np.full(4, 0.5, np.float32))


def test_jit_of_value_and_grad(b):
    step = b.jit(b.value_and_grad(lambda w, n: b.sum(b.square(b.multiply(w, b.cast(n, "float32"))))))
    val, (gw) = step(t(b, np.array([1.0, 2.0], np.float32)), t(b, np.array(2, np.int32)))
    assert float(val) == 20.0
    np.testing.assert_allclose(b.to_numpy(gw), [8.0, 16.0])


def test_stop_gradient(b):
    _, g = b.value_and_grad(lambda x: b.add(b.square(x), b.stop_gradient(b.square(x))))(t(b, 3.0))
    assert float(g) == 6.0
