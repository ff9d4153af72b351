"""Bad input to the linear-algebra ops: Keras' exception type (checked against real Keras on JAX
where it is installed) and a message that names the problem.

Keras' own checks raise ValueError for wrong rank, non-square matrices and mismatched shapes; a
few of its JAX-backend paths leak a TypeError from ``jnp`` instead (``qr`` and ``lstsq`` of a wrong
rank), where kshim keeps Keras' documented ValueError (its symbolic ``compute_output_spec`` raises
that): those cases are marked ``keras=False`` and not compared with the oracle.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim.ops as O

from .cases import keras_ops

I3 = np.eye(3)
BAD = [
    # (id, op name, args, kwargs, message pattern, compare with Keras)
    ("cholesky-rank1", "cholesky", (np.ones(3),), {}, r"rank >= 2.*\(3,\)", True),
    ("cholesky-nonsquare", "cholesky", (np.ones((2, 3)),), {}, r"square.*\(2, 3\)", True),
    ("cholesky-not-pd", "cholesky", (-I3,), {}, r"positive.definite", True),
    ("cholesky_inverse-nonsquare", "cholesky_inverse", (np.ones((2, 3)),), {}, r"square.*\(2, 3\)", True),
    ("inv-nonsquare", "inv", (np.ones((2, 3)),), {}, r"square.*\(2, 3\)", True),
    ("inv-rank1", "inv", (np.ones(3),), {}, r"rank >= 2", True),
    ("det-rank1", "det", (np.ones(3),), {}, r"rank >= 2", True),
    ("det-nonsquare", "det", (np.ones((3, 2)),), {}, r"square", True),
    ("slogdet-nonsquare", "slogdet", (np.ones((3, 2)),), {}, r"square", False),
    ("logdet-nonsquare", "logdet", (np.ones((3, 2)),), {}, r"square", False),
    ("eigh-nonsquare", "eigh", (np.ones((2, 3)),), {}, r"square", True),
    ("eig-nonsquare", "eig", (np.ones((2, 3)),), {}, r"square", True),
    ("svd-rank1", "svd", (np.ones(3),), {}, r"rank >= 2", True),
    ("qr-rank1", "qr", (np.ones(3),), {}, r"rank >= 2", False),
    ("qr-mode", "qr", (I3,), {"mode": "r"}, r"mode.*'reduced', 'complete'", True),
    ("lu_factor-rank1", "lu_factor", (np.ones(3),), {}, r"rank >= 2", False),
    ("pinv-rank1", "pinv", (np.ones(3),), {}, r"rank >= 2", True),
    ("matrix_rank-rank1", "matrix_rank", (np.ones(3),), {}, r"rank >= 2", True),
    ("solve-nonsquare", "solve", (np.ones((2, 3)), np.ones(2)), {}, r"square.*\(2, 3\)", True),
    ("solve-length", "solve", (I3, np.ones(4)), {}, r"\(3, 3\).*\(4,\)", True),
    ("solve-rows", "solve", (I3, np.ones((4, 2))), {}, r"\(3, 3\).*\(4, 2\)", True),
    ("solve-scalar-b", "solve", (I3, np.ones(())), {}, r"rank >= 1", False),
    ("solve-batch", "solve", (np.ones((2, 3, 3)), np.ones((4, 3, 1))), {}, r"batch.*broadcast", False),
    ("solve-singular", "solve", (np.ones((3, 3)), np.ones(3)), {}, r"singular", False),
    ("inv-singular", "inv", (np.ones((3, 3)),), {}, r"singular", False),
    ("solve_triangular-nonsquare", "solve_triangular", (np.ones((2, 3)), np.ones(2)), {}, r"square", True),
    ("solve_triangular-rows", "solve_triangular", (I3, np.ones((4, 2))), {}, r"\(4, 2\)", True),
    ("lstsq-rank3", "lstsq", (np.ones((2, 3, 3)), np.ones((2, 3))), {}, r"rank 2", False),
    ("lstsq-b-rank3", "lstsq", (I3, np.ones((3, 1, 1))), {}, r"rank 1 or 2", False),
    ("lstsq-rows", "lstsq", (np.ones((3, 2)), np.ones(4)), {}, r"b.shape\[0\]", True),
    ("eig-complex", "eig", (np.array([[0.0, 1.0], [-1.0, 0.0]]),), {}, r"complex eigenvalues.*eigh", False),
    ("norm-bad-string", "norm", (I3,), {"ord": "bad"}, r"ord", True),
    ("norm-fro-vector", "norm", (np.ones(3),), {"ord": "fro"}, r"vector norm", True),
    ("norm-nuc-one-axis", "norm", (I3,), {"ord": "nuc", "axis": 0}, r"vector norm", True),
    ("norm-matrix-ord0", "norm", (I3,), {"ord": 0}, r"matrix norm", True),
    ("norm-matrix-ord3", "norm", (I3,), {"ord": 3, "axis": (0, 1)}, r"matrix norm", True),
    ("norm-three-axes", "norm", (np.ones((2, 3, 4)),), {"axis": (0, 1, 2)}, r"one axis.*or two", True),
    ("norm-duplicate-axes", "norm", (I3,), {"axis": (0, 0)}, r"duplicate", True),
    ("norm-rank3-ord", "norm", (np.ones((2, 3, 4)),), {"ord": 2}, r"rank 3", True),
    ("norm-axis-bounds", "norm", (I3,), {"axis": 2}, r"out of bounds", True),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_value_error(backend, case):
    _, name, args, kwargs, pattern, _ = case
    with pytest.raises(ValueError, match=pattern):
        out = getattr(O, name)(*args, **kwargs)
        O.convert_to_numpy(out if not isinstance(out, tuple) else out[0])


@pytest.mark.parametrize("case", [c for c in BAD if c[5]], ids=[c[0] for c in BAD if c[5]])
def test_keras_raises_the_same_type(case):
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    _, name, args, kwargs, _, _ = case
    with pytest.raises(ValueError):
        getattr(K, name)(*args, **kwargs)


def test_eig_with_a_real_spectrum_is_accepted(backend):
    w, v = O.eig(np.array([[2.0, 1.0], [0.0, 3.0]]))
    assert sorted(np.asarray(O.convert_to_numpy(w)).tolist()) == [2.0, 3.0]
