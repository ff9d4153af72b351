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


def test_every_public_op_has_a_case():
    missing = sorted(set(O._public_names()) - covered_names())
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
                 "left_shift", "right_shift"}
    f32 = {c.name for c in CASES if "float32" in c.dtypes}
    f64 = {c.name for c in CASES if "float64" in c.dtypes}
    lacking = sorted(n for n in covered_names() - non_float if n not in f32 or n not in f64)
    assert not lacking, f"ops without float32+float64 cases: {lacking}"
