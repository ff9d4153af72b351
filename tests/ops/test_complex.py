"""Complex dtypes (complex64, complex128): dtype names, promotion, conversion and the ops on complex input.

References:

* dtype promotion: JAX's ``jnp.promote_types`` with x64 (the lattice Keras adapted) for kshim's own
  rule, and real Keras' ``keras.backend.result_type`` up to Keras' demotion of every 64-bit result to
  32 bits (complex128 -> complex64, float64 -> float32), which kshim deliberately does not do (it keeps
  float64 and complex128 end to end, see ``tests/test_keras_names.py::test_backend_result_type_keeps_64_bits``).
* op values: NumPy's function of the same name on the same complex array. Tolerances: complex128 results
  to rtol 1e-12 (a few roundings of float64), complex64 results to rtol 2e-6 (float32 eps is 1.2e-7;
  exp/matmul/sum add a few roundings and backends order sums differently).
* op results and dtypes against real Keras on the same input (oracle tests), up to the same demotion.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim.backends._base import COMPLEX_DTYPES, DTYPES, FLOAT_DTYPES, canonical_dtype
from kshim import KerasTensor

from .cases import keras_ops

_DEMOTE = {"float64": "float32", "complex128": "complex64", "int64": "int32"}
_RTOL = {"complex64": 2e-6, "complex128": 1e-12, "float32": 2e-6, "float64": 1e-12}


def _np(x):
    return np.asarray(O.convert_to_numpy(x))


def _keras():
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    import keras

    return K, keras


def _z(dtype, shape=(2, 3), seed=0):
    r = np.random.default_rng(seed)
    return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dtype)


# ---- dtype names -----------------------------------------------------------------------------------
def test_complex_dtypes_are_not_float():
    assert COMPLEX_DTYPES == ("complex64", "complex128")
    assert set(COMPLEX_DTYPES) <= set(DTYPES) and not set(COMPLEX_DTYPES) & set(FLOAT_DTYPES)
    assert not kshim.backend.is_float_dtype("complex64") and not kshim.backend.is_int_dtype("complex128")


@pytest.mark.parametrize(
    "spec", ["complex64", "complex128", np.dtype("complex64"), np.dtype("complex128"), complex, "cfloat", "cdouble"]
)
def test_canonical_dtype_accepts_complex(spec):
    want = {complex: "complex128", "cfloat": "complex64", "cdouble": "complex128"}.get(spec)
    want = want or np.dtype(spec).name  # the NumPy name of the NumPy dtype
    assert canonical_dtype(spec) == want


def test_canonical_dtype_accepts_framework_complex_dtypes():
    torch = pytest.importorskip("torch")
    assert canonical_dtype(torch.complex64) == "complex64" and canonical_dtype(torch.complex128) == "complex128"
    jnp = pytest.importorskip("jax.numpy")
    assert canonical_dtype(jnp.zeros(1, jnp.complex64).dtype) == "complex64"


@pytest.mark.oracle
@pytest.mark.parametrize("spec", ["complex64", "complex128", np.complex64, np.complex128, complex])
def test_standardize_dtype_matches_keras(spec):
    _, keras = _keras()
    assert kshim.backend.standardize_dtype(spec) == keras.backend.standardize_dtype(spec)


# ---- promotion -------------------------------------------------------------------------------------
_PAIRS = [(a, c) for a in DTYPES for c in COMPLEX_DTYPES]


@pytest.mark.parametrize("a,c", _PAIRS)
def test_result_type_with_complex_follows_the_jax_lattice(a, c):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    want = np.dtype(jnp.promote_types(a, c)).name
    assert kshim.backend.result_type(a, c) == want
    assert kshim.backend.result_type(c, a) == want


@pytest.mark.oracle
@pytest.mark.parametrize("a,c", _PAIRS)
def test_result_type_with_complex_matches_keras(a, c):
    _, keras = _keras()
    ours = kshim.backend.result_type(a, c)
    assert _DEMOTE.get(ours, ours) == keras.backend.result_type(a, c)
    assert _DEMOTE.get(ours, ours) == keras.backend.result_type(c, a)


@pytest.mark.oracle
@pytest.mark.parametrize("a", list(DTYPES))
def test_python_complex_in_result_type_matches_keras(a):
    """Keras' ``result_type`` reads the Python type ``complex`` as complex64."""
    _, keras = _keras()
    ours = kshim.backend.result_type(a, complex)
    assert _DEMOTE.get(ours, ours) == keras.backend.result_type(a, complex)


