"""Result dtypes of the main arithmetic/reduction ops match Keras 3 (real Keras on its JAX backend).

The oracle runs with ``jax_enable_x64`` on (kshim's jax backend turns it on, so float64/int64 are
real 64-bit types). Under x64 JAX reports a few results that Keras' own promotion rules do not
intend; kshim follows Keras' rules there (what Keras on JAX *without* x64, and Keras' torch/numpy
backends, report). Those cases are listed, with the reason, in ``KNOWN_DIFFERENCES`` — the test
checks kshim against the listed dtype and also that the listing is not stale.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

import kshim.ops as O

from .cases import keras_ops

GRID = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
BINARY = ("add", "subtract", "multiply", "divide", "maximum", "power", "matmul", "dot", "where")
UNARY = ("sum", "mean", "prod", "max", "argmax", "cumsum", "var", "abs", "exp", "sqrt", "square",
         "negative", "relu", "sigmoid", "softmax", "round", "trace", "diff", "nan_to_num")
SCALARS = (2, 1.5, True)
SCALAR_OPS = ("add", "multiply", "divide", "maximum")

_X64_INT = "JAX with x64 widens this to 64 bits; Keras' rule (and Keras on JAX without x64) gives 32 bits"
_X64_WEAK = "a Python float with an integer tensor is floatx (float32) in Keras; JAX x64 makes it float64"


def _known() -> dict:
    k = {}
    for d in GRID:
        k[("argmax", d)] = ("int32", _X64_INT)
    for d in ("bool", "uint8", "int8", "int16", "int32", "int64"):
        for op in SCALAR_OPS:
            k[(op, d, 1.5)] = ("float32", _X64_WEAK)
    for op in ("add", "multiply", "maximum"):
        k[(op, "bool", 2)] = ("int32", _X64_INT)
    # int64 true division: Keras' result_type(int64, int64, float) is float32 (Keras' numpy
    # backend reports float32); JAX x64 computes it in float64.
    for d in ("bool", "uint8", "int8", "int16", "int32", "int64"):
        k[("divide", d, "int64")] = k[("divide", "int64", d)] = ("float32", _X64_INT)
    for s in (2, True):
        k[("divide", "int64", s)] = ("float32", _X64_INT)
    k[("divide", "bool", 2)] = ("float32", _X64_INT)
    # Integer sums/products accumulate in int32 (uint32 for small uints) in Keras' rule.
    for op in ("sum", "prod", "trace"):
        for d in ("bool", "int8", "int16", "int32"):
            k[(op, d)] = ("int32", _X64_INT)
        k[(op, "uint8")] = ("uint32", _X64_INT)
    for op in ("cumsum", "relu"):
        k[(op, "bool")] = ("int32", _X64_INT)
    # Keras 3.15 returns float32 for var of float64 on every backend (it computes in float32);
    # kshim keeps float64, since float64 must work end to end (DESIGN: Precision).
    k[("var", "float64")] = ("float64", "deliberate: Keras downcasts float64 variance to float32")
    # softmax of int64: Keras hands int64 to the native softmax, which yields float64; Keras'
    # result_type(int64, float) is float32 and kshim computes integer inputs in floatx.
    k[("softmax", "int64")] = ("float32", "integer inputs are computed in floatx (Keras' promotion rule)")
    return k


KNOWN_DIFFERENCES = _known()


def _np(d, shape):
    return np.ones(shape, dtype=d)


def _call(mod, op, a, c=None, scalar=None):
    if op == "where":
        return mod.where(np.array([True, False]), _np(a, (2,)), _np(c, (2,)))
    if op == "matmul":
        return mod.matmul(_np(a, (2, 2)), _np(c, (2, 2)))
    if scalar is not None:
        return getattr(mod, op)(_np(a, (2,)), scalar)
    if c is None:
        return getattr(mod, op)(_np(a, (2, 3)))
    return getattr(mod, op)(_np(a, (2,)), _np(c, (2,)))


@functools.lru_cache(maxsize=None)
def keras_dtype(op, a, c=None, scalar=None):
    K = keras_ops()
    try:
        out = _call(K, op, a, c, scalar)
    except Exception as e:  # Keras rejects the combination
        return f"error: {type(e).__name__}"
    import keras
    return keras.backend.standardize_dtype(out.dtype)


def _keys(op):
    if op in BINARY:
        for a, c in itertools.product(GRID, GRID):
            if op == "subtract" and "bool" in (a, c):
                continue
            yield (op, a, c), dict(a=a, c=c)
    else:
        for a in GRID:
            yield (op, a), dict(a=a)
    if op in SCALAR_OPS:
        for a in GRID:
            for s in SCALARS:
                yield (op, a, s), dict(a=a, scalar=s)


@pytest.mark.oracle
@pytest.mark.parametrize("op", BINARY + UNARY)
def test_result_dtypes_match_keras(backend, op):
    if keras_ops() is None:
        pytest.skip("real Keras 3 is not installed")
    bad = []
    for key, kw in _keys(op):
        want = keras_dtype(op, kw["a"], kw.get("c"), kw.get("scalar"))
        if want.startswith("error"):
            continue
        known = KNOWN_DIFFERENCES.get(key)
        if known is not None:
            assert known[0] != want, f"stale KNOWN_DIFFERENCES entry {key}: Keras now gives {want}"
            want = known[0]
        try:
            got = O.dtype(_call(O, op, kw["a"], kw.get("c"), kw.get("scalar")))
        except Exception as e:
            got = f"error: {type(e).__name__}: {e}"
        if got != want:
            bad.append(f"{key}: kshim {got}, Keras {want}")
    assert not bad, f"{len(bad)} dtype mismatches on {backend.name}:\n" + "\n".join(bad)


@pytest.mark.oracle
@pytest.mark.parametrize("op", ["matmul", "dot"])
@pytest.mark.parametrize("a,c", [("bfloat16", "bfloat16"), ("bfloat16", "int8"), ("int8", "int8"), ("bool", "int8"),
                                 ("float16", "bfloat16")])
def test_products_keep_keras_dtype_for_narrow_inputs(backend, op, a, c):
    """bfloat16 stays bfloat16 (NumPy computes it in float32); int8 @ int8 is int32 for matmul but
    int8 for dot (Keras' ``result_type``): checked against Keras' promotion rule itself, which the
    x64 JAX oracle above cannot give for bfloat16."""
    if keras_ops() is None:
        pytest.skip("real Keras 3 is not installed")
    from keras.src.backend.common import dtypes as keras_dtypes
    want = keras_dtypes.result_type(a, c)
    if op == "matmul" and a == c == "int8":
        want = "int32"
    got = O.dtype(getattr(O, op)(O.ones((2, 3), a), O.ones((3, 2), c)))
    assert got == want
