"""``get_source_inputs``: the ``Input`` tensors a symbolic tensor is computed from."""

from __future__ import annotations

from typing import Any

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor: Any) -> Any:
    """The list of input tensors needed to compute ``tensor`` (each once, in first-seen order).

    Args:
        tensor: A symbolic tensor (``KerasTensor``); anything else is returned unchanged, as Keras does.

    Returns:
        A list of the ``Input`` tensors (or other source tensors) ``tensor`` depends on; ``[tensor]``
        for a tensor that no layer produced.
    """
    if not hasattr(tensor, "_history"):
        return tensor
    sources: list = []
    seen_nodes: set = set()
    stack = [tensor]
    while stack:  # depth first, inputs in call order; each node visited once (residual graphs stay linear)
        t = stack.pop()
        history = getattr(t, "_history", None)
        if history is None or not history[0].input_tensors:  # no producer, or an input node
            found = [t] if history is None else list(history[0].output_tensors)
            sources += [s for s in found if all(s is not seen for seen in sources)]
            continue
        node = history[0]
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        stack.extend(reversed(node.input_tensors))
    return sources