@pytest.mark.parametrize("a", [d for d in DTYPES if d != "bfloat16"] + ["bfloat16"])
def test_binary_op_dtype_with_complex_tensor(backend, a):
    """``add`` of a tensor of each dtype and a complex tensor takes ``result_type`` (both orders)."""
    for c in COMPLEX_DTYPES:
        x = O.ones((2,), a)
        z = O.convert_to_tensor(np.array([1 + 1j, 2j], c))
        want = kshim.backend.result_type(a, c)
        assert O.dtype(O.add(x, z)) == want and O.dtype(O.multiply(z, x)) == want


@pytest.mark.oracle
@pytest.mark.parametrize("a", list(DTYPES))
def test_weak_python_complex_scalar_matches_keras(backend, a):
    """A Python complex is weakly typed: float16/bfloat16/float32 give complex64, float64 complex128, integers and
    bool the complex dtype of floatx (as a Python float gives them floatx), complex dtypes are kept. The oracle is
    Keras' promotion rule (``keras.backend.result_type(dtype, complex)``), up to its 64-bit demotion; Keras' ops
    under JAX's x64 (on in this oracle process) widen integer + complex to complex128, which Keras' rule does not
    intend (the same x64 effect ``test_dtypes.py`` lists for Python floats)."""
    _, keras = _keras()
    ours = O.dtype(O.add(O.ones((2,), a), 1j))
    assert _DEMOTE.get(ours, ours) == keras.backend.result_type(a, complex)
    assert ours == ("complex128" if a in ("float64", "complex128") else "complex64")
    assert O.dtype(O.multiply(2j, O.ones((2,), a))) == ours


@pytest.mark.parametrize("c", COMPLEX_DTYPES)
@pytest.mark.parametrize("scalar", [2, 1.5, True, 1j])
def test_python_scalars_keep_a_complex_dtype(backend, c, scalar):
    z = np.array([1 + 2j, -3j], c)
    out = O.add(O.convert_to_tensor(z), scalar)
    assert O.dtype(out) == c
    np.testing.assert_allclose(_np(out), z + scalar, rtol=_RTOL[c])


# ---- conversion ------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", COMPLEX_DTYPES)
def test_convert_round_trip(backend, c):
    z = _z(c)
    t = O.convert_to_tensor(z)
    assert O.dtype(t) == c and O.is_tensor(t)
    back = O.convert_to_numpy(t)
    assert back.dtype == np.dtype(c)
    np.testing.assert_array_equal(back, z)
    assert O.dtype(O.convert_to_tensor(z.real, c)) == c
    assert O.dtype(O.cast(t, "float32")) == "float32"
    np.testing.assert_array_equal(_np(O.cast(t, c)), z)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "value", [[1j, 2.0], 1j, [[1, 2j]], np.complex64(1 + 1j), np.array([1 + 2j]), np.array([1j], np.complex64)]
)
def test_convert_python_complex_matches_keras(backend, value):
    """Python lists/scalars take Keras' ``result_type`` of their leaves (a Python complex is complex64, as a Python
    float is float32); NumPy arrays and scalars keep their dtype, as in Keras."""
    _, keras = _keras()
    ours = O.dtype(O.convert_to_tensor(value))
    if isinstance(value, (np.ndarray, np.generic)):
        assert ours == value.dtype.name
    else:
        leaves = np.asarray(value, dtype=object).ravel().tolist()
        assert ours == keras.backend.result_type(*[type(e) for e in leaves])
    np.testing.assert_array_equal(_np(O.convert_to_tensor(value)), np.asarray(value))


# ---- ops against NumPy -----------------------------------------------------------------------------
_UNARY = {
    "real": np.real,
    "imag": np.imag,
    "conj": np.conj,
    "conjugate": np.conjugate,
    "angle": np.angle,
    "abs": np.abs,
    "absolute": np.abs,
    "isreal": np.isreal,
    "negative": np.negative,
    "exp": np.exp,
    "sum": np.sum,
    "zeros_like": np.zeros_like,
    "ones_like": np.ones_like,
    "square": np.square,
    "transpose": np.transpose,
}


