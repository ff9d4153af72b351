"""``KerasTensor``: a symbolic tensor (shape and dtype only) used to build functional models."""

from __future__ import annotations

from typing import Any

from ._operators import OpsOperators


class KerasTensor(OpsOperators):
    """Symbolic placeholder with a static ``shape`` (``None`` for unknown dims) and ``dtype``.

    Produced by ``kshim.Input`` and by calling layers or ops on other KerasTensors; records the
    node that produced it (``_history``) so a functional ``Model`` can replay the graph.

    Args:
        shape: The static shape: a sequence of ints, with ``None`` for unknown dimensions.
        dtype: The dtype name (default ``"float32"``).
        sparse: Whether the tensor stands for a sparse tensor (default ``False``).
        name: Optional name.
        history: The ``(node, output_index)`` that produced the tensor; ``None`` for an input.
    """

    def __init__(
        self, shape: Any, dtype: str = "float32", sparse: bool = False, name: str | None = None, history: Any = None
    ):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.sparse = sparse
        self.name = name
        self._history = history  # (node, output_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def _keras_history(self) -> Any:
        """Keras' name for the producing ``(node, output_index)`` (``_history``); code that tells
        symbolic tensors apart with ``hasattr(x, "_keras_history")`` works on kshim's. kshim differs
        from Keras: Keras' value is ``(operation, node_index, tensor_index)``, and an input has it too."""
        return self._history

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError("len() of a KerasTensor with unknown first dimension")
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: Any = None):
        from ._foreign import symbolic_conversion_error  # real Keras converting a kshim tensor lands here

        raise symbolic_conversion_error(self)

    __jax_array__ = __array__

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value; use kshim.ops.cond or build the model eagerly.")


def any_symbolic(args: tuple, kwargs: dict) -> bool:
    """True when any argument (or an element of a list/tuple/dict argument) is a KerasTensor."""
    for a in args:
        t = type(a)
        if t is KerasTensor:
            return True
        if (t is list or t is tuple) and any(isinstance(e, KerasTensor) for e in a):
            return True
        if t is dict and any(isinstance(e, KerasTensor) for e in a.values()):
            return True
    if kwargs:
        for a in kwargs.values():
            t = type(a)
            if t is KerasTensor or ((t is list or t is tuple) and any(isinstance(e, KerasTensor) for e in a)):
                return True
    return False
