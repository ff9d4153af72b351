"""Function transforms of ``keras.ops``: ``custom_gradient``, ``jvp``, ``map``, ``vectorized_map``,
``associative_scan``.

Pytrees are flattened here (with ``optree``, as everywhere in kshim); the backends see flat lists of
tensors (``custom_gradient``/``jvp`` hooks in ``backends/<name>/transforms.py``).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

import optree

from .. import dtypes as _dt
from ..backend import current
from ..variables import Variable
from ._dispatch import dtype_of, norm_axis, shape_of, tensor

__all__ = ["custom_gradient", "jvp", "map", "vectorized_map", "associative_scan"]


def _flatten(tree: Any) -> tuple:
    return optree.tree_flatten(tree, none_is_leaf=False, namespace="kshim")


def _unvariable(tree: Any) -> Any:
    return optree.tree_map(
        lambda v: v.value if isinstance(v, Variable) else v,
        tree,
        is_leaf=lambda v: isinstance(v, Variable),
        none_is_leaf=False,
        namespace="kshim",
    )


def _as_leaf(x: Any) -> Any:
    """Array-likes become tensors of the active backend; Python numbers stay Python numbers."""
    if isinstance(x, (bool, int, float)) or current().is_tensor(x):
        return x
    return tensor(x)


# ---- custom_gradient -------------------------------------------------------------------------
def _call_grad_fn(grad_fn: Callable, args: tuple, upstream: Any) -> Any:
    """Call the user's gradient function in whichever of Keras' documented forms it is written:
    ``grad(upstream)`` (JAX/TensorFlow form) or ``grad(*args, upstream)`` with ``upstream``
    keyword-only (the torch form and Keras' backend-agnostic ``grad(*args, upstream=None)``)."""
    try:
        sig = inspect.signature(grad_fn)
    except (TypeError, ValueError):
        return grad_fn(upstream)
    up = sig.parameters.get("upstream")
    if up is not None and up.kind is inspect.Parameter.KEYWORD_ONLY:
        return grad_fn(*args, upstream=upstream)
    return grad_fn(upstream)


def _count(tree: Any) -> int:
    return len(optree.tree_flatten(tree, is_leaf=lambda v: v is None, none_is_leaf=True, namespace="kshim")[0])


def _grads_per_leaf(grads: Any, args: tuple, leaves: list) -> list:
    """One cotangent (or None) per flattened input leaf, cast to the leaf's dtype, shape-checked."""
    n = len(args)
    if n == 1:
        one = isinstance(grads, (tuple, list)) and len(grads) == 1
        per_arg = [grads[0]] if one and _count(grads[0]) == _count(args[0]) else [grads]
    elif isinstance(grads, (tuple, list)) and len(grads) == n:
        per_arg = list(grads)
    else:
        got = len(grads) if isinstance(grads, (tuple, list)) else 1
        raise ValueError(
            f"custom_gradient: the gradient function returned {got} gradient(s) for {n} "
            f"inputs; return a tuple with one gradient (or None) per positional input."
        )
    out: list[Any] = []
    for a, g in zip(args, per_arg):
        a_leaves = _flatten(a)[0]
        if g is None:
            out.extend([None] * len(a_leaves))
            continue
        g_leaves = optree.tree_flatten(g, is_leaf=lambda v: v is None, none_is_leaf=True, namespace="kshim")[0]
        if len(g_leaves) != len(a_leaves):
            raise ValueError(
                f"custom_gradient: a gradient has {len(g_leaves)} tensor(s) but its input has "
                f"{len(a_leaves)}; return gradients with the structure of the inputs."
            )
        out.extend(g_leaves)
    res: list[Any] = []
    for leaf, g in zip(leaves, out):
        if g is None or isinstance(leaf, (bool, int, float)) or not _dt.is_float(dtype_of(leaf)):
            res.append(None)
            continue
        g = tensor(g, dtype_of(leaf))
        if tuple(shape_of(g)) != tuple(shape_of(leaf)):
            raise ValueError(
                f"custom_gradient: a gradient has shape {tuple(shape_of(g))} but its input has "
                f"shape {tuple(shape_of(leaf))}; return one gradient per input, of the input's shape."
            )
        res.append(g)
    return res


def custom_gradient(f: Callable) -> Callable:
    """Decorator to define a function with a custom gradient.

    ``f(*args)`` returns ``(output, grad_fn)``; the decorated function returns ``output`` and, when
    differentiated, uses ``grad_fn`` instead of differentiating ``f``'s operations. ``grad_fn`` may
    be written in any of Keras' documented forms, on every kshim backend:
    ``grad_fn(upstream)`` (Keras' JAX/TensorFlow form; ``upstream`` has the structure of
    ``output``), or ``grad_fn(*args, upstream)`` with ``upstream`` keyword-only (Keras' torch form
    and its backend-agnostic ``grad_fn(*args, upstream=None)``). It returns one gradient per
    positional input (a tuple, or a single tensor for a single input; ``None`` means zero), with
    the input's shape. Gradients never flow through ``f``'s own operations, nor to tensors ``f``
    closes over (as with ``torch.autograd.Function``); keyword arguments are not differentiated.

    Args:
        f: Function ``f(*args, **kwargs) -> (output, grad_fn)``; ``args`` are (nested structures
            of) tensors, ``output`` a (nested structure of) tensor(s).

    Returns:
        A function ``h(*args, **kwargs)`` with the value of ``f(*args)[0]`` and the gradient given by
        ``grad_fn``.

    Raises:
        TypeError: ``f`` does not return an ``(output, grad_fn)`` pair.
        ValueError: ``grad_fn`` returns the wrong number or shapes of gradients.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        b = current()
        args = _unvariable(args)
        leaves, treedef = _flatten(list(args))
        leaves = [_as_leaf(v) for v in leaves]
        state: dict = {}

        def flat_f(*lv):
            a = tuple(optree.tree_unflatten(treedef, list(lv)))
            res = f(*a, **kwargs)
            if not (isinstance(res, (tuple, list)) and len(res) == 2 and callable(res[1])):
                raise TypeError(
                    f"custom_gradient: {getattr(f, '__name__', f)!r} must return a pair "
                    f"(output, grad_fn), got {type(res).__name__}."
                )
            out, grad_fn = res
            out_leaves, out_tree = _flatten(out)
            state["tree"] = out_tree

            def vjp(cts):
                upstream = optree.tree_unflatten(out_tree, list(cts))
                return _grads_per_leaf(_call_grad_fn(grad_fn, a, upstream), a, list(lv))

            return [tensor(o) for o in out_leaves], vjp

        outs = b.custom_gradient(flat_f)(*leaves)
        return optree.tree_unflatten(state["tree"], list(outs))

    return wrapper


# ---- jvp -----------------------------------------------------------------------------------
def jvp(fun: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """Forward-mode Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``.

    Exact on every backend: ``jax.jvp`` on jax, ``torch.func.jvp`` on torch; the NumPy tape has
    no forward mode, so there it sweeps the recorded graph backwards once per output element
    (exact, but its cost grows with the output size; see ``backends/numpy/transforms.py``).
    A float tangent is cast to its primal's dtype (jax would raise on a mismatch).

    Args:
        fun: Function of ``len(primals)`` positional (nested structures of) tensors, returning a
            (nested structure of) tensor(s); with ``has_aux``, a pair ``(output, aux)``.
        primals: Tuple or list of the arguments at which to evaluate.
        tangents: Tuple or list with the structure and shapes of ``primals``.
        has_aux: Whether ``fun`` returns ``(output, aux)``.

    Returns:
        ``(primals_out, tangents_out)``, or ``(primals_out, tangents_out, aux)`` with ``has_aux``;
        ``tangents_out`` has the structure and shapes of ``primals_out``.

    Raises:
        TypeError: ``primals``/``tangents`` are not tuples or lists, or ``fun`` does not return a
            pair with ``has_aux``.
        ValueError: ``tangents`` do not match ``primals`` in structure or shapes.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists of arguments, e.g. jvp(fun, (x,), (v,)).")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents; pass one tangent per primal.")
    p_leaves, p_tree = _flatten(_unvariable(list(primals)))
    t_leaves, t_tree = _flatten(_unvariable(list(tangents)))
    if p_tree != t_tree:
        raise ValueError(f"jvp: tangents must have the tree structure of primals; got {t_tree} for {p_tree}.")
    p_leaves = [tensor(p) for p in p_leaves]
    ts = []
    for p, t in zip(p_leaves, t_leaves):
        dp = dtype_of(p)
        t = tensor(t, dp if _dt.is_float(dp) else None)
        if tuple(shape_of(t)) != tuple(shape_of(p)):
            raise ValueError(
                f"jvp: a tangent has shape {tuple(shape_of(t))} but its primal has shape {tuple(shape_of(p))}."
            )
        ts.append(t)
    state: dict = {}

    def flat_fun(*lv):
        res = fun(*optree.tree_unflatten(p_tree, list(lv)))
        aux = None
        if has_aux:
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError("jvp(has_aux=True): fun must return a pair (output, aux).")
            res, aux = res
        out_leaves, out_tree = _flatten(res)
        state["tree"] = out_tree
        out_leaves = [tensor(o) for o in out_leaves]
        return (out_leaves, aux) if has_aux else out_leaves

    res = current().jvp(flat_fun, p_leaves, ts, has_aux)
    p_out = optree.tree_unflatten(state["tree"], list(res[0]))
    t_out = optree.tree_unflatten(state["tree"], list(res[1]))
    return (p_out, t_out, res[2]) if has_aux else (p_out, t_out)


