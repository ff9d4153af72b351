"""Control flow, autodiff and compilation for the torch backend."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import optree
import torch

from .tracing import TracedFunction


def _detach_tree(tree):
    return optree.tree_map(lambda v: v.detach() if isinstance(v, torch.Tensor) else v, tree)


class ControlMixin:
    """cond, stop_gradient, the autodiff primitive and jit (scan and value_and_grad are in BaseBackend)."""

    if TYPE_CHECKING:  # defined by the backend class and BaseBackend; declared for the type checker only

        def convert_to_tensor(self, *args: Any, **kwargs: Any) -> Any: ...
        def dtype(self, *args: Any, **kwargs: Any) -> Any: ...
        def _check_scalar_value(self, *args: Any, **kwargs: Any) -> Any: ...

    def cond(self, pred, true_fn, false_fn, *operands):
        # A 0-d tensor predicate needs one host sync (torch has no lazy cond).
        return true_fn(*operands) if bool(pred) else false_fn(*operands)

    def _unstack(self, x, n):
        return list(x.unbind(0))

    def _stack(self, xs):
        return torch.stack(xs)

    def stop_gradient(self, x):
        return x.detach()

    def _value_and_grad_flat(self, flat_fn, leaves):
        leaves = [leaf.detach().requires_grad_(True) for leaf in leaves]
        with torch.enable_grad():
            value, aux = flat_fn(leaves)
            if not isinstance(value, torch.Tensor):
                value = self.convert_to_tensor(value)
            self._check_scalar_value(tuple(value.shape), self.dtype(value))
            if leaves and value.requires_grad:
                raw = torch.autograd.grad(value, leaves, allow_unused=True)
            else:
                raw = [None] * len(leaves)
        grads = [torch.zeros_like(leaf) if r is None else r for leaf, r in zip(leaves, raw)]
        return value.detach(), _detach_tree(aux), grads

    def jit(self, fn, donate_argnums=(), static_argnums=()):
        """Trace-and-replay (``tracing.TracedFunction``); ``KSHIM_TORCH_JIT=0`` keeps ``fn`` eager and
        ``KSHIM_TORCH_COMPILE=1`` uses ``torch.compile`` instead."""
        if os.environ.get("KSHIM_TORCH_COMPILE") == "1":
            return torch.compile(fn)
        if os.environ.get("KSHIM_TORCH_JIT", "1") == "0":
            return fn
        return TracedFunction(fn)
