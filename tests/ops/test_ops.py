"""Every public ``kshim.ops`` function against a NumPy (or real-Keras) reference, on every backend.

The cases are data (``tests/ops/cases.py``); this file only runs them.
"""
from __future__ import annotations

import pytest

import kshim.ops as O

from .cases import CASES, OracleMissing, case_params, covered_names, run_case

PARAMS = case_params()


@pytest.mark.parametrize("case,dtype", PARAMS, ids=[f"{c.key}-{d}" for c, d in PARAMS])
def test_op(backend, case, dtype):
    try:
        run_case(case, dtype)
    except OracleMissing as e:
        pytest.skip(str(e))


# Ops the table cannot compare, each tested in its own file.
NOT_IN_TABLE = {"vectorize": "returns a function (tests/ops/test_numpy_extra_ops.py)"}


def test_every_public_op_has_a_case():
    missing = sorted(set(O._public_names()) - covered_names() - set(NOT_IN_TABLE))
    assert not missing, f"public ops without a test case: {missing}"


def test_cases_name_real_ops():
    unknown = sorted(covered_names() - set(O._public_names()))
    assert not unknown, f"cases for names that are not public ops: {unknown}"


def test_case_ids_unique():
    keys = [c.key for c in CASES]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, dup


def test_every_op_runs_in_float32_and_float64():
    """The issue asks for float32 and float64 on every float op: ops with only non-float cases
    (bitwise, logical) are the exceptions listed here."""
    non_float = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert",
                 "left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm"}
    f32 = {c.name for c in CASES if "float32" in c.dtypes}
    f64 = {c.name for c in CASES if "float64" in c.dtypes}
    lacking = sorted(n for n in covered_names() - non_float if n not in f32 or n not in f64)
    assert not lacking, f"ops without float32+float64 cases: {lacking}"


@pytest.mark.slow
@pytest.mark.oracle
def test_ops_doc_is_current():
    """docs/ops.md lists every keras.ops name with kshim's measured status (regenerate with
    ``python scripts/gen_ops_doc.py``); also the issue's floor: >= 150 ops on all three backends."""
    import importlib.util
    import os
    from .cases import keras_ops
    if keras_ops() is None:
        pytest.skip("real Keras 3 is not installed")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("gen_ops_doc", os.path.join(root, "scripts", "gen_ops_doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # The per-case status is what test_op asserts in this same run; the doc must agree with it.
    assert mod.main(["--check", "--assume-cases-pass"]) == 0, \
        "docs/ops.md is stale: run python scripts/gen_ops_doc.py --assume-cases-pass"
    with open(mod.DOC) as f:
        n = int(f.read().split("**")[1].split()[0])
    assert n >= 150


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_value_and_gradient_at_the_kink(backend, dtype):
    """relu (a fused kernel on every backend) is max(x, 0) with gradient exactly 0 at 0 and 1 above."""
    import numpy as np

    x = O.convert_to_tensor(np.array([-2.0, -0.0, 0.0, 0.5, 3.0]), dtype)
    val = np.asarray(O.convert_to_numpy(O.relu(x)))
    assert val.dtype == np.dtype(dtype) and np.array_equal(val, [0.0, 0.0, 0.0, 0.5, 3.0])
    b = backend
    g = b.value_and_grad(lambda v: b.sum(O.relu(v), None, False))(x)[1]
    assert np.array_equal(np.asarray(O.convert_to_numpy(g)), [0.0, 0.0, 0.0, 1.0, 1.0])