# ---- map / vectorized_map --------------------------------------------------------------------
def map(f: Callable, xs: Any) -> Any:  # noqa: A001  (keras.ops.map)
    """Applies ``f`` to each slice of ``xs`` along its leading axis and stacks the results.

    Sequential, like ``jax.lax.map`` (one ``scan`` step per slice), and differentiable.

    Args:
        f: Function of one (nested structure of) tensor slice(s).
        xs: A tensor or nested structure of tensors sharing a leading axis.

    Returns:
        The stacked results of ``f``, with the structure ``f`` returns.

    Raises:
        ValueError: the leaves of ``xs`` differ in their leading size.
    """
    leaves, tree = _flatten(xs)
    leaves = [tensor(v) for v in leaves]
    _leading(leaves, "map")
    _, ys = current().scan(lambda c, x: (c, f(x)), (), optree.tree_unflatten(tree, leaves))
    return ys


def vectorized_map(function: Callable, elements: Any) -> Any:
    """Parallel map of ``function`` over the leading axis of ``elements``.

    ``function`` receives one slice (with the structure of ``elements``). kshim has no ``vmap``
    transform in its protocol: the slices run one ``scan`` step each, which gives the same values
    as Keras' ``vmap`` (every backend; differentiable; compiled once under ``jax.jit``).

    Args:
        function: Function of one (nested structure of) tensor slice(s).
        elements: A tensor or nested structure of tensors sharing a leading axis.

    Returns:
        The stacked results of ``function``.

    Raises:
        ValueError: the leaves of ``elements`` differ in their leading size.
    """
    return map(function, elements)


