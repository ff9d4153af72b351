"""Wraps a ``kshim.ops`` call on KerasTensors as a graph node of a functional model."""
from __future__ import annotations

from typing import Any, Callable

import optree

from .._symbolic import KerasTensor
from .layer import Layer
from .naming import uniquify
from .node import symbolic_layer_call


class _Slot:
    def __init__(self, i: int):
        self.i = i


class OpLayer(Layer):
    """A layer that applies one op; its KerasTensor arguments become the node inputs."""

    def __init__(self, fn: Callable, template: tuple, **kwargs: Any):
        name = getattr(fn, "__name__", "op")
        super().__init__(name=uniquify(name), autocast=False, **kwargs)
        self.fn = fn
        self._template = template
        self.built = True

    def call(self, *tensors: Any) -> Any:
        args, kwargs = optree.tree_map(lambda v: tensors[v.i] if isinstance(v, _Slot) else v, self._template,
                                       namespace="kshim")
        return self.fn(*args, **kwargs)

    def get_config(self) -> dict:
        raise TypeError(f"The functional model contains the raw op {self.fn.__name__!r} applied to symbolic "
                        f"tensors; it cannot be serialized. Wrap it in a Layer (e.g. kshim.layers.Lambda or a "
                        f"registered custom layer) to save the model.")


def symbolic_call(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Record ``fn(*args, **kwargs)`` with KerasTensor arguments as an OpLayer node."""
    inputs: list[KerasTensor] = []

    def slot(v):
        if isinstance(v, KerasTensor):
            inputs.append(v)
            return _Slot(len(inputs) - 1)
        return v
    template = optree.tree_map(slot, (args, kwargs), namespace="kshim")
    layer = OpLayer(fn, template)
    return symbolic_layer_call(layer, tuple(inputs), {})
