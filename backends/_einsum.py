"""A two-operand ``einsum`` as one (batched) matrix product: the index analysis shared by the backends
that run contractions through their GEMM instead of their einsum (NumPy: ``np.einsum`` with
``optimize`` is 1.5-2.5x slower than the equivalent transposes and ``matmul`` on the contractions of
``MultiHeadAttention``; torch: ``torch.einsum`` runs a contraction without batch index as a
batch-of-one ``bmm``).

Each index of ``a,b->out`` is a *batch* index (in both inputs and the output), *contracted* (in both
inputs, not the output) or *free* (in one input and the output). ``a`` is laid out as (batch, free-a,
contracted) and ``b`` as (batch, contracted, free-b); the product is reshaped to (batch..., free-a...,
free-b...) and permuted to ``out``. Anything else -- an ellipsis, a repeated index, an index summed
out of one input alone, sizes that broadcast -- has no plan, and the backend's einsum runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod


@dataclass(frozen=True)
class MatmulPlan:
    """How to run ``a,b->out`` as ``reshape(transpose(a)) @ reshape(transpose(b))``."""

    perm_a: tuple[int, ...]  # a -> (batch, free-a, contracted)
    perm_b: tuple[int, ...]  # b -> (batch, contracted, free-b)
    dims_a: tuple[int, ...]  # positions of the contracted indices in a (for tensordot)
    dims_b: tuple[int, ...]  # ... and in b
    shape_a: tuple[int, ...]  # (batch, free-a, contracted) sizes, flattened per group
    shape_b: tuple[int, ...]  # (batch, contracted, free-b)
    result_shape: tuple[int, ...]  # (batch..., free-a..., free-b...)
    out_perm: tuple[int, ...]  # result_shape order -> out order
    n_batch: int  # number of batch indices (0: a plain contraction, one GEMM)


def plan_matmul(subscripts: str, shape_a: tuple, shape_b: tuple) -> MatmulPlan | None:
    """The plan for a two-operand einsum ``subscripts`` on operands of these shapes, or None."""
    if "->" not in subscripts or "." in subscripts:
        return None
    ins, out = subscripts.replace(" ", "").split("->")
    parts = ins.split(",")
    if len(parts) != 2:
        return None
    a, b = parts
    if len(a) != len(shape_a) or len(b) != len(shape_b):
        return None
    if len(set(a)) != len(a) or len(set(b)) != len(b) or len(set(out)) != len(out):
        return None
    batch = [c for c in a if c in b and c in out]
    contracted = [c for c in a if c in b and c not in out]
    free_a = [c for c in a if c not in b]
    free_b = [c for c in b if c not in a]
    if sorted(batch + free_a + free_b) != sorted(out):
        return None  # an index summed out of one input alone, or an output index no input has
    size: dict[str, int] = {}
    for s, shape in ((a, shape_a), (b, shape_b)):
        for c, dim in zip(s, shape):
            if size.setdefault(c, int(dim)) != int(dim):
                return None  # size mismatch or broadcasting: the backend's einsum raises or broadcasts
    result = batch + free_a + free_b

    def n(group: list) -> int:
        return prod(size[c] for c in group)

    return MatmulPlan(
        perm_a=tuple(a.index(c) for c in batch + free_a + contracted),
        perm_b=tuple(b.index(c) for c in batch + contracted + free_b),
        dims_a=tuple(a.index(c) for c in contracted),
        dims_b=tuple(b.index(c) for c in contracted),
        shape_a=(n(batch), n(free_a), n(contracted)),
        shape_b=(n(batch), n(contracted), n(free_b)),
        result_shape=tuple(size[c] for c in result),
        out_perm=tuple(result.index(c) for c in out),
        n_batch=len(batch),
    )
