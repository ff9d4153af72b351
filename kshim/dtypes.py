"""Dtype names and the promotion table (JAX/Keras 3 lattice, written once for all backends)."""

from __future__ import annotations

from typing import Any

from .backends._base import COMPLEX_DTYPES, DTYPES, FLOAT_DTYPES, INEXACT_DTYPES, canonical_dtype  # noqa: F401
from . import _config as config

INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32")
_BITS = {
    "bool": 1,
    "uint8": 8,
    "uint16": 16,
    "uint32": 32,
    "int8": 8,
    "int16": 16,
    "int32": 32,
    "int64": 64,
    "float16": 16,
    "bfloat16": 16,
    "float32": 32,
    "float64": 64,
    "complex64": 64,
    "complex128": 128,
}
#: The complex dtype whose parts have a float dtype's precision (and back).
COMPLEX_OF = {"float16": "complex64", "bfloat16": "complex64", "float32": "complex64", "float64": "complex128"}
PART_OF = {"complex64": "float32", "complex128": "float64"}


def standardize_dtype(dtype: Any) -> str:
    """Canonical dtype string; ``None`` means ``floatx()``."""
    if dtype is None:
        return config.floatx()
    return canonical_dtype(dtype)


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


def is_int(dtype: str) -> bool:
    return dtype in INT_DTYPES or dtype in UINT_DTYPES


def is_complex(dtype: str) -> bool:
    """Whether ``dtype`` is complex64 or complex128 (these are not float dtypes: see ``is_float``)."""
    return dtype in COMPLEX_DTYPES


def is_inexact(dtype: str) -> bool:
    """Whether ``dtype`` is a float or a complex dtype (what unary math computes in unchanged)."""
    return dtype in INEXACT_DTYPES


def complex_of(dtype: str) -> str:
    """The complex dtype a value of ``dtype`` becomes when combined with a complex number: itself
    for a complex dtype, complex128 for float64, complex64 for the other floats, and the complex
    dtype of ``floatx()`` for integers and bool (as a Python float gives them floatx)."""
    if dtype in COMPLEX_DTYPES:
        return dtype
    if dtype in COMPLEX_OF:
        return COMPLEX_OF[dtype]
    return COMPLEX_OF[config.floatx()]


def _promote_complex(a: str, b: str) -> str:
    # The JAX/Keras lattice (f32 -> c64, f64 -> c128, c64 -> c128; integers reach c64 through the
    # floats), without Keras' demotion of 64-bit results (kshim keeps complex128, as it keeps float64).
    ca = COMPLEX_OF.get(a, a if a in COMPLEX_DTYPES else "complex64")
    cb = COMPLEX_OF.get(b, b if b in COMPLEX_DTYPES else "complex64")
    return "complex128" if "complex128" in (ca, cb) else "complex64"


def _promote2(a: str, b: str) -> str:
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    if a in COMPLEX_DTYPES or b in COMPLEX_DTYPES:
        return _promote_complex(a, b)
    fa, fb = is_float(a), is_float(b)
    if fa and fb:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return a if _BITS[a] >= _BITS[b] else b
    if fa:
        return a
    if fb:
        return b
    ua, ub = a in UINT_DTYPES, b in UINT_DTYPES
    if ua == ub:
        return a if _BITS[a] >= _BITS[b] else b
    u, s = (a, b) if ua else (b, a)
    if _BITS[s] > _BITS[u]:
        return s
    return {8: "int16", 16: "int32", 32: "int64"}[_BITS[u]]


def result_type(*dtypes: str) -> str:
    """Promoted dtype of several canonical dtypes (no Python scalars)."""
    out = dtypes[0]
    for d in dtypes[1:]:
        out = _promote2(out, d)
    return out


def scalar_dtype(value: Any) -> str:
    """The dtype a Python scalar takes when it is not combined with a tensor."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, complex):
        return COMPLEX_OF[config.floatx()]
    return config.floatx()


def weak_result(dtype: str, value: Any) -> str:
    """Dtype of ``tensor(dtype) op python_scalar`` (Python scalars are weakly typed)."""
    if isinstance(value, bool):
        return dtype
    if isinstance(value, int):
        return dtype if dtype != "bool" else "int32"
    if isinstance(value, float):
        return dtype if is_inexact(dtype) else config.floatx()
    if isinstance(value, complex):
        return complex_of(dtype)
    return dtype
