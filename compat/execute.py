"""Helpers the cases use to run under one backend and read results back with its own ``to_numpy``."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import optree

from .. import dtypes as _dt


def leaves(tree: Any) -> list:
    return optree.tree_leaves(tree, none_is_leaf=False, namespace="kshim")


def to_host(b: Any, x: Any) -> Any:
    """One leaf -> NumPy (through backend ``b``'s own ``to_numpy``) or a plain Python value."""
    from ..variables import Variable

    if isinstance(x, Variable):
        x = x.value
    if b.is_tensor(x):
        return np.asarray(b.to_numpy(x))
    if isinstance(x, (np.ndarray, np.generic, bool, int, float)):
        return np.asarray(x)
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (str, bytes)):
        # a tensor that is not this backend's: never convert it through another library
        raise TypeError(f"Result of type {type(x).__name__} is not a {b.name} tensor.")
    return x  # strings, dtypes names, tuples of ints (shapes) ...


def flat(b: Any, prefix: str, tree: Any) -> dict:
    """Flatten a pytree of results into ``{prefix/i: host value}``."""
    if isinstance(tree, (tuple, list)) and tree and all(isinstance(t, int) for t in tree):
        return {f"{prefix}/0": np.asarray(tree)}  # a shape
    ls = leaves(tree)
    if not isinstance(tree, (list, tuple, dict)) and len(ls) == 1:
        return {prefix: to_host(b, ls[0])}
    return {f"{prefix}/{i}": to_host(b, leaf) for i, leaf in enumerate(ls)}


def is_float_tensor(b: Any, x: Any) -> bool:
    return b.is_tensor(x) and _dt.is_float(b.dtype(x))


def cotangents(b: Any, outputs: Any, seed: int) -> list:
    """Fixed random weights (one per float output leaf) so that ``sum(w * out)`` has a rich VJP."""
    rng = np.random.default_rng(seed)
    out = []
    for leaf in leaves(outputs):
        if is_float_tensor(b, leaf):
            shape = tuple(b.shape(leaf))
            out.append(b.convert_to_tensor(rng.standard_normal(shape).astype(b.dtype(leaf))))
        else:
            out.append(None)
    return out


def weighted_sum(b: Any, outputs: Any, ws: list) -> Any:
    from .. import ops

    total = None
    for leaf, w in zip(leaves(outputs), ws):
        if w is None:
            continue
        term = ops.sum(ops.multiply(leaf, w))
        total = term if total is None else ops.add(total, ops.cast(term, ops.dtype(total)))
    return total


def grad_tree(b: Any, fn: Callable, args: Sequence, argnums: Sequence[int], outputs: Any, seed: int) -> Any:
    """Raw gradients ``d sum(w * fn(*args)) / d args[argnums]`` (a tuple) or None."""
    argnums = tuple(argnums)
    if not argnums:
        return None
    ws = cotangents(b, outputs, seed)
    if all(w is None for w in ws):
        return None

    def loss(*a):
        return weighted_sum(b, fn(*a), ws)

    return tuple(b.value_and_grad(loss, argnums=argnums)(*args)[1])


def flat_grads(b: Any, argnums: Sequence[int], g: Any, prefix: str = "grad") -> dict:
    res: dict = {}
    if g is not None:
        for i, gi in zip(argnums, g):
            res.update(flat(b, f"{prefix}/arg{i}", gi))
    return res


def grads(
    b: Any, fn: Callable, args: Sequence, argnums: Sequence[int], outputs: Any, seed: int, prefix: str = "grad"
) -> dict:
    """``d sum(w * fn(*args)) / d args[argnums]`` through ``b.value_and_grad``, flattened."""
    return flat_grads(b, argnums, grad_tree(b, fn, args, argnums, outputs, seed), prefix)


def run_compiled(b: Any, fn: Callable, args: Sequence) -> Any:
    """``fn(*args)``; on JAX as one jitted program over the tensor arguments (one XLA compile per
    case instead of one per primitive and shape -- the same thing the trainer does on JAX), falling
    back to eager for functions that return host values (shapes, dtypes)."""
    if b.name != "jax":
        return fn(*args)
    pos = [i for i, a in enumerate(args) if b.is_tensor(a)]

    def inner(*tensors):
        full = list(args)
        for i, t in zip(pos, tensors):
            full[i] = t
        return fn(*full)

    try:
        return b.jit(inner)(*[args[i] for i in pos])
    except Exception:  # noqa: BLE001 - not traceable (host values): run eagerly
        return fn(*args)
