"""Function-transform primitives of the torch backend: custom gradients, forward mode
(declared in ``backends/_protocol.py``).

``custom_gradient`` is a ``torch.autograd.Function`` whose backward calls the user's gradient
function (its forward runs in no-grad mode, as every ``autograd.Function``'s does); ``jvp`` is
``torch.func.jvp`` (true forward mode) over the float primals, other primals being closed over.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch


def _is_float(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


class _CustomGradient(torch.autograd.Function):
    """Forward: ``f(*leaves)`` -> ``(outs, vjp)``; backward: ``vjp(cotangents)``."""

    @staticmethod
    def forward(ctx, f, *leaves):  # noqa: D102
        outs, vjp = f(*leaves)
        outs = tuple(outs)
        ctx.vjp = vjp
        ctx.in_float = [_is_float(x) for x in leaves]
        ctx.out_meta = [(o.shape, o.dtype, o.device) for o in outs]
        nondiff = [o for o in outs if isinstance(o, torch.Tensor) and not o.is_floating_point()]
        if nondiff:
            ctx.mark_non_differentiable(*nondiff)
        return outs

    @staticmethod
    def backward(ctx, *cts):  # noqa: D102
        full = [torch.zeros(s, dtype=d, device=dev) if c is None else c for c, (s, d, dev) in zip(cts, ctx.out_meta)]
        gs = ctx.vjp(full)
        res = [g if (flt and g is not None) else None for g, flt in zip(gs, ctx.in_float)]
        return (None, *res)


class TransformsMixin:
    """Custom-gradient and forward-mode hooks; mixed into the backend class."""

    def custom_gradient(self, f: Callable) -> Callable:
        """See ``backends/_protocol.py``."""

        def h(*leaves):
            return list(_CustomGradient.apply(f, *leaves))

        return h

    def jvp(self, fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> tuple:
        """See ``backends/_protocol.py``."""
        primals = list(primals)
        diff = [i for i, p in enumerate(primals) if _is_float(p)]

        def inner(*dp):
            full = list(primals)
            for i, v in zip(diff, dp):
                full[i] = v
            res = fun(*full)
            if has_aux:
                return tuple(res[0]), res[1]
            return tuple(res)

        res: Any
        if not diff:
            res = inner()
            outs = list(res[0] if has_aux else res)
            zeros = [torch.zeros_like(o) for o in outs]
            return (outs, zeros, res[1]) if has_aux else (outs, zeros)
        # (outs, tangents) or, with has_aux, (outs, tangents, aux): torch's stubs know only the pair
        res = torch.func.jvp(inner, tuple(primals[i] for i in diff), tuple(tangents[i] for i in diff), has_aux=has_aux)
        outs, t_out = list(res[0]), list(res[1])
        if has_aux:
            return outs, t_out, res[2]
        return outs, t_out
