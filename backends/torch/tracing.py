"""Trace-and-replay ``jit`` for the torch backend.

Eager torch spends most of a small training step in Python: kshim's op dispatch, dtype promotion
and variable scopes run again on every step although they decide the same thing each time. A
:class:`TracedFunction` records, once per input signature, the ATen operations the function
performs (``torch.fx``'s ``make_fx`` on fake tensors, through the autograd backward pass) and then
replays that straight-line program on later calls: the same kernels in the same order, so the
results are bitwise those of eager execution, without the Python in between.

Like ``jax.jit``, a trace specialises on shapes, dtypes and non-tensor arguments (each new
signature is traced again) and Python side effects run only while tracing. A function whose trace
fails -- data-dependent Python control flow (``bool(tensor)``), host reads (``.numpy()``), ops with
data-dependent output shapes -- runs eagerly instead, with the reason kept in ``fallback_reasons``.
A signature is traced only after it has been called ``trace_after`` times eagerly, so one-off calls
(a two-step test, a single ``predict``) never pay for tracing.
"""

from __future__ import annotations

import functools
import operator
import os
from typing import Any, Callable

import optree
import torch

TRACE_AFTER = int(os.environ.get("KSHIM_TORCH_TRACE_AFTER", "2"))
#: True while ``make_fx`` records a program: ops that are one C++ call eagerly but decompose into many
#: ATen calls when traced (``rnn.py``'s GRU) may record themselves as one opaque op instead.
TRACING = False
_FAILED = object()


class TraceDeclined(RuntimeError):
    """Raised by an op while ``make_fx`` records (``TRACING``) when eager execution is known to be
    faster than replaying what the trace would record; the function then runs eagerly, with the
    message in ``fallback_reasons``."""


def decline(reason: str) -> None:
    """Stop the trace being recorded (see :class:`TraceDeclined`)."""
    raise TraceDeclined(reason)


class _Program:
    """A traced graph plus what is needed to rebuild the function's output pytree."""

    __slots__ = ("graph", "out_spec", "out_leaves", "out_pos")

    def __init__(self, graph: torch.fx.GraphModule, out_spec: Any, out_leaves: list, out_pos: list) -> None:
        self.graph, self.out_spec, self.out_leaves, self.out_pos = graph, out_spec, out_leaves, out_pos

    def run(self, tensors: list) -> Any:
        outs = self.graph.forward(*tensors)  # straight to the generated code (no Module hooks)
        leaves = list(self.out_leaves)
        for i, t in zip(self.out_pos, outs):
            leaves[i] = t
        return optree.tree_unflatten(self.out_spec, leaves)


def _signature(leaves: list) -> tuple | None:
    """Hashable key of the flattened arguments, or None when they cannot be traced (a tensor that
    requires grad or is not a plain CPU/CUDA tensor, or an unhashable non-tensor leaf)."""
    key: list[Any] = []
    tensor = torch.Tensor
    for leaf in leaves:
        if type(leaf) is tensor:
            if leaf.requires_grad:
                return None
            key.append((leaf.shape, leaf.dtype, leaf.device))
        elif isinstance(leaf, tensor):  # a subclass (fake, functional, parameter ...)
            return None
        else:
            try:
                hash(leaf)
            except TypeError:
                return None
            key.append((type(leaf), leaf))
    return tuple(key)


_LIKE = {"ones_like", "zeros_like", "empty_like", "full_like"}
_MAX_FOLD = 1 << 22  # elements: a larger constant is recomputed each call rather than stored


def _foldable_op(node: torch.fx.Node) -> bool:
    t = node.target
    if t is operator.getitem:
        return True
    if not isinstance(t, torch._ops.OpOverload):
        return False
    return not t._schema.is_mutable and torch.Tag.nondeterministic_seeded not in t.tags


def _returns_alias(node: torch.fx.Node) -> bool:
    t = node.target
    return t is operator.getitem or (
        isinstance(t, torch._ops.OpOverload) and any(r.alias_info is not None for r in t._schema.returns)
    )


def _mutated(gm: torch.fx.GraphModule) -> set:
    """Nodes whose value an in-place op writes, directly or through views of it: never folded (a
    stored constant would accumulate the writes of every call)."""
    stack = []
    for node in gm.graph.nodes:
        t = node.target
        if node.op != "call_function" or not isinstance(t, torch._ops.OpOverload) or not t._schema.is_mutable:
            continue
        for a, v in zip(t._schema.arguments, node.args):
            if a.alias_info is not None and a.alias_info.is_write:
                stack += [n for n in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(n, torch.fx.Node)]
        for name, v in node.kwargs.items():
            kw = next((a for a in t._schema.arguments if a.name == name), None)
            if kw is not None and kw.alias_info is not None and kw.alias_info.is_write and isinstance(v, torch.fx.Node):
                stack.append(v)
    seen: set = set()
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            if _returns_alias(n):
                stack += n.all_input_nodes
    return seen


