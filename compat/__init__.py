"""``kshim.compat``: the equivalence matrix -- a registry of op, layer and model cases run on every
installed backend in one process, compared pairwise (and against real Keras 3 when installed).

    from kshim.compat import run_matrix
    report = run_matrix(backends=["numpy", "jax", "torch"], dtypes=["float32"], filter="Dense")
"""

from .registry import Case, Unavailable, all_cases, register  # noqa: F401
from .runner import CaseResult, run_case, run_matrix  # noqa: F401
