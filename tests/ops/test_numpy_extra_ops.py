"""Behaviour of kshim/ops/numpy_extra*.py that the op table (cases_numpy_extra.py) cannot express:
``vectorize`` (it returns a function), errors and their types, jit-ability on JAX, the
partition property of ``argpartition``, and the documented limits of the arithmetic bit ops.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends


def _np(x):
    return np.asarray(O.convert_to_numpy(x))


# ---- vectorize ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vectorize_elementwise_broadcasts(backend, dtype):
    r = np.random.default_rng(0)
    x, y = r.standard_normal((3, 1)).astype(dtype), r.standard_normal(4).astype(dtype)
    f = O.vectorize(lambda a, c: O.add(O.multiply(a, c), O.sin(a)))
    got = f(O.convert_to_tensor(x), O.convert_to_tensor(y))
    assert O.dtype(got) == dtype and tuple(O.shape(got)) == (3, 4)
    np.testing.assert_allclose(_np(got), x * y + np.sin(x), rtol=1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vectorize_signature_and_excluded(backend, dtype):
    r = np.random.default_rng(1)
    m, v = r.standard_normal((2, 3, 4)).astype(dtype), r.standard_normal(4).astype(dtype)
    f = O.vectorize(lambda a, c: O.matmul(a, c), signature="(m,n),(n)->(m)")
    got = f(O.convert_to_tensor(m), O.convert_to_tensor(v))
    np.testing.assert_allclose(_np(got), m @ v, rtol=1e-5 if dtype == "float32" else 1e-12)
    g = O.vectorize(lambda a, p: O.power(a, p), excluded={1})
    np.testing.assert_allclose(_np(g(O.convert_to_tensor(m[0, 0]), 2)), m[0, 0] ** 2, rtol=1e-6)
    two = O.vectorize(lambda a: (O.sum(a), O.max(a)), signature="(n)->(),()")
    s, mx = two(O.convert_to_tensor(m))
    np.testing.assert_allclose(_np(s), m.sum(-1), rtol=1e-5)
    np.testing.assert_allclose(_np(mx), m.max(-1))


def test_vectorize_matches_real_keras():
    from .cases import keras_ops
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    x = np.random.default_rng(2).standard_normal((3, 4))
    want = np.asarray(K.vectorize(lambda a: K.sum(a), signature="(n)->()")(x))
    with kshim.backend.use("numpy"):
        got = _np(O.vectorize(lambda a: O.sum(a), signature="(n)->()")(x))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_vectorize_errors(backend):
    with pytest.raises(ValueError, match="signature"):
        O.vectorize(lambda a: a, signature="(n->()")(O.ones((2,)))
    with pytest.raises(ValueError, match="core dimension 'n'"):
        O.vectorize(lambda a, c: a, signature="(n),(n)->(n)")(O.ones((3,)), O.ones((4,)))
    empty = O.vectorize(lambda a: O.multiply(a, 2.0))(O.zeros((0, 3)))
    assert tuple(O.shape(empty)) == (0, 3)


# ---- errors: type and message -------------------------------------------------------------------
def test_argument_errors(backend):
    x = O.ones((2, 3))
    with pytest.raises(ValueError, match="method"):
        O.quantile(x, 0.5, method="foo")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        O.quantile(x, 1.5)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        O.percentile(x, [50, 101])
    with pytest.raises(ValueError, match="empty"):
        O.quantile(O.zeros((0,)), 0.5)
    with pytest.raises(ValueError, match="empty"):
        O.nanmax(O.zeros((0,)))
    with pytest.raises(TypeError, match="bool"):
        O.ptp(O.convert_to_tensor(np.array([True, False])))
    with pytest.raises(ValueError, match="1-D"):
        O.searchsorted(x, O.ones((2,)))
    with pytest.raises(ValueError, match="side"):
        O.searchsorted(O.ones((3,)), O.ones((2,)), side="middle")
    with pytest.raises(ValueError, match="same length"):
        O.select([O.ones((2,)) > 0], [O.ones((2,)), O.ones((2,))])
    with pytest.raises(ValueError, match="kth"):
        O.argpartition(x, 3)
    with pytest.raises(TypeError, match="bins"):
        O.histogram(O.ones((3,)), bins=2.5)
    with pytest.raises(ValueError, match="1-dimensional"):
        O.histogram(x)
    with pytest.raises(TypeError, match="int"):
        O.array_split(x, [1, 2])
    with pytest.raises(ValueError, match="2 or more"):
        O.vsplit(O.ones((4,)), 2)
    with pytest.raises(ValueError, match="divide"):
        O.hsplit(x, 2)
    with pytest.raises(ValueError, match="2-D"):
        O.fliplr(O.ones((3,)))
    with pytest.raises(ValueError, match="axes"):
        O.rot90(x, axes=(1, 1))
    with pytest.raises(TypeError, match="N"):
        O.vander(O.ones((3,)), N=2.0)
    with pytest.raises(ValueError, match="mode"):
        O.correlate(O.ones((3,)), O.ones((2,)), mode="foo")
    with pytest.raises(ValueError, match="rank >= 2"):
        O.cdist(O.ones((3,)), O.ones((2, 3)))
    with pytest.raises(ValueError, match="integers"):
        O.gcd(O.ones((2,)), O.ones((2,)))
    with pytest.raises(TypeError, match="ldexp exponent must be an integer"):
        O.ldexp(O.ones((2,)), O.ones((2,)))
    with pytest.raises(TypeError, match="integers"):
        O.bitwise_left_shift(O.ones((2,)), 1)
    with pytest.raises(TypeError, match="integer dtype"):
        O.bincount(O.ones((2,)))
    with pytest.raises(ValueError, match="non-negative"):
        O.bincount(O.convert_to_tensor(np.array([0, -1], np.int32)))
    with pytest.raises(ValueError, match="sparse"):
        O.bincount(O.convert_to_tensor(np.array([0, 1], np.int32)), sparse=True)
    with pytest.raises(ValueError, match="0-d"):
        O.nonzero(O.ones(()))
    with pytest.raises(ValueError, match="item size"):
        O.view(O.ones(()), "int16")
    with pytest.raises(ValueError, match="divisible"):
        O.view(O.convert_to_tensor(np.ones(3, np.int16)), "int32")


def test_argpartition_partitions(backend):
    x = np.random.default_rng(3).standard_normal((4, 9))
    for k in (0, 4, 8, -2):
        idx = _np(O.argpartition(O.convert_to_tensor(x), k))
        part = np.take_along_axis(x, idx, -1)
        kk = k % 9
        np.testing.assert_array_equal(part[:, kk], np.sort(x, -1)[:, kk])
        assert np.all(part[:, :kk] <= part[:, kk:kk + 1]) and np.all(part[:, kk + 1:] >= part[:, kk:kk + 1])
        assert all(sorted(row) == list(range(9)) for row in idx)


# ---- jit on JAX ------------------------------------------------------------------------------------
def _jax():
    if not backends.is_available("jax"):
        pytest.skip("jax not installed")
    return backends.get("jax")


def test_fixed_shape_ops_run_under_jax_jit():
    b = _jax()
    x = np.random.default_rng(4).standard_normal((5, 6))
    x[1, 2] = np.nan
    with kshim.backend.use("jax"):
        f = b.jit(lambda t: (O.nanmedian(t, axis=1), O.nanquantile(t, [0.2, 0.9], axis=0),
                             O.unique(O.round(t), size=4, return_counts=True),
                             O.searchsorted(O.sort(O.ravel(t)), t), O.histogram(O.ravel(t), bins=3)[0],
                             O.view(t, "int64"), O.erfc(t), O.nextafter(t, 0.0)))
        outs = f(O.convert_to_tensor(x))
        eager = (O.nanmedian(x, axis=1), O.nanquantile(x, [0.2, 0.9], axis=0),
                 O.unique(O.round(x), size=4, return_counts=True))
    np.testing.assert_allclose(_np(outs[0]), _np(eager[0]), rtol=1e-12)
    np.testing.assert_allclose(_np(outs[1]), _np(eager[1]), rtol=1e-12)
    np.testing.assert_array_equal(_np(outs[2][1]), _np(eager[2][1]))
    np.testing.assert_array_equal(_np(outs[5]), x.view(np.int64))


def test_data_dependent_ops_say_how_to_jit():
    b = _jax()
    x = O.convert_to_tensor(np.array([3, 1, 3], np.int32))
    with kshim.backend.use("jax"):
        with pytest.raises(TypeError, match="size="):
            b.jit(lambda t: O.unique(t))(x)
        with pytest.raises(TypeError, match="segment_sum"):
            b.jit(lambda t: O.bincount(t))(x)
        with pytest.raises(TypeError, match="where"):
            b.jit(lambda t: O.nonzero(t))(x)


# ---- documented limits of the arithmetic bit patterns ----------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_subnormals(backend, dtype):
    """Exact where the backend's arithmetic keeps subnormals (numpy, torch); JAX's CPU arithmetic
    flushes them to zero, so there they read and come out as zero (documented on the ops)."""
    tiny = np.finfo(dtype).smallest_subnormal
    up = _np(O.nextafter(O.zeros((2,), dtype), O.convert_to_tensor(np.array([1.0, -1.0], dtype))))
    sub = np.array([tiny, 5 * tiny], dtype)
    bits = _np(O.view(O.convert_to_tensor(sub), "int32" if dtype == "float32" else "int64"))
    # the backend's own arithmetic tells whether it flushes subnormals (JAX on CPU does)
    flushes = _np(O.multiply(O.convert_to_tensor(np.array([tiny], dtype)), 1.0))[0] == 0
    if flushes:
        np.testing.assert_array_equal(up, [0.0, 0.0])
        np.testing.assert_array_equal(bits, [0, 0])
    else:
        np.testing.assert_array_equal(up, [tiny, -tiny])
        np.testing.assert_array_equal(bits, sub.view(bits.dtype))


def test_view_nan_is_canonical(backend):
    """NaN payloads are not kept: every NaN encodes as NumPy's default quiet NaN (0x7fc00000)."""
    pattern = np.array([0x7FC00001, 0x7F800001, -4194304], np.int32)  # NaN bit patterns
    f = _np(O.view(O.convert_to_tensor(pattern), "float32"))
    assert np.all(np.isnan(f))
    back = _np(O.view(O.convert_to_tensor(np.array([np.nan], np.float32)), "int32"))
    assert back[0] == 0x7FC00000


