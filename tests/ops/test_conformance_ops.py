"""Ops behaviours that Keras 3's own ops correctness tests check (issue 14), kshim-owned.

Each test runs on every backend (``backend`` fixture, ``--backend all``) and compares with a NumPy
reference written out here or with real Keras 3 on its JAX backend on the same input
(``tests/ops/cases.py::keras_ops``; skipped with a reason when Keras is not importable). None of them
imports Keras' test files.

Tolerances: integer, bool, shape and error checks are exact. float32 softmax/log_softmax/normalize/median
values: rtol=atol=1e-6 (a handful of float32 roundings of O(1) values; median is exact up to the single
``(lo + hi) / 2``). float16 moments: compared after the same float32 reduction, exact on the clipped
maximum ``finfo(float16).max``.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import KerasTensor

from .cases import keras_ops


def _keras():
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 (jax backend) is not importable: pip install 'kshim[oracle]'")
    return K


def _np(x):
    return np.asarray(O.convert_to_numpy(x))


X23 = np.array([[1, 2, 3], [3, 2, 1]], dtype=np.float32)


def _np_softmax(x, axes):
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


# ---- softmax / log_softmax / normalize with axis=None (all axes) -------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_softmax_axis_none_is_all_axes(backend, axis):
    axes = None if axis is None else axis
    ref = _np_softmax(X23.astype(np.float64), axes)
    np.testing.assert_allclose(_np(O.softmax(X23, axis=axis)), ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(O.log_softmax(X23, axis=axis)), np.log(ref), rtol=1e-6, atol=1e-6)


def test_softmax_axis_none_matches_keras(backend):
    K = _keras()
    for fn in ("softmax", "log_softmax"):
        ref = np.asarray(getattr(K.nn, fn)(X23, axis=None))
        np.testing.assert_allclose(_np(getattr(O, fn)(X23, axis=None)), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("axis,order", [(None, 2), (None, 3), ((0, 1), 2), (0, 1), (-1, 2)])
def test_normalize_axes(backend, axis, order):
    x = X23.astype(np.float64)
    norm = np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    ref = x / np.maximum(norm, 1e-7)
    np.testing.assert_allclose(_np(O.normalize(X23, axis=axis, order=order)), ref, rtol=1e-6, atol=1e-6)


def test_normalize_scalar_and_keras(backend):
    K = _keras()
    out = O.normalize(np.float32(3.0))
    assert O.shape(out) == (1,)
    np.testing.assert_allclose(_np(out), [1.0], rtol=1e-6)
    np.testing.assert_allclose(_np(O.normalize(X23, axis=None)), np.asarray(K.nn.normalize(X23, axis=None)),
                               rtol=1e-6, atol=1e-6)


# ---- moments: float16 statistics are clipped to the float16 range (no inf) ---------------------------
def test_moments_float16_clipped(backend):
    x = np.array([-65000.0, 65000.0, 0.0], dtype=np.float16)
    mean, var = O.moments(x, axes=0)
    assert O.dtype(mean) == "float16" and O.dtype(var) == "float16"
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(_np(mean).astype(np.float32), np.float16(x32.mean()).astype(np.float32), atol=1e-2)
    assert _np(var) == np.finfo(np.float16).max  # the true variance (~2.8e9) overflows float16
    K = _keras()
    km, kv = K.nn.moments(x, axes=0)
    assert np.asarray(kv) == _np(var)


# ---- median over a tuple of axes; argsort of a scalar -----------------------------------------------
@pytest.mark.parametrize("axis", [None, 1, (1,), (0, 2), (2, 0), (-1,), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_median_axes(backend, axis, keepdims):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    out = O.median(x, axis=axis, keepdims=keepdims)
    ref = np.median(x, axis=axis, keepdims=keepdims)
    assert O.shape(out) == ref.shape
    np.testing.assert_allclose(_np(out), ref, rtol=1e-6, atol=1e-6)


def test_median_even_tuple_axis_and_nan(backend):
    x = np.array([[1, 2, 3, 4], [10, 20, 30, 40]], dtype=np.float32)
    np.testing.assert_allclose(_np(O.median(x, axis=(0, 1))), np.median(x, axis=(0, 1)))
    x[1, 2] = np.nan
    np.testing.assert_allclose(_np(O.median(x, axis=(1,))), np.median(x, axis=(1,)))


def test_median_symbolic_tuple_axis(backend):
    x = KerasTensor((None, 3, 3))
    assert O.median(x).shape == ()
    assert O.median(x, axis=1).shape == (None, 3)
    assert O.median(x, axis=(1, 2), keepdims=True).shape == (None, 1, 1)


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_argsort_scalar(backend, axis):
    out = O.argsort(np.array(1.0), axis=axis)
    ref = np.argsort(np.array(1.0), axis=axis)  # NumPy (and Keras): a one-element vector
    assert O.shape(out) == ref.shape == (1,)
    assert O.dtype(out) == "int32"
    np.testing.assert_array_equal(_np(out), ref)


# ---- where(condition): the non-zero indices ---------------------------------------------------------
def test_where_one_argument(backend):
    x = np.array([1, 2, 3])
    out = O.where(x > 1)
    assert isinstance(out, tuple) and len(out) == 1
    np.testing.assert_array_equal(_np(out[0]), np.where(x > 1)[0])
    m = np.array([[1, 0], [0, 2]])
    for got, ref in zip(O.where(m), np.where(m)):
        assert O.dtype(got) == "int32"
        np.testing.assert_array_equal(_np(got), ref)
    with pytest.raises(ValueError, match="`x1` and `x2` either both should be `None`"):
        O.where(x > 1, x, None)
    with pytest.raises(ValueError, match="`x1` and `x2` either both should be `None`"):
        O.where(x > 1, None, x)


# ---- reshape: Keras' validation messages, symbolic target shapes ------------------------------------
def test_reshape_rejects_invalid_newshape(backend):
    x = np.zeros(20, dtype="float32")
    with pytest.raises(ValueError, match=r"non-negative integer.*-1.*newshape=\(-2, 5\)"):
        O.reshape(x, (-2, 5))
    with pytest.raises(ValueError, match=r"at most one unknown dimension.*newshape=\(-1, -1, 5\)"):
        O.reshape(x, (-1, -1, 5))
    assert O.shape(O.reshape(x, (-1, 5))) == (4, 5)


def test_reshape_symbolic_newshape(backend):
    x = KerasTensor((None, 20))
    s = KerasTensor((2,), dtype="int32")
    assert O.reshape(x, s).shape == (None, None)
    assert O.reshape(x, (None, KerasTensor((), dtype="int32"))).shape == (None, None)
    out = O.reshape(np.zeros((20,), "float32"), s)
    assert isinstance(out, KerasTensor) and out.shape == (None, None)
    assert O.reshape(x, (-1, 4, 5)).shape == (None, 4, 5)  # an ordinary target still probes


def test_reshape_symbolic_newshape_replays(backend):
    """A functional model whose reshape target is a model input: the replay uses the real values."""
    x = kshim.Input((20,), batch_size=2)
    s = kshim.Input((), batch_size=3, dtype="int32")
    y = O.reshape(x, s)
    assert y.shape == (None, None, None)
    model = kshim.Model([x, s], y)
    data = np.arange(40, dtype="float32").reshape(2, 20)
    out = model([data, np.array([4, 2, 5], dtype="int32")])
    np.testing.assert_array_equal(_np(out), data.reshape(4, 2, 5))


# ---- transpose: Keras' messages, in Keras' order ------------------------------------------------------
@pytest.mark.parametrize("symbolic", [False, True])
def test_transpose_rejects_invalid_axes(backend, symbolic):
    x = KerasTensor((2, 3, 4)) if symbolic else np.zeros((2, 3, 4), "float32")
    with pytest.raises(ValueError, match=r"valid permutation.*axes=\[0, 0, 0\]"):
        O.transpose(x, axes=[0, 0, 0])
    with pytest.raises(ValueError, match=r"Each axis in `axes` must be an integer in \[-3, 3\)"):
        O.transpose(x, axes=[0, 1, 5])
    with pytest.raises(ValueError, match="must be a list of the same length as the input shape"):
        O.transpose(x, axes=[0, 1])
    out = O.transpose(x, axes=[2, -3, 1])
    assert tuple(out.shape) == (4, 2, 3)


# ---- eye refuses float sizes (TypeError, as Keras) ---------------------------------------------------
def test_eye_raises_with_floats(backend):
    for args in [(3.0,), (3.0, 2.0), (3, 2.0), (O.max(O.arange(4.0)),), (O.array(3, dtype="bfloat16"),),
                 (np.float32(3),)]:
        with pytest.raises(TypeError):
            O.eye(*args)
    assert O.shape(O.eye(O.array(3), 2)) == (3, 2)
    assert O.shape(O.eye(np.int64(2))) == (2, 2)


# ---- complex inputs: computed on every backend (they used to be refused) ------------------------------
@pytest.mark.parametrize("name", ["conj", "conjugate", "real", "imag", "isreal"])
def test_complex_input_computed(backend, name):
    """Keras computes these on complex tensors, and so does kshim now (complex64/complex128): the result
    equals NumPy's function of the same name on the complex input, and on a real input the real
    behaviour (identity, zeros, all True) is unchanged."""
    z = np.array([1 + 2j, 3.0, -0.5j], dtype=np.complex128)
    out = getattr(O, name)(z)
    np.testing.assert_array_equal(_np(out), getattr(np, name)(z))
    assert O.dtype(out) == {"real": "float64", "imag": "float64", "isreal": "bool"}.get(name, "complex128")
    x = np.array([1.0, -2.0], dtype=np.float32)
    ref = {"imag": np.zeros(2, np.float32), "isreal": np.ones(2, bool)}.get(name, x)
    out = getattr(O, name)(x)
    assert O.dtype(out) == ("bool" if name == "isreal" else "float32")
    np.testing.assert_array_equal(_np(out), ref)


# ---- symbolic tensors: Keras' ``_keras_history`` attribute, symbolic specs of the KerasTensor tests ---
def test_keras_history_alias(backend):
    x = KerasTensor((2,), dtype="float32")
    assert hasattr(x, "_keras_history")
    y = O.cast(x, "float16")
    assert y.dtype == "float16" and y.shape == (2,)
    assert y._keras_history is y._history and y._keras_history is not None
    z = O.saturate_cast(x, "float16")
    assert z.dtype == "float16" and hasattr(z, "_keras_history")


def test_symbolic_specs_of_keras_correctness_tests(backend):
    """The output specs Keras' own correctness tests check on symbolic inputs (pinv, lstsq, matrix_rank,
    slogdet, cdist, select), compared with Keras' own ``compute_output_spec`` on the same shapes."""
    K = _keras()
    import keras  # real Keras (the oracle process has KERAS_BACKEND=jax)

    def both(fn, *shapes, dtypes=None):
        dtypes = dtypes or ["float32"] * len(shapes)
        ours = fn(O, *[KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes)])
        theirs = fn(K, *[keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes)])
        return ours, theirs

    for fn, shapes in [(lambda m, a: m.linalg.pinv(a), [(7, 4)]), (lambda m, a: m.linalg.pinv(a), [(2, 4, 7)]),
                       (lambda m, a, c: m.linalg.lstsq(a, c), [(5, 3), (5,)]),
                       (lambda m, a, c: m.linalg.lstsq(a, c), [(5, 3), (5, 2)]),
                       (lambda m, a, c: m.cdist(a, c), [(3, 4), (5, 4)]),
                       (lambda m, a, c: m.cdist(a, c), [(2, 3, 4), (2, 5, 4)])]:
        ours, theirs = both(fn, *shapes)
        assert ours.shape == theirs.shape, (shapes, ours.shape, theirs.shape)
        assert ours.dtype == theirs.dtype
    ours, theirs = both(lambda m, a: m.linalg.matrix_rank(a), (5, 5))
    assert ours.shape == theirs.shape
    sign, logdet = O.slogdet(KerasTensor((2, 4, 3, 3)))
    assert logdet.shape == (2, 4) and sign.shape == (2, 4)  # Keras' spec says () for sign (see slogdet)
    out = O.select([KerasTensor((3,), dtype="bool"), KerasTensor((3,), dtype="bool")],
                   [KerasTensor((3,)), KerasTensor((3,))], KerasTensor((3,)))
    assert out.shape == (3,) and out.dtype == "float32"


