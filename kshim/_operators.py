"""Python operators (``+``, ``*``, ``@``, ``[]``, ...) routed through ``kshim.ops``.

Shared by ``Variable`` and ``KerasTensor`` so both behave like tensors in user code.
"""

from __future__ import annotations

from typing import Any, Callable


def _binary(name: str, reverse: bool = False) -> Callable:
    def method(self: Any, other: Any) -> Any:
        from . import ops

        fn = getattr(ops, name)
        return fn(other, self) if reverse else fn(self, other)

    method.__name__ = f"__{'r' if reverse else ''}{name}__"
    return method


class OpsOperators:
    """Mixin: arithmetic, comparison, matmul, negation, abs and indexing via ``kshim.ops``."""

    __slots__ = ()
    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("divide"), _binary("divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __and__, __or__, __xor__ = _binary("logical_and"), _binary("logical_or"), _binary("logical_xor")

    def __neg__(self) -> Any:
        from . import ops

        return ops.negative(self)

    def __abs__(self) -> Any:
        from . import ops

        return ops.abs(self)

    def __getitem__(self, key: Any) -> Any:
        from . import ops

        return ops.get_item(self, key)

    __hash__ = object.__hash__
