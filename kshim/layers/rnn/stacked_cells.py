"""``StackedRNNCells``: several cells run as one (the output of each feeds the next)."""

from __future__ import annotations

from typing import Any, Sequence

from ... import ops
from ..layer import Layer


def _nested(x: Any) -> bool:
    return isinstance(x, (list, tuple))


class StackedRNNCells(Layer):
    """Wraps a list of cells so an ``RNN`` runs them as a single cell (``keras.layers.StackedRNNCells``).

    Each step feeds the output of one cell to the next; the states are the list of the cells' states.

    Args:
        cells: The list of cells, applied in order at each step (each has ``call`` and ``state_size``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If a cell has no ``call`` method or no ``state_size``.
    """

    def __init__(self, cells: Sequence[Any], **kwargs: Any):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: {cell}")
            if "state_size" not in dir(cell):
                raise ValueError(
                    f"All cells must have a `state_size` attribute. Received cell without a `state_size`: {cell}"
                )
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return last.state_size[0] if _nested(last.state_size) else last.state_size

    def get_initial_state(self, batch_size: int | None = None) -> list:
        out = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                out.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                out.append(ops.zeros((batch_size, cell.state_size), dtype=self.compute_dtype))
            else:
                out.append([ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in cell.state_size])
        return out

    def call(self, inputs: Any, states: Any, training: bool = False, **kwargs: Any) -> tuple:
        new_states = []
        for cell, st in zip(self.cells, states):
            was_list = _nested(st)
            st = list(st) if was_list else [st]
            kw = dict(kwargs)
            if isinstance(cell, Layer) and cell._call_has_training:
                kw["training"] = training
            fn = cell.__call__ if callable(cell) else cell.call
            inputs, st = fn(inputs, st, **kw)
            if not _nested(st):
                st = [st]
            if len(st) == 1 and not was_list:
                st = st[0]
            new_states.append(list(st) if _nested(st) else st)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape: Any) -> None:
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._check_backend()
                cell.build(input_shape)
                cell.built = True
            if getattr(cell, "output_size", None) is not None:
                dim = cell.output_size
            elif _nested(cell.state_size):
                dim = cell.state_size[0]
            else:
                dim = cell.state_size
            input_shape = (input_shape[0], dim)
        self.built = True

    def get_config(self) -> dict:
        from ..._serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["cells"] = [serialize_keras_object(c) for c in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "StackedRNNCells":
        from .rnn import _deserialize

        cfg = dict(config)
        cells = [_deserialize(c, custom_objects) for c in cfg.pop("cells")]
        if isinstance(cfg.get("dtype"), dict):
            from .. import dtype_policy as _policy

            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(cells, **cfg)
