"""``OpLayer``: the layer a ``kshim.ops`` call on KerasTensors becomes, as a node of a functional model.

The recording itself is in :mod:`kshim.ops.node`; this module registers the class there.
"""

from __future__ import annotations

from typing import Any, Callable

from .._naming import uniquify
from ..ops import node as _node
from ..ops.node import symbolic_call  # noqa: F401  (kept importable from here)
from .layer import Layer


class OpLayer(Layer):
    """A layer that applies one op; its KerasTensor arguments become the node inputs."""

    def __init__(self, fn: Callable, template: tuple, **kwargs: Any):
        name = getattr(fn, "__name__", "op")
        super().__init__(name=uniquify(name), autocast=False, **kwargs)
        self.fn = fn
        self._template = template
        self.built = True

    def call(self, *tensors: Any) -> Any:
        args, kwargs = _node.fill_slots(self._template, tensors)
        return self.fn(*args, **kwargs)

    def get_config(self) -> dict:
        raise TypeError(
            f"The functional model contains the raw op {self.fn.__name__!r} applied to symbolic "
            f"tensors; it cannot be serialized. Wrap it in a Layer (e.g. kshim.layers.Lambda or a "
            f"registered custom layer) to save the model."
        )


_node.set_op_node_class(OpLayer)
