"""``value_and_grad`` for the NumPy tape (mirrors ``jax.value_and_grad`` over pytrees)."""
from __future__ import annotations

import functools
import threading

import numpy as np
import optree

from .tensor import _FLOAT, Tensor, backward, val

_state = threading.local()


def _untrace(tree):
    return optree.tree_map(val, tree, none_is_leaf=False,
                           is_leaf=lambda x: x.__class__ is Tensor)


def value_and_grad(fn, argnums=0, has_aux=False):
    multi = not isinstance(argnums, int)
    nums = tuple(argnums) if multi else (argnums,)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if getattr(_state, "active", False):
            raise RuntimeError(
                "kshim numpy backend: value_and_grad called while another value_and_grad is being "
                "evaluated. Nested differentiation (grad of grad) is not supported by the NumPy "
                "tape; use the jax or torch backend for higher-order gradients.")
        for i in nums:
            if i >= len(args) or i < -len(args):
                raise ValueError(f"argnums={argnums!r} out of range for {len(args)} positional args")
        args = list(args)
        specs = []
        for i in nums:
            leaves, treedef = optree.tree_flatten(args[i], is_leaf=lambda x: x.__class__ is Tensor)
            wrapped_leaves = []
            for leaf in leaves:
                if leaf.__class__ is Tensor:
                    raise RuntimeError("kshim numpy backend: value_and_grad got an already-traced "
                                       "input (nested differentiation is not supported).")
                arr = np.asarray(leaf)
                wrapped_leaves.append(Tensor(arr) if arr.dtype in _FLOAT else arr)
            specs.append((treedef, leaves, wrapped_leaves))
            args[i] = optree.tree_unflatten(treedef, wrapped_leaves)
        _state.active = True
        try:
            res = fn(*args, **kwargs)
            if has_aux:
                if not (isinstance(res, (tuple, list)) and len(res) == 2):
                    raise TypeError("value_and_grad(has_aux=True): fn must return a pair (value, aux)")
                out, aux = res
            else:
                out, aux = res, None
            ov = val(out)
            if np.ndim(ov) != 0:
                raise TypeError("value_and_grad: fn must return a scalar (shape ()) value, got shape "
                                f"{np.shape(ov)}. Reduce it first (e.g. sum or mean).")
            ov = np.asarray(ov)
            if ov.dtype not in _FLOAT:
                raise TypeError(f"value_and_grad: fn must return a float scalar, got {ov.dtype}")
            found = backward(out, np.ones((), ov.dtype)) if out.__class__ is Tensor else {}
        finally:
            _state.active = False
        grads = []
        given = set()
        for treedef, leaves, wl in specs:
            gl = []
            for leaf, w in zip(leaves, wl):
                arr = w.value if w.__class__ is Tensor else w
                g = found.get(id(w)) if w.__class__ is Tensor else None
                if g is None:
                    g = np.zeros(arr.shape, arr.dtype)
                else:
                    g = np.array(np.broadcast_to(g, arr.shape), dtype=arr.dtype, copy=True) \
                        if (g.dtype != arr.dtype or g.shape != arr.shape or not g.flags.writeable) \
                        else g
                if id(g) in given:
                    g = g.copy()
                given.add(id(g))
                gl.append(g)
            grads.append(optree.tree_unflatten(treedef, gl))
        g_out = tuple(grads) if multi else grads[0]
        if has_aux:
            return (ov, _untrace(aux)), g_out
        return ov, g_out
    return wrapped
