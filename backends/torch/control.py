"""Control flow, autodiff and compilation for the torch backend."""
from __future__ import annotations

import os

import optree
import torch

from .tracing import TracedFunction


def _detach_tree(tree):
    return optree.tree_map(lambda v: v.detach() if isinstance(v, torch.Tensor) else v, tree)


class ControlMixin:
    """cond, scan, stop_gradient, value_and_grad, jit."""

    def cond(self, pred, true_fn, false_fn, *operands):
        # A 0-d tensor predicate needs one host sync (torch has no lazy cond).
        return true_fn(*operands) if bool(pred) else false_fn(*operands)

    def scan(self, f, init, xs=None, length=None, reverse=False):
        if xs is None:
            x_leaves, x_spec = [], None
        else:
            x_leaves, x_spec = optree.tree_flatten(xs)
        if x_leaves:
            n = x_leaves[0].shape[0]
            if length is not None and int(length) != n:
                raise ValueError(f"scan: length={length} but xs have leading size {n}")
        elif length is None:
            raise ValueError("scan: give xs or length")
        else:
            n = int(length)
        slices = [leaf.unbind(0) for leaf in x_leaves]
        order = range(n - 1, -1, -1) if reverse else range(n)
        carry = init
        ys = []
        for t in order:
            x = optree.tree_unflatten(x_spec, [s[t] for s in slices]) if x_spec is not None else None
            carry, y = f(carry, x)
            ys.append(y)
        if n == 0:
            # Trace f once on zeros to learn the ys structure, then return empty stacks.
            x = None
            if x_spec is not None:
                x = optree.tree_unflatten(x_spec, [torch.zeros(leaf.shape[1:], dtype=leaf.dtype,
                                                               device=leaf.device) for leaf in x_leaves])
            _, y = f(init, x)
            y_leaves, y_spec = optree.tree_flatten(y)
            return init, optree.tree_unflatten(
                y_spec, [torch.zeros((0, *v.shape), dtype=v.dtype, device=v.device) for v in y_leaves])
        if reverse:
            ys.reverse()
        flat = [optree.tree_flatten(y) for y in ys]
        y_spec = flat[0][1]
        stacked = [torch.stack(col) for col in zip(*(leaves for leaves, _ in flat))]
        return carry, optree.tree_unflatten(y_spec, stacked)

    def stop_gradient(self, x):
        return x.detach()

    def value_and_grad(self, fn, argnums=0, has_aux=False):
        single = isinstance(argnums, int)
        nums = (argnums,) if single else tuple(argnums)

        def wrapped(*args):
            args = list(args)
            specs = []
            for i in nums:
                leaves, spec = optree.tree_flatten(args[i])
                new, diff = [], []
                for leaf in leaves:
                    if not isinstance(leaf, torch.Tensor):
                        leaf = self.convert_to_tensor(leaf)
                    if leaf.is_floating_point():
                        leaf = leaf.detach().requires_grad_(True)
                        diff.append(True)
                    else:
                        diff.append(False)
                    new.append(leaf)
                specs.append((spec, new, diff))
                args[i] = optree.tree_unflatten(spec, new)
            with torch.enable_grad():
                out = fn(*args)
                if has_aux:
                    value, aux = out
                else:
                    value, aux = out, None
                wrt = [leaf for _, new, diff in specs for leaf, d in zip(new, diff) if d]
                if wrt and isinstance(value, torch.Tensor) and value.requires_grad:
                    raw = torch.autograd.grad(value, wrt, allow_unused=True)
                else:
                    raw = [None] * len(wrt)
            it = iter(raw)
            grads = []
            for spec, new, diff in specs:
                g = []
                for leaf, d in zip(new, diff):
                    if d:
                        r = next(it)
                        g.append(torch.zeros_like(leaf) if r is None else r)
                    else:
                        g.append(torch.zeros_like(leaf))
                grads.append(optree.tree_unflatten(spec, g))
            grads = grads[0] if single else tuple(grads)
            value = value.detach() if isinstance(value, torch.Tensor) else value
            if has_aux:
                return (value, _detach_tree(aux)), grads
            return value, grads

        return wrapped

    def jit(self, fn, donate_argnums=(), static_argnums=()):
        """Trace-and-replay (``tracing.TracedFunction``); ``KSHIM_TORCH_JIT=0`` keeps ``fn`` eager and
        ``KSHIM_TORCH_COMPILE=1`` uses ``torch.compile`` instead."""
        if os.environ.get("KSHIM_TORCH_COMPILE") == "1":
            return torch.compile(fn)
        if os.environ.get("KSHIM_TORCH_JIT", "1") == "0":
            return fn
        return TracedFunction(fn)
