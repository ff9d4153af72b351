"""Symbolic calls: graph nodes recorded when layers run on KerasTensors, and shape probing."""
from __future__ import annotations

from typing import Any

import optree

from .. import backend as _backend
from .._scope import StatelessScope
from .._symbolic import KerasTensor

_PROBE_SIZES = ((2, 3), (5, 7))  # (batch dim), (other unknown dims)


def _leaves(tree: Any) -> list:
    return [t for t in optree.tree_leaves(tree, namespace="kshim") if isinstance(t, KerasTensor)]


class Node:
    """One call of ``layer`` on symbolic inputs: remembers the arguments and the outputs."""

    def __init__(self, layer: Any, args: tuple, kwargs: dict, outputs: Any):
        self.layer = layer
        self.args, self.kwargs = args, kwargs
        self.input_tensors = _leaves((args, kwargs))
        self.outputs_structure = outputs
        self.output_tensors = _leaves(outputs)
        for i, t in enumerate(self.output_tensors):
            t._history = (self, i)
        layer._inbound_nodes.append(self)

    @property
    def input_structure(self) -> Any:
        return self.args[0] if len(self.args) == 1 else list(self.args)

    @property
    def parent_nodes(self) -> list["Node"]:
        return [t._history[0] for t in self.input_tensors if t._history is not None]


def symbolic_layer_call(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Build ``layer`` from symbolic shapes if needed, infer outputs, record a Node."""
    kwargs = {k: v for k, v in kwargs.items() if not (k == "training" and v is None)}
    layer._maybe_build(args, kwargs)
    outputs = layer.compute_output_spec(*args, **kwargs)
    Node(layer, args, kwargs, outputs)
    return outputs


def _concrete(tree: Any, which: int) -> Any:
    b = _backend.current()

    def conv(t):
        if not isinstance(t, KerasTensor):
            return t
        shape = tuple(_PROBE_SIZES[0 if i == 0 else 1][which] if d is None else d for i, d in enumerate(t.shape))
        return b.zeros(shape, t.dtype)
    return optree.tree_map(conv, tree, namespace="kshim")


def probe_output_spec(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Run ``layer.call`` twice on small zero arrays, discarding state updates; dims that change
    with the probe size of an unknown input dim become ``None``."""
    b = _backend.current()
    has_unknown = any(None in t.shape for t in _leaves((args, kwargs)))
    runs = []
    for which in (0, 1) if has_unknown else (0,):
        a, k = _concrete(args, which), _concrete(kwargs, which)
        with StatelessScope(record_all=True, collect_losses=True):
            out = layer(*a, **k)
        runs.append(out)

    def spec(*outs):
        shapes = [tuple(b.shape(o)) for o in outs]
        shape = tuple(d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0]))
        return KerasTensor(shape, b.dtype(outs[0]))
    is_t = lambda x: b.is_tensor(x)  # noqa: E731
    return optree.tree_map(spec, runs[0], *runs[1:], is_leaf=is_t, namespace="kshim")