@pytest.mark.parametrize("c", COMPLEX_DTYPES)
@pytest.mark.parametrize("name", sorted(_UNARY))
def test_unary_ops_match_numpy(backend, name, c):
    z = _z(c)
    out = getattr(O, name)(O.convert_to_tensor(z))
    ref = _UNARY[name](z)
    assert O.dtype(out) == np.asarray(ref).dtype.name
    if ref.dtype == bool:
        np.testing.assert_array_equal(_np(out), ref)
    else:
        np.testing.assert_allclose(_np(out), ref, rtol=_RTOL[np.asarray(ref).dtype.name], atol=0)


_BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "matmul": np.matmul}


@pytest.mark.parametrize("c", COMPLEX_DTYPES)
@pytest.mark.parametrize("name", sorted(_BINARY))
def test_binary_ops_match_numpy(backend, name, c):
    a, b = _z(c, (3, 3), 1), _z(c, (3, 3), 2)
    out = getattr(O, name)(O.convert_to_tensor(a), O.convert_to_tensor(b))
    assert O.dtype(out) == c
    np.testing.assert_allclose(_np(out), _BINARY[name](a, b), rtol=_RTOL[c] * 4)
    r = np.arange(3.0, dtype=np.float32)  # a real operand broadcasts and promotes
    out = getattr(O, name)(O.convert_to_tensor(a), O.convert_to_tensor(r))
    assert O.dtype(out) == c
    np.testing.assert_allclose(_np(out), _BINARY[name](a, r), rtol=_RTOL[c] * 4)


@pytest.mark.parametrize("c", COMPLEX_DTYPES)
def test_shape_ops_keep_complex(backend, c):
    a, b = _z(c, (2, 3), 1), _z(c, (2, 3), 2)
    ta, tb = O.convert_to_tensor(a), O.convert_to_tensor(b)
    for out, ref in [
        (O.reshape(ta, (3, 2)), a.reshape(3, 2)),
        (O.transpose(ta, (1, 0)), a.T),
        (O.concatenate([ta, tb], axis=1), np.concatenate([a, b], 1)),
        (O.stack([ta, tb]), np.stack([a, b])),
        (O.sum(ta, axis=0), a.sum(0)),
    ]:
        assert O.dtype(out) == c
        np.testing.assert_allclose(_np(out), ref, rtol=_RTOL[c])


@pytest.mark.parametrize("name", ["divide", "mean"])
def test_divide_and_mean_on_complex(backend, name):
    z = _z("complex128")
    out = O.divide(z, 2 - 1j) if name == "divide" else O.mean(O.convert_to_tensor(z))
    ref = z / (2 - 1j) if name == "divide" else z.mean()
    assert O.dtype(out) == "complex128"
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12)


def test_real_input_behaviour_unchanged(backend):
    x = np.array([1.0, -2.0, 0.0], np.float32)
    assert O.dtype(O.real(x)) == "float32" and O.dtype(O.conj(x)) == "float32"
    np.testing.assert_array_equal(_np(O.imag(x)), np.zeros(3, np.float32))
    np.testing.assert_array_equal(_np(O.angle(x)), np.angle(x))
    np.testing.assert_array_equal(_np(O.isreal(x)), np.ones(3, bool))
    assert O.dtype(O.angle(np.array([1, -1], np.int32))) == "float32"


# ---- view_as_complex / view_as_real / polar -------------------------------------------------------
@pytest.mark.parametrize(
    "d,want", [("float32", "complex64"), ("float64", "complex128"), ("float16", "complex64"), ("int32", "complex64")]
)
def test_view_as_complex(backend, d, want):
    x = np.random.default_rng(3).standard_normal((4, 3, 2)).round(2).astype(d)
    out = O.view_as_complex(x)
    assert O.dtype(out) == want and O.shape(out) == (4, 3)
    ref = x[..., 0].astype(np.float64) + 1j * x[..., 1].astype(np.float64)
    np.testing.assert_allclose(_np(out), ref, rtol=_RTOL[want])
    back = O.view_as_real(out)
    assert O.dtype(back) == {"complex64": "float32", "complex128": "float64"}[want]
    np.testing.assert_allclose(_np(back), x.astype(np.float64), rtol=_RTOL[want])