def _leading(leaves: list, what: str) -> int:
    sizes = {tuple(shape_of(v))[:1] for v in leaves}
    if () in sizes:
        raise ValueError(f"{what}: every input needs a leading axis to map over; got a 0-d tensor.")
    if len(sizes) > 1:
        raise ValueError(f"{what}: the inputs differ in their leading size ({sorted(s[0] for s in sizes)}).")
    return sizes.pop()[0] if sizes else 0


# ---- associative_scan ------------------------------------------------------------------------
def _sl(x: Any, ax: int, start: int | None, stop: int | None, step: int = 1) -> Any:
    return current().getitem(x, (slice(None),) * ax + (slice(start, stop, step),))


def _interleave(even: Any, odd: Any, ax: int) -> Any:
    """``[e0, o0, e1, o1, ...]`` along ``ax``; ``even`` may be one longer than ``odd``."""
    b = current()
    ne, no = b.shape(even)[ax], b.shape(odd)[ax]
    tail = None
    if ne == no + 1:
        even, tail = _sl(even, ax, 0, no), _sl(even, ax, no, ne)
    shp = tuple(b.shape(odd))
    ex = shp[: ax + 1] + (1,) + shp[ax + 1 :]
    both = b.concatenate([b.reshape(even, ex), b.reshape(odd, ex)], ax + 1)
    out = b.reshape(both, shp[:ax] + (2 * no,) + shp[ax + 1 :])
    return out if tail is None else b.concatenate([out, tail], ax)


