"""Function-transform primitives of the numpy backend: custom gradients, forward mode
(declared in ``backends/_protocol.py``).

``custom_gradient`` records one tape node whose VJP is the user's gradient function.
``jvp`` is exact reverse-mode arithmetic, not finite differences: the NumPy tape's VJP closures
compute on raw arrays, so a VJP cannot itself be differentiated (the double-VJP trick is not
available). Instead the function is traced once and the graph is swept backwards once per output
element ``k`` with the unit cotangent ``e_k``; that gives row ``k`` of the Jacobian, and
``(J t)_k = <row_k, t>``. The cost is ``size(outputs)`` reverse sweeps over one recorded graph,
which is fine for the small functions forward mode is typically used on here; prefer the jax or
torch backend (true forward mode) for large outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import optree

from .autodiff import grad as _grad_mod
from .autodiff.tensor import _FLOAT, Tensor, make, val


def _is_traced(x: Any) -> bool:
    return x.__class__ is Tensor


def _topo(outs: Sequence[Tensor]) -> list:
    """Nodes reachable from ``outs`` in topological order (inputs first)."""
    order, seen = [], set()
    stack = [(o, False) for o in outs]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        for p in t.parents:
            if p.__class__ is Tensor and id(p) not in seen:
                stack.append((p, False))
    return order


def _sweep(order: list, out: Tensor, seed: np.ndarray, wanted: set) -> dict:
    """One reverse pass from ``out`` with cotangent ``seed`` over the nodes in ``order``, keeping
    the graph (unlike ``autodiff.tensor.backward``). Returns ``{id(leaf): grad}`` for ``wanted``."""
    grads = {id(out): seed}
    found: dict[int, Any] = {}
    for t in reversed(order):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        if id(t) in wanted:
            prev = found.get(id(t))
            found[id(t)] = g if prev is None else prev + g
        if t.vjp is None:
            continue
        for p, pg in zip(t.parents, t.vjp(g)):
            if pg is None or p.__class__ is not Tensor:
                continue
            prev = grads.get(id(p))
            grads[id(p)] = pg if prev is None else prev + pg
    return found


class TransformsMixin:
    """Custom-gradient and forward-mode hooks; mixed into the backend class."""

    if TYPE_CHECKING:  # protocol primitives of the backend class; declared for the type checker only

        def reshape(self, *args: Any, **kwargs: Any) -> Any: ...
        def getitem(self, *args: Any, **kwargs: Any) -> Any: ...
        def cast(self, *args: Any, **kwargs: Any) -> Any: ...
        def dtype(self, *args: Any, **kwargs: Any) -> Any: ...

    def custom_gradient(self, f: Callable) -> Callable:
        """See ``backends/_protocol.py``: one tape node whose VJP calls ``f``'s gradient function.

        ``f`` runs on the untraced values of its inputs, so no gradient flows through its
        internals (as in torch's ``autograd.Function``). Several float outputs are packed into one
        flat node so that the gradient function sees every output's cotangent at once.
        """

        def h(*leaves):
            raw = [val(x) for x in leaves]
            outs, vjp = f(*raw)
            outs = [np.asarray(val(o)) for o in outs]
            parents = tuple(x for x in leaves if _is_traced(x))
            diff = [i for i, o in enumerate(outs) if o.dtype in _FLOAT]
            if not parents or not diff:
                return outs
            traced_pos = [i for i, x in enumerate(leaves) if _is_traced(x)]

            def node_vjp(cts: dict) -> tuple:
                full = [cts[i] if i in cts else np.zeros(o.shape, o.dtype) for i, o in enumerate(outs)]
                gs = vjp(full)
                res = []
                for i in traced_pos:
                    g = gs[i]
                    res.append(None if g is None else np.asarray(val(g)))
                return tuple(res)

            result = list(outs)
            if len(diff) == 1:
                i = diff[0]
                result[i] = make(outs[i], parents, lambda g: node_vjp({i: g}))
                return result
            dt = np.result_type(*[outs[i].dtype for i in diff])
            sizes = [outs[i].size for i in diff]
            bounds = np.cumsum([0] + sizes)
            flat = np.concatenate([outs[i].reshape(-1).astype(dt) for i in diff])

            def packed_vjp(g):
                cts = {
                    i: g[bounds[j] : bounds[j + 1]].reshape(outs[i].shape).astype(outs[i].dtype)
                    for j, i in enumerate(diff)
                }
                return node_vjp(cts)

            packed = make(flat, parents, packed_vjp)
            for j, i in enumerate(diff):
                piece = self.reshape(self.getitem(packed, (slice(int(bounds[j]), int(bounds[j + 1])),)), outs[i].shape)
                result[i] = self.cast(piece, self.dtype(outs[i]))
            return result

        return h

    def jvp(self, fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> tuple:
        """See ``backends/_protocol.py``. Exact: one reverse sweep per output element (module doc)."""
        if getattr(_grad_mod._state, "active", False):
            raise RuntimeError(
                "kshim numpy backend: jvp called inside value_and_grad (or another jvp). Nested "
                "differentiation is not supported by the NumPy tape; use the jax or torch backend "
                "for higher-order derivatives."
            )
        if any(_is_traced(p) for p in primals):
            raise RuntimeError(
                "kshim numpy backend: jvp got an already-traced primal (nested "
                "differentiation is not supported by the NumPy tape)."
            )
        wrapped = [Tensor(np.asarray(p)) if np.asarray(p).dtype in _FLOAT else p for p in primals]
        _grad_mod._state.active = True
        try:
            res = fun(*wrapped)
            if has_aux:
                outs, aux = res
            else:
                outs, aux = res, None
            outs = list(outs)
            traced = [o for o in outs if _is_traced(o)]
            order = _topo(traced)
            wanted = {id(w) for w in wrapped if _is_traced(w)}
            pairs = [(w, np.asarray(t)) for w, t in zip(wrapped, tangents) if _is_traced(w)]
            t_out = []
            for o in outs:
                ov = np.asarray(val(o))
                if not _is_traced(o):
                    t_out.append(np.zeros(ov.shape, ov.dtype))
                    continue
                acc = np.zeros(ov.size, np.float64)
                for k in range(ov.size):
                    seed = np.zeros(ov.size, ov.dtype)
                    seed[k] = 1
                    found = _sweep(order, o, seed.reshape(ov.shape), wanted)
                    s = 0.0
                    for w, t in pairs:
                        g = found.get(id(w))
                        if g is not None:
                            s += float(np.sum(np.broadcast_to(g, t.shape).astype(np.float64) * t))
                    acc[k] = s
                t_out.append(acc.reshape(ov.shape).astype(ov.dtype))
        finally:
            _grad_mod._state.active = False
        out_vals = [np.asarray(val(o)) for o in outs]
        if has_aux:
            aux = optree.tree_map(val, aux, is_leaf=_is_traced, none_is_leaf=False)
            return out_vals, t_out, aux
        return out_vals, t_out