@pytest.mark.parametrize("c", COMPLEX_DTYPES)
def test_view_as_real(backend, c):
    z = _z(c, (3,))
    out = O.view_as_real(z)
    np.testing.assert_array_equal(_np(out), np.stack([z.real, z.imag], -1))
    assert O.shape(out) == (3, 2)
    x = np.array([1.0, 2.0], np.float32)  # a real input: (x, 0) pairs, as Keras
    np.testing.assert_array_equal(_np(O.view_as_real(x)), np.stack([x, np.zeros(2, np.float32)], -1))


def test_view_errors(backend):
    with pytest.raises(ValueError, match="size 2"):
        O.view_as_complex(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="size 2"):
        O.view_as_complex(np.float32(1.0))
    with pytest.raises(TypeError, match="view_as_complex"):
        O.view_as_complex(np.ones((2, 2), np.complex64))
    with pytest.raises(TypeError, match="polar"):
        O.polar(np.ones(2, np.complex64), np.ones(2, np.float32))


@pytest.mark.parametrize(
    "dr,dt,want",
    [
        ("float32", "float32", "complex64"),
        ("float64", "float64", "complex128"),
        ("float32", "float64", "complex128"),
        ("int32", "int32", "complex64"),
        ("float16", "float16", "complex64"),
    ],
)
def test_polar_matches_numpy(backend, dr, dt, want):
    r = np.random.default_rng(4)
    a, t = np.abs(r.standard_normal((2, 3))).astype(dr), (3 * r.standard_normal((3,))).astype(dt)
    out = O.polar(a, t)
    assert O.dtype(out) == want and O.shape(out) == (2, 3)
    ref = a.astype(np.float64) * np.exp(1j * t.astype(np.float64))
    np.testing.assert_allclose(_np(out), ref, rtol=_RTOL[want] * 2, atol=_RTOL[want])


def test_ops_without_complex_support_raise(backend):
    z = np.array([1 + 1j], np.complex64)
    for fn in (O.sinc, O.i0):
        with pytest.raises(TypeError, match="complex"):
            fn(z)
    with pytest.raises(TypeError, match="complex"):
        O.logaddexp(z, z)


# ---- symbolic --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,shape,dtype,want_shape,want_dtype",
    [
        ("view_as_complex", (None, 3, 2), "float32", (None, 3), "complex64"),
        ("view_as_complex", (4, 2), "float64", (4,), "complex128"),
        ("view_as_real", (None, 3), "complex64", (None, 3, 2), "float32"),
        ("real", (2, None), "complex128", (2, None), "float64"),
        ("imag", (2,), "complex64", (2,), "float32"),
        ("conj", (2,), "complex64", (2,), "complex64"),
        ("angle", (5,), "complex128", (5,), "float64"),
        ("abs", (5,), "complex64", (5,), "float32"),
        ("isreal", (5,), "complex64", (5,), "bool"),
    ],
)
def test_symbolic_specs(backend, name, shape, dtype, want_shape, want_dtype):
    out = getattr(O, name)(KerasTensor(shape, dtype=dtype))
    assert tuple(out.shape) == want_shape and out.dtype == want_dtype
    spec = O.polar(KerasTensor((None, 3)), KerasTensor((3,)))
    assert tuple(spec.shape) == (None, 3) and spec.dtype == "complex64"


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name,shape,dtype",
    [
        ("view_as_complex", (None, 3, 2), "float32"),
        ("view_as_real", (None, 3), "complex64"),
        ("real", (4,), "complex64"),
        ("imag", (4,), "complex64"),
        ("conj", (4,), "complex64"),
        ("angle", (4,), "complex64"),
    ],
)
def test_symbolic_specs_match_keras(backend, name, shape, dtype):
    """Shapes as Keras' ``compute_output_spec``; dtypes as kshim's own eager result on zeros (Keras' symbolic
    ``real``/``imag``/``angle`` report the complex input dtype, which its eager ops do not return)."""
    K, keras = _keras()
    ours = getattr(O, name)(KerasTensor(shape, dtype=dtype))
    theirs = getattr(K, name)(keras.KerasTensor(shape, dtype=dtype))
    assert tuple(ours.shape) == tuple(theirs.shape)
    eager = getattr(O, name)(O.zeros(tuple(1 if s is None else s for s in shape), dtype))
    assert ours.dtype == O.dtype(eager)