def associative_scan(f: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Inclusive scan with an associative binary operation, computed in parallel.

    Returns ``[a0, f(a0, a1), f(f(a0, a1), a2), ...]`` along ``axis`` using the recursive
    odd/even (Blelloch-style) scheme ``jax.lax.associative_scan`` uses, so the bracketing -- and
    thus floating-point rounding -- matches Keras on JAX. ``reverse=True`` flips ``axis``, scans,
    and flips back (as JAX does).

    Args:
        f: Associative ``f(a, b) -> r`` over (nested structures of) tensors shaped like ``elems``
            with any size along ``axis``; applied elementwise along ``axis``.
        elems: A tensor or nested structure of tensors with a common size along ``axis``.
        reverse: Scan from the end of ``axis``.
        axis: The axis to scan over.

    Returns:
        Tensors with the structure and shapes of ``elems``.

    Raises:
        ValueError: the leaves of ``elems`` differ in their size along ``axis``, or ``f`` returns a
            different structure.
    """
    b = current()
    leaves, tree = _flatten(elems)
    leaves = [tensor(v) for v in leaves]
    if not leaves:
        return elems
    ax = norm_axis(axis, len(b.shape(leaves[0])))
    sizes: set[Any] = {b.shape(v)[ax] if len(b.shape(v)) > ax else None for v in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"associative_scan: every element needs the same size along axis {axis}; got "
            f"shapes {[tuple(b.shape(v)) for v in leaves]}."
        )
    n = sizes.pop()  # not None: checked above

    def combine(a: list, c: list) -> list:
        out = f(optree.tree_unflatten(tree, a), optree.tree_unflatten(tree, c))
        ol = _flatten(out)[0]
        if len(ol) != len(a):
            raise ValueError(
                f"associative_scan: f returned {len(ol)} tensor(s) for inputs of {len(a)}; it "
                f"must return the structure of elems."
            )
        return [tensor(o) for o in ol]

    def scan_(xs: list, m: int) -> list:
        if m < 2:
            return xs
        red = combine([_sl(x, ax, 0, m - 1, 2) for x in xs], [_sl(x, ax, 1, m, 2) for x in xs])
        k = m // 2
        odd = scan_(red, k)
        if m % 2 == 0:
            rest = combine([_sl(o, ax, 0, k - 1) for o in odd], [_sl(x, ax, 2, m, 2) for x in xs]) if k > 1 else None
        else:
            rest = combine(odd, [_sl(x, ax, 2, m, 2) for x in xs])
        even = [_sl(x, ax, 0, 1) for x in xs]
        if rest is not None:
            even = [b.concatenate([e, r], ax) for e, r in zip(even, rest)]
        return [_interleave(e, o, ax) for e, o in zip(even, odd)]

    if reverse:
        leaves = [_sl(v, ax, None, None, -1) for v in leaves]
    out = scan_(leaves, n)
    if reverse:
        out = [_sl(v, ax, None, None, -1) for v in out]
    return optree.tree_unflatten(tree, out)