def test_results_match_real_keras_where_numpy_differs():
    """Keras-specific semantics: nanargmax of an all-NaN slice, unique(size) padding, clipped
    unravel_index, decreasing digitize bins."""
    from .cases import keras_ops
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    x = np.array([[np.nan, np.nan], [1.0, np.nan], [2.0, 3.0]])
    u = np.array([5, 5, 2, 7])
    h = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    with kshim.backend.use("numpy"):
        pairs = [
            (O.nanargmax(x, axis=1), K.nanargmax(x, axis=1)),
            (O.unique(u, size=6, fill_value=-1, return_index=True, return_counts=True),
             K.unique(u, size=6, fill_value=-1, return_index=True, return_counts=True)),
            (O.unravel_index(np.array([5, -1, 7]), (2, 3)), K.unravel_index(np.array([5, -1, 7]), (2, 3))),
            (O.digitize(np.array([0.5, 1.0, 2.5, 4.0]), np.array([3.0, 2.0, 1.0])),
             K.digitize(np.array([0.5, 1.0, 2.5, 4.0]), np.array([3.0, 2.0, 1.0]))),
            (O.isin(np.array([1.0, np.nan, 3.0]), np.array([[3.0, np.nan]])),
             K.isin(np.array([1.0, np.nan, 3.0]), np.array([[3.0, np.nan]]))),
            (O.histogram(h, bins=4), K.histogram(h, bins=4)),
        ]
        for got, want in pairs:
            got = got if isinstance(got, tuple) else (got,)
            want = want if isinstance(want, (tuple, list)) else (want,)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(_np(g), np.asarray(w))
