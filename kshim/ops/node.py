"""The symbolic graph: nodes recorded when layers or ops run on KerasTensors, and shape probing.

It sits with the ops (as in Keras, where the graph lives under ``ops/``) and knows layers only by
duck typing. An op called on KerasTensors becomes a node of an *op layer*; that class is a Layer (so a
functional model treats it like any other) and registers itself here with :func:`set_op_node_class`
when ``kshim.layers`` is imported — ops never import the layers above them.
"""

from __future__ import annotations

import math
from typing import Any

import optree

from typing import Callable

from .. import backend as _backend
from .._scope import StatelessScope
from .._symbolic import KerasTensor
from .._validation import MAX_PROBE_ELEMENTS, probing

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


def _probe_shape(t: KerasTensor, which: int) -> tuple:
    return tuple(_PROBE_SIZES[0 if i == 0 else 1][which] if d is None else d for i, d in enumerate(t.shape))


def _check_probe_size(layer: Any, tensors: list, which: int) -> None:
    """Refuse, before allocating, probe inputs that together exceed ``MAX_PROBE_ELEMENTS``."""
    total = 0
    for t in tensors:
        shape = _probe_shape(t, which)
        total += math.prod(shape)
        if total > MAX_PROBE_ELEMENTS:
            raise ValueError(
                f"Cannot infer the output shape of layer {getattr(layer, 'name', layer)!r} "
                f"({type(layer).__name__}) on inputs of shape {[t.shape for t in tensors]}: running it on "
                f"probe arrays of shape {shape} would allocate {total} elements, more than the limit of "
                f"{MAX_PROBE_ELEMENTS}. Declare smaller input sizes, or give the layer a "
                f"compute_output_shape/compute_output_spec."
            )


def _concrete(tree: Any, which: int) -> Any:
    b = _backend.current()

    def conv(t):
        if not isinstance(t, KerasTensor):
            return t
        return b.zeros(_probe_shape(t, which), t.dtype)

    return optree.tree_map(conv, tree, namespace="kshim")


def probe_output_spec(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Run ``layer.call`` twice on small zero arrays, discarding state updates; dims that change
    with the probe size of an unknown input dim become ``None``."""
    b = _backend.current()
    has_unknown = any(None in t.shape for t in _leaves((args, kwargs)))
    runs = []
    whichs = (0, 1) if has_unknown else (0,)
    for which in whichs:  # every probe is checked before the first one is allocated
        _check_probe_size(layer, _leaves((args, kwargs)), which)
    for which in whichs:
        a, k = _concrete(args, which), _concrete(kwargs, which)
        with StatelessScope(record_all=True, collect_losses=True), probing(getattr(layer, "name", "?")):
            out = layer(*a, **k)
        runs.append(out)

    def spec(*outs):
        shapes = [tuple(b.shape(o)) for o in outs]
        shape = tuple(d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0]))
        return KerasTensor(shape, b.dtype(outs[0]))

    is_t = lambda x: b.is_tensor(x)  # noqa: E731
    return optree.tree_map(spec, runs[0], *runs[1:], is_leaf=is_t, namespace="kshim")


class _Slot:
    """Marks where the i-th KerasTensor argument goes when an op node is replayed."""

    def __init__(self, i: int):
        self.i = i


_OP_NODE_CLASS: list = []


def set_op_node_class(cls: type) -> None:
    """Register the layer class whose instances wrap one op call (``cls(fn, template)``)."""
    _OP_NODE_CLASS[:] = [cls]


def fill_slots(template: Any, tensors: tuple) -> Any:
    """``template`` (from :func:`symbolic_call`) with every slot replaced by its tensor."""
    return optree.tree_map(lambda v: tensors[v.i] if isinstance(v, _Slot) else v, template, namespace="kshim")


def symbolic_call(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Record ``fn(*args, **kwargs)`` with KerasTensor arguments as a node of an op layer.

    The output spec comes from probing (:func:`probe_output_spec`), unless ``fn`` has an
    ``output_spec(*args, **kwargs)`` attribute that returns the output KerasTensor(s) (None: probe).
    """
    if not _OP_NODE_CLASS:
        import importlib

        importlib.import_module("kshim.layers")  # KerasTensors exist without layers only if built by hand
    inputs: list[KerasTensor] = []

    def slot(v):
        if isinstance(v, KerasTensor):
            inputs.append(v)
            return _Slot(len(inputs) - 1)
        return v

    call: Any = (args, kwargs)  # one pytree (optree's PyTree type rejects this tuple)
    template = optree.tree_map(slot, call, namespace="kshim")
    layer = _OP_NODE_CLASS[0](fn, template)
    spec_fn = getattr(fn, "output_spec", None)  # an op whose output shape probing cannot find
    outputs = spec_fn(*args, **kwargs) if spec_fn is not None else None
    if outputs is None:
        return symbolic_layer_call(layer, tuple(inputs), {})
    Node(layer, tuple(inputs), {}, outputs)
    return outputs
