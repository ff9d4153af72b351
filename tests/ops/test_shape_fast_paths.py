"""Fast paths that move or contract numbers the same way as the composites they replace:

* ``ops.split`` through the backends' optional ``split_at`` primitive (JAX ``lax.split``, torch
  ``split_with_sizes``; NumPy keeps one slice per part) equals the slicing composite exactly -- values
  and gradients (a split moves numbers, it computes none) -- and falls back to the composite for negative
  or decreasing indices, whose NumPy meaning (Python slicing) the primitive does not have;
* the torch backend's einsum runs plain contractions as ``tensordot``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from kshim import ops

N = ops.convert_to_numpy
X = np.arange(2 * 12 * 3, dtype="float64").reshape(2, 12, 3) / 7.0
CASES = {"sections": (4, 1), "indices": ([2, 2, 7], 1), "last-axis": (3, -1), "ends": ([0, 12], 1)}


@contextlib.contextmanager
def composite_only(backend):
    backend.split_at = None
    try:
        yield
    finally:
        del backend.split_at


def _parts_and_grad(backend, spec, axis):
    x = ops.convert_to_tensor(X)
    parts = [N(p) for p in ops.split(x, spec, axis=axis)]

    def f(x):  # a different weight per part: the gradient shows which element went where
        return sum(ops.sum(ops.sin(p) * (i + 1.0)) for i, p in enumerate(ops.split(x, spec, axis=axis)))
    _, grad = backend.value_and_grad(f)(x)
    return parts, N(grad)


def test_hook_presence(backend):
    assert (backend.split_at is None) == (backend.name == "numpy")


@pytest.mark.parametrize("case", list(CASES))
def test_split_hook_equals_composite(backend, case):
    spec, axis = CASES[case]
    fused, gf = _parts_and_grad(backend, spec, axis)
    with composite_only(backend):
        comp, gc = _parts_and_grad(backend, spec, axis)
    ref = np.split(X, spec, axis=axis)
    assert [p.shape for p in fused] == [p.shape for p in comp] == [r.shape for r in ref]
    for a, b, r in zip(fused, comp, ref):
        np.testing.assert_array_equal(a, r)
        np.testing.assert_array_equal(b, r)
    np.testing.assert_array_equal(gf, gc)


@pytest.mark.parametrize("spec", [[-4], [7, 3]])
def test_python_slice_indices_take_the_composite(backend, spec):
    calls = []
    orig = backend.split_at
    if orig is not None:
        backend.split_at = lambda *a: calls.append(a) or orig(*a)
    try:
        parts = [N(p) for p in ops.split(ops.convert_to_tensor(X), spec, axis=1)]
    finally:
        if orig is not None:
            del backend.split_at
    assert not calls
    for a, r in zip(parts, np.split(X, spec, axis=1)):
        np.testing.assert_array_equal(a, r)


EINSUMS = ["abc,cde->abde", "abcd,cde->abe", "ij,kj->ik", "ij,jk->ki", "abcd,bd->ac", "abc,bc->a", "ab,ab->",
           "abc,cde->deab", "ab,cd->abcd", "abc,abd->acd", "ij,ij->ij", "aecd,abcd->acbe"]


@pytest.mark.parametrize("subscripts", EINSUMS)
def test_torch_einsum_contractions_as_tensordot(subscripts):
    """The torch backend runs a plain two-operand contraction (no batch index) as ``tensordot`` (``mm``,
    ~1.8x faster than ``torch.einsum``'s batch-of-one ``bmm`` on CPU); values and gradients equal NumPy's
    einsum at float64 rounding (sums of <= 5 products of O(1) terms: 1e-13 is ~100 ulp of margin)."""
    torch = pytest.importorskip("torch")
    import kshim
    from kshim import backends
    from kshim.backends.torch.backend import _einsum_as_tensordot

    ins = subscripts.split("->")[0].split(",")
    rng = np.random.default_rng(len(subscripts))
    sizes = {c: int(rng.integers(2, 5)) for c in "".join(ins)}
    arrs = [rng.standard_normal([sizes[c] for c in s]) for s in ins]
    b = backends.get("torch")
    with kshim.backend.use(b):
        ts = [torch.tensor(a, requires_grad=True) for a in arrs]
        out = b.einsum(subscripts, *ts)
        out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), np.einsum(subscripts, *arrs), rtol=1e-13, atol=1e-13)
    # d(sum(out))/da = einsum of ones(out) with b over the output's indices into a's
    out_sub = subscripts.split("->")[1]
    ones = np.ones([sizes[c] for c in out_sub])
    ref_ga = np.einsum(f"{out_sub},{ins[1]}->{ins[0]}", ones, arrs[1])
    np.testing.assert_allclose(ts[0].grad.numpy(), ref_ga, rtol=1e-13, atol=1e-13)
    fast = _einsum_as_tensordot(subscripts, tuple(ts)) is not None
    assert fast == (subscripts in EINSUMS[:8])


# contractions with a batch index as well: attention's scores and combination, a batched matmul
PLANNED = EINSUMS[:8] + ["abc,abd->acd", "aecd,abcd->acbe", "acbe,aecd->abcd", "abij,abjk->abik"]


@pytest.mark.parametrize("subscripts", PLANNED + ["ab,cd->abcd", "ij,ij->ij", "ii,i->i", "ab,bc->c", "...j,jk->...k"])
def test_einsum_values_and_gradients_every_backend(backend, subscripts):
    """``ops.einsum`` (NumPy: transposes and one ``matmul`` where ``backends/_einsum.py`` has a plan) equals
    ``np.einsum``, with both gradients, at float64 rounding (1e-13: sums of <= 5 products of O(1) terms)."""
    from kshim.backends._einsum import plan_matmul

    ins = subscripts.split("->")[0].split(",")
    rng = np.random.default_rng(sum(map(ord, subscripts)))
    sizes = {c: int(rng.integers(2, 5)) for c in "".join(ins).replace(".", "")}
    shapes = [[sizes[c] for c in s.replace("...", "")] for s in ins]
    if "..." in subscripts:
        shapes[0] = [3, *shapes[0]]
    arrs = [rng.standard_normal(s) for s in shapes]
    out_ref = np.einsum(subscripts, *arrs)
    w = rng.standard_normal(out_ref.shape)
    wt = ops.convert_to_tensor(w)

    def f(x, y):
        return ops.sum(ops.einsum(subscripts, x, y) * wt)

    xs = [ops.convert_to_tensor(a) for a in arrs]
    np.testing.assert_allclose(N(ops.einsum(subscripts, *xs)), out_ref, rtol=1e-13, atol=1e-13)
    _, (ga, gb) = backend.value_and_grad(f, argnums=(0, 1))(*xs)
    out_sub = subscripts.split("->")[1]
    if "..." not in subscripts and len(set(ins[0])) == len(ins[0]) and set(ins[0]) <= set(out_sub + ins[1]):
        ref = np.einsum(f"{out_sub},{ins[1]}->{ins[0]}", w, arrs[1])
        np.testing.assert_allclose(N(ga), ref, rtol=1e-13, atol=1e-13)
    if "..." not in subscripts and len(set(ins[1])) == len(ins[1]) and set(ins[1]) <= set(out_sub + ins[0]):
        ref = np.einsum(f"{out_sub},{ins[0]}->{ins[1]}", w, arrs[0])
        np.testing.assert_allclose(N(gb), ref, rtol=1e-13, atol=1e-13)
    plan = plan_matmul(subscripts, tuple(shapes[0]), tuple(shapes[1]))
    assert (plan is not None and bool(plan.dims_a)) == (subscripts in PLANNED)


def test_numpy_einsum_routes_planned_contractions_to_matmul():
    """On NumPy a planned float contraction never reaches ``np.einsum``; integer operands and
    unplanned subscripts still do."""
    from kshim import backends

    b = backends.get("numpy")
    x, y = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    seen = []
    orig = np.einsum
    try:
        np.einsum = lambda *a, **k: seen.append(a[0]) or orig(*a, **k)
        b.einsum("abc,acd->abd", x, y)
        b.einsum("abc,acd->abd", x.astype(int), y.astype(int))
        b.einsum("ij,ij->ij", x[0], x[0])
    finally:
        np.einsum = orig
    assert seen == ["abc,acd->abd", "ij,ij->ij"]