# ---- diagonal / moveaxis: repeated axes are a ValueError on every backend (JAX raised TypeError) ------
def test_diagonal_same_axis_raises(backend):
    x = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    with pytest.raises(ValueError):
        O.diagonal(x, axis1=0, axis2=0)
    with pytest.raises(ValueError):
        O.diagonal(x, axis1=-1, axis2=3)  # both are axis 3
    for off in (-1, 0, 1):
        np.testing.assert_array_equal(_np(O.diagonal(x, off, 2, 3)), np.diagonal(x, off, 2, 3))
    np.testing.assert_array_equal(_np(O.diagonal(x)), np.diagonal(x))


def test_moveaxis_repeated_axis_raises(backend):
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError):
        O.moveaxis(x, [0, 0], [1, 2])
    with pytest.raises(ValueError):
        O.moveaxis(x, [0, 1], [2, 2])
    with pytest.raises(ValueError):
        O.moveaxis(x, [0, 1], [2])
    assert O.shape(O.moveaxis(x, [0, 1], [2, 0])) == np.moveaxis(x, [0, 1], [2, 0]).shape


def test_symbolic_input_to_an_eager_only_op_is_a_value_error(backend):
    """Keras raises ValueError for a KerasTensor where a value is needed (``ops.cond`` on a symbolic
    predicate); kshim's error is both ValueError and (as before) TypeError."""
    import kshim
    pred = kshim.KerasTensor((), dtype="bool")
    for exc in (ValueError, TypeError):
        with pytest.raises(exc, match="symbolic KerasTensor"):
            kshim.ops.cond(pred, lambda: kshim.ops.ones((3,)), lambda: kshim.ops.zeros((3,)))
