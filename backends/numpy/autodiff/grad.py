"""The NumPy tape's autodiff primitive: gradients of a function of a flat list of leaves.

The pytree plumbing of ``value_and_grad`` is ``BaseBackend.value_and_grad`` (written once).
"""

from __future__ import annotations

import threading

import numpy as np
import optree

from ..._base import canonical_dtype
from .tensor import Tensor, backward, val

_state = threading.local()


def _untrace(tree):
    return optree.tree_map(val, tree, none_is_leaf=False, is_leaf=lambda x: x.__class__ is Tensor)


def value_and_grad_flat(flat_fn, leaves, check_scalar):
    """``flat_fn(traced leaves) -> (value, aux)``; returns ``(value, aux, grads)`` (see
    ``BaseBackend._value_and_grad_flat``). Nested differentiation is refused with a clear error."""
    if getattr(_state, "active", False):
        raise RuntimeError(
            "kshim numpy backend: value_and_grad called while another value_and_grad is being "
            "evaluated. Nested differentiation (grad of grad) is not supported by the NumPy "
            "tape; use the jax or torch backend for higher-order gradients."
        )
    traced = []
    for leaf in leaves:
        if leaf.__class__ is Tensor:
            raise RuntimeError(
                "kshim numpy backend: value_and_grad got an already-traced "
                "input (nested differentiation is not supported)."
            )
        traced.append(Tensor(np.asarray(leaf)))
    _state.active = True
    try:
        out, aux = flat_fn(traced)
        ov = np.asarray(val(out))
        check_scalar(ov.shape, canonical_dtype(ov.dtype) if ov.dtype.kind in "fiub" else str(ov.dtype))
        found = backward(out, np.ones((), ov.dtype)) if out.__class__ is Tensor else {}
    finally:
        _state.active = False
    grads = []
    given = set()
    for w in traced:
        arr = w.value
        g = found.get(id(w))
        if g is None:
            g = np.zeros(arr.shape, arr.dtype)
        elif g.dtype != arr.dtype or g.shape != arr.shape or not g.flags.writeable:
            g = np.array(np.broadcast_to(g, arr.shape), dtype=arr.dtype, copy=True)
        if id(g) in given:
            g = g.copy()
        given.add(id(g))
        grads.append(g)
    return ov, _untrace(aux), grads
