"""The compatibility matrix as tests: one test per (case, dtype) of the registry, so CI runs exactly
what ``kshim matrix`` reports. Cases kshim cannot run yet (a layer not written) are skipped with
the registry's reason. With ``--backend X`` (one backend) that backend is compared with numpy.
Model-training cases are marked ``slow`` (their JAX compiles take > 20 s together)."""
from __future__ import annotations

import numpy as np
import pytest

from kshim import backends as reg
from kshim.compat import registry, runner
from kshim.compat.compare import compare_arrays, compare_results
from kshim.testing.pytest_plugin import selected_backends

PARAMS = [pytest.param(c.name, d, id=f"{c.name}-{d}", marks=[pytest.mark.slow] if c.kind == "model" else [])
          for c in registry.all_cases() for d in c.dtypes]


@pytest.fixture(scope="module")
def compat_backends(request):
    chosen = [b for b in selected_backends(request.config) if reg.is_available(b)]
    if len(chosen) == 1 and chosen[0] != "numpy":
        chosen = ["numpy"] + chosen
    return chosen


@pytest.mark.parametrize("name,dtype", PARAMS)
def test_case(name, dtype, compat_backends):
    r = runner.run_case(registry.get(name), dtype, compat_backends)
    if r.status in ("unavailable", "skipped"):
        pytest.skip(r.reason)
    assert r.status == "pass", f"{name} [{dtype}] {r.status}: {r.reason}"
    assert r.pairs or len(compat_backends) < 2, "no backend pair was compared"


def test_every_op_has_a_case():
    import kshim.ops as ops
    covered = {c.name[len("ops."):] for c in registry.all_cases(kinds="op")}
    assert sorted(set(ops._public_names()) - covered) == []


def test_every_layer_has_a_case():
    from kshim.compat.cases.layers import layers_without_case
    assert layers_without_case() == []


def test_missing_features_are_reported_not_dropped():
    lstm = registry.get("models.masked_lstm")
    r = runner.run_case(lstm, "float32", ["numpy"])
    if registry.missing_feature("layers.LSTM"):
        assert r.status == "unavailable" and "LSTM" in r.reason
    fake = registry.Case("ops.__nope", "op", lambda b, d: {}, requires=("ops.__nope",))
    r = runner.run_case(fake, "float32", ["numpy"])
    assert r.status == "unavailable" and "__nope" in r.reason


def test_comparison_detects_differences():
    a = np.array([1.0, 2.0, 3.0], "float32")
    assert compare_arrays(a, a.copy(), 0.0, 0.0)[2]
    ma, mr, ok, msg = compare_arrays(a, a * (1 + 1e-3), 1e-5, 1e-6)
    assert not ok and ma == pytest.approx(3e-3, rel=1e-3) and "out of tolerance" in msg
    assert not compare_arrays(a, a.astype("float64"), 1, 1)[2]          # dtype mismatch
    assert not compare_arrays(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), 1, 1)[2]
    res = compare_results("x", {"init/0": a}, "y", {"init/0": a + 1e-7}, "elementwise", "float32")
    assert not res.ok  # initial weights must be bit-identical


def test_a_broken_backend_fails_the_case():
    def run(b, dtype):
        return {"forward": np.full((2,), 1.0 if b.name == "numpy" else 1.1)}
    case = registry.Case("ops.__broken", "op", run)
    r = runner.run_case(case, "float32", ["numpy", "torch"] if reg.is_available("torch") else ["numpy", "jax"])
    assert r.status == "fail" and r.pairs and not r.pairs[0].ok