def _fold_constants(gm: torch.fx.GraphModule) -> None:
    """Evaluate once the nodes that depend only on constants (scalar factories, masks of constant
    counts, ``ones_like`` of a known shape ...) and store their values on the module. Values that
    are written in place or returned by the program are recomputed on every call."""
    env: dict = {}
    keep = _mutated(gm)
    for node in gm.graph.nodes:
        if node in keep or any(u.op == "output" for u in node.users):
            continue
        if node.op == "get_attr":
            env[node] = getattr(gm, node.target)
        elif node.op == "call_function" and _foldable_op(node):
            ins = node.all_input_nodes
            like = getattr(node.target, "_opname", "") in _LIKE
            if not all(n in env for n in (ins[1:] if like else ins)):
                continue
            if like and ins and ins[0] not in env:
                v = ins[0].meta.get("val")
                if not isinstance(v, torch.Tensor):
                    continue
                stand_in = torch.empty(v.shape, dtype=v.dtype, device=v.device)
                args, kwargs = torch.fx.node.map_arg(
                    (node.args, node.kwargs), lambda n: stand_in if n is ins[0] else env[n]
                )
            else:
                args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: env[n])
            value = node.target(*args, **kwargs)
            if isinstance(value, torch.Tensor) and value.numel() > _MAX_FOLD:
                continue
            env[node] = value
    count = 0
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node not in env or not isinstance(env[node], torch.Tensor):
            continue
        if all(u in env for u in node.users):
            continue
        name = f"_kshim_folded_{count}"
        count += 1
        gm.register_buffer(name, env[node], persistent=False)
        with gm.graph.inserting_before(node):
            node.replace_all_uses_with(gm.graph.get_attr(name))


def _simplify(gm: torch.fx.GraphModule) -> None:
    """Drop ``detach`` nodes (the replayed program is plain arithmetic, never differentiated), fold
    constants and remove dead code."""
    detach = torch.ops.aten.detach.default
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target is detach:
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
    _fold_constants(gm)
    gm.graph.eliminate_dead_code()
    gm.recompile()


class TracedFunction:
    """``fn`` compiled by tracing (see the module docstring); call it like ``fn``."""

    def __init__(self, fn: Callable, trace_after: int | None = None) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.trace_after = TRACE_AFTER if trace_after is None else trace_after
        self._programs: dict = {}
        self._calls: dict = {}
        self.fallback_reasons: list[str] = []

    @property
    def num_traces(self) -> int:
        """How many signatures have a replayable program."""
        return sum(p is not _FAILED for p in self._programs.values())

    def __call__(self, *call_args: Any) -> Any:
        args: Any = call_args  # a tuple pytree (optree's PyTree type rejects tuple[Any, ...])
        leaves, spec = optree.tree_flatten(args, none_is_leaf=True)
        sig = _signature(leaves)
        if sig is None and any(isinstance(x, torch.nn.Parameter) for x in leaves):
            # Variables of a model used as a torch.nn.Module are Parameters: the program reads their
            # values only (it is plain arithmetic, never differentiated), so trace on detached views.
            leaves = [x.detach() if isinstance(x, torch.nn.Parameter) else x for x in leaves]
            args = optree.tree_unflatten(spec, leaves)
            sig = _signature(leaves)
        if sig is None:
            return self.fn(*args)
        key = (spec, sig)
        prog = self._programs.get(key)
        if prog is None:
            n = self._calls.get(key, 0) + 1
            self._calls[key] = n
            if n <= self.trace_after:
                return self.fn(*args)
            prog = self._programs[key] = self._trace(leaves, spec)
        if prog is _FAILED:
            return self.fn(*args)
        return prog.run([x for x in leaves if isinstance(x, torch.Tensor)])

    def _trace(self, leaves: list, spec: Any) -> Any:
        from torch.fx.experimental.proxy_tensor import make_fx

        pos = [i for i, x in enumerate(leaves) if isinstance(x, torch.Tensor)]
        out: dict = {}

        def flat(*tensors: torch.Tensor) -> list:
            full = list(leaves)
            for i, t in zip(pos, tensors):
                full[i] = t
            result = self.fn(*optree.tree_unflatten(spec, full))
            o_leaves, out["spec"] = optree.tree_flatten(result, none_is_leaf=True)
            out["pos"] = [i for i, x in enumerate(o_leaves) if isinstance(x, torch.Tensor)]
            out["leaves"] = [None if isinstance(x, torch.Tensor) else x for x in o_leaves]
            return [o_leaves[i] for i in out["pos"]]

        global TRACING
        TRACING = True
        try:
            gm = make_fx(flat, tracing_mode="fake", _allow_non_fake_inputs=True)(*[leaves[i] for i in pos])
            _simplify(gm)
        except Exception as e:  # noqa: BLE001 - anything untraceable runs eagerly, as before
            self.fallback_reasons.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            return _FAILED
        finally:
            TRACING = False
        return _Program(gm, out["spec"], out["leaves"], out["pos"])
