"""The glibc heap tuning every backend applies (backends/_malloc.py) and the NumPy GEMV bias-gradient path."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from kshim.backends import _malloc as memory
from kshim.backends.numpy.autodiff.tensor import unbroadcast


def _probe(env_extra, backend="numpy"):
    """Whether the tuning is in effect in a fresh process after loading ``backend``."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("MALLOC_") and k.endswith("_"))}
    env.update(env_extra)
    code = f"import kshim.backends.{backend}; from kshim.backends import _malloc; print(_malloc._applied)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_malloc_tuning_applies_once_and_respects_opt_outs():
    assert _probe({}) == "True"
    assert _probe({"KSHIM_NUMPY_MALLOC_TUNING": "0"}) == "False"
    assert _probe({"KSHIM_MALLOC_TUNING": "0"}) == "False"
    assert _probe({"MALLOC_TOP_PAD_": "131072"}) == "False"  # the user's own malloc settings win
    assert memory.tune_malloc() == memory.tune_malloc()       # idempotent


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unbroadcast_leading_axes_gemv_matches_sum(dtype):
    g = np.random.default_rng(0).standard_normal((16, 9, 9, 8)).astype(dtype)
    got = unbroadcast(g, (8,))
    want = g.astype(np.float64).sum(axis=(0, 1, 2))
    assert got.dtype == g.dtype and got.shape == (8,)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_allclose(unbroadcast(g, (1, 1, 9, 8)), g.sum(axis=(0, 1), keepdims=True),
                               rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_malloc_tuning_applies_with_every_backend(backend):
    pytest.importorskip(backend)
    assert _probe({}, backend) == "True"
    assert _probe({"KSHIM_MALLOC_TUNING": "0"}, backend) == "False"