# ---- against real Keras ----------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize(
    "name",
    [
        "real",
        "imag",
        "conj",
        "conjugate",
        "angle",
        "abs",
        "absolute",
        "isreal",
        "view_as_real",
        "exp",
        "negative",
        "sum",
    ],
)
def test_unary_ops_match_keras(backend, name):
    K, keras = _keras()
    z = _z("complex64")
    z[0, 0] = 2.0  # a real element for isreal
    ours, theirs = getattr(O, name)(z), getattr(K, name)(z)
    assert O.dtype(ours) == keras.backend.standardize_dtype(theirs.dtype)
    np.testing.assert_allclose(_np(ours), np.asarray(theirs), rtol=2e-6, atol=1e-7)


@pytest.mark.oracle
def test_view_and_polar_match_keras(backend):
    K, keras = _keras()
    x = np.random.default_rng(5).standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_allclose(_np(O.view_as_complex(x)), np.asarray(K.view_as_complex(x)), rtol=1e-7)
    a, t = np.abs(x[:, 0]), x[:, 1]
    ours, theirs = O.polar(a, t), K.polar(a, t)
    assert O.dtype(ours) == keras.backend.standardize_dtype(theirs.dtype)
    np.testing.assert_allclose(_np(ours), np.asarray(theirs), rtol=2e-6, atol=1e-7)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name", ["real", "imag", "conj", "conjugate", "angle", "isreal", "view_as_complex", "view_as_real", "polar"]
)
def test_signatures_match_keras(name):
    K, _ = _keras()

    def params(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(getattr(O, name)) == params(getattr(K, name))


def test_results_agree_across_backends():
    """The same composite on numpy, jax and torch (complex128: rtol 1e-12)."""
    z = _z("complex128", (3, 3))
    outs = {}
    for name in ("numpy", "jax", "torch"):
        try:
            with kshim.backend.use(name):
                t = O.convert_to_tensor(z)
                y = O.matmul(O.exp(O.conj(t)), O.polar(O.abs(t), O.angle(t)))
                outs[name] = (_np(O.view_as_real(y)), _np(O.isreal(O.real(t))))
        except ImportError:
            continue
    ref = outs["numpy"]
    np.testing.assert_allclose(
        ref[0], np.stack([(np.exp(z.conj()) @ z).real, (np.exp(z.conj()) @ z).imag], -1), rtol=1e-12
    )
    for out in outs.values():
        np.testing.assert_allclose(out[0], ref[0], rtol=1e-12)
        np.testing.assert_array_equal(out[1], ref[1])


@pytest.mark.parametrize("name", ["var", "std"])
def test_variance_of_complex_is_real(backend, name):
    """``var``/``std`` of complex data are those of ``|x - mean|`` (real), as NumPy and JAX give."""
    z = _z("complex128")
    out = getattr(O, name)(O.convert_to_tensor(z))
    assert O.dtype(out) == "float64"
    np.testing.assert_allclose(_np(out), getattr(np, name)(z), rtol=1e-12)


@pytest.mark.parametrize("name", ["median", "exp2", "cbrt", "deg2rad", "rad2deg", "norm", "nanmean", "sigmoid"])
def test_real_only_ops_refuse_complex_instead_of_dropping_the_imaginary_part(backend, name):
    """Ops that compute on real numbers raise a TypeError naming the fix; they never silently keep
    the real part (an explicit ``ops.cast`` does, as NumPy and Keras do)."""
    z = O.convert_to_tensor(_z("complex128"))
    with pytest.raises(TypeError, match="imaginary part"):
        getattr(O, name)(z)
    np.testing.assert_array_equal(_np(O.cast(z, "float64")), _z("complex128").real)
