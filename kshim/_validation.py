"""Argument and size checks shared by layers, ops, the data adapter and the optimizers.

Every count or size that comes from a constructor argument or a loaded config passes through one of
these helpers, so it is checked *arithmetically*, before anything is allocated, and a bad value gives
the same clear ``ValueError`` (naming the argument, the value and the fix) wherever it appears.

Limits:
    ``MAX_ELEMENTS``: the most elements one declared tensor, weight or padded intermediate may have
    (``2**31 - 1``, the largest size every backend indexes with 32-bit integers; 8 GiB of float32).
    ``MAX_PROBE_ELEMENTS``: the most elements kshim allocates to infer a layer's output shape by
    running it on zero "probe" arrays (``2**28``, 1 GiB of float32). Layers with a closed-form
    ``compute_output_shape`` (convolutions, pooling, ``Dense``) are never probed.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
from typing import Any, Iterable, Sequence, Iterator

import numpy as np

MAX_ELEMENTS = 2**31 - 1
MAX_PROBE_ELEMENTS = 2**28

# The limit that op outputs are checked against: MAX_ELEMENTS, or MAX_PROBE_ELEMENTS while probing.
_OP_LIMIT: contextvars.ContextVar[tuple[int, str]] = contextvars.ContextVar(
    "kshim_op_size_limit", default=(MAX_ELEMENTS, "elements per tensor")
)


@contextlib.contextmanager
def probing(layer_name: str) -> Iterator[None]:
    """Within this block (a layer run on probe arrays to infer its output shape), op outputs are
    limited to ``MAX_PROBE_ELEMENTS`` elements."""
    token = _OP_LIMIT.set(
        (
            MAX_PROBE_ELEMENTS,
            f"elements allowed while inferring the output shape of layer {layer_name!r} on probe arrays",
        )
    )
    try:
        yield
    finally:
        _OP_LIMIT.reset(token)


def check_op_output(shape: Iterable, name: str, fix: str) -> int:
    """:func:`check_num_elements` against the ambient op limit (lower while probing)."""
    limit, why = _OP_LIMIT.get()
    return check_num_elements(shape, name, limit=limit, why=why, fix=fix)


def _prefix(owner: Any) -> str:
    """``"Dense: "`` for an owner given as a name or an object (its class name), else ``""``."""
    if owner is None:
        return ""
    return f"{owner if isinstance(owner, str) else type(owner).__name__}: "


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers (``bool`` excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(value: Any, name: str, owner: Any = None, *, allow_zero: bool = False) -> int:
    """Check that ``value`` is an integer > 0 (>= 0 with ``allow_zero``) and at most ``MAX_ELEMENTS``.

    Args:
        value: The value to check (``bool`` and floats are refused, even ``2.0``).
        name: The argument name, used in the message.
        owner: The class (or its name) the argument belongs to, used in the message.
        allow_zero: Accept 0.

    Returns:
        ``value`` as a Python ``int``.

    Raises:
        ValueError: When ``value`` is not such an integer.
    """
    kind = "a non-negative" if allow_zero else "a positive"
    if not is_int(value) or (value < 0 if allow_zero else value <= 0):
        raise ValueError(
            f"{_prefix(owner)}Received an invalid value for argument `{name}`, expected {kind} "
            f"integer. Received: {name}={value!r} (of type {type(value).__name__})."
        )
    if value > MAX_ELEMENTS:
        raise ValueError(
            f"{_prefix(owner)}argument `{name}`={value} exceeds the limit of {MAX_ELEMENTS} "
            f"(2**31 - 1) that kshim accepts for any size; use a smaller value."
        )
    return int(value)


def optional_positive_int(value: Any, name: str, owner: Any = None) -> int | None:
    """``None``, or ``value`` checked by :func:`positive_int`."""
    return None if value is None else positive_int(value, name, owner)


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or ``n`` ints -> a tuple of ``n`` ints, each > 0 (>= 0 with ``allow_zero``).

    Used for every windowed size argument (``kernel_size``, ``strides``, ``pool_size``,
    ``dilation_rate``, ``cropping``, ``padding`` amounts, ``size``).

    Args:
        value: An int, or an iterable of ``n`` ints (integral floats are accepted inside a tuple).
        n: The number of spatial dimensions.
        name: The argument name, used in the message.
        allow_zero: Accept 0.

    Returns:
        The tuple of ``n`` Python ints.

    Raises:
        ValueError: On a wrong type or length, a value out of range, or one above ``MAX_ELEMENTS``.
    """
    msg = f"The `{name}` argument must be an int or a tuple of {n} integers. Received {name}={value!r}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(msg)
    if is_int(value):
        t = (int(value),) * n
    else:
        try:
            raw: tuple[Any, ...] = tuple(value)
        except TypeError:
            raise ValueError(msg) from None
        if len(raw) != n or any(
            isinstance(v, (bool, np.bool_)) or not (is_int(v) or isinstance(v, float) and v.is_integer()) for v in raw
        ):
            raise ValueError(msg)
        t = tuple(int(v) for v in raw)
    bad = [v for v in t if (v < 0 if allow_zero else v <= 0)]
    if bad:
        raise ValueError(f"{msg}, including values {bad} that are not {'>= 0' if allow_zero else '> 0'}.")
    big = [v for v in t if v > MAX_ELEMENTS]
    if big:
        raise ValueError(f"{msg}, including values {big} that exceed the limit of {MAX_ELEMENTS} (2**31 - 1).")
    return t


def check_shape(shape: Any, name: str, owner: Any = None, *, allow_none: bool = True) -> tuple:
    """Check a declared shape: every dim ``None`` (if allowed) or an int >= 0, and the known dims
    together at most ``MAX_ELEMENTS`` elements.

    Args:
        shape: An iterable of dims.
        name: What the shape is (``"batch_shape"``, ``"shape"``), used in the message.
        owner: The object declaring it, used in the message.
        allow_none: Accept ``None`` (unknown) dims.

    Returns:
        The shape as a tuple of Python ints and ``None``.

    Raises:
        ValueError: On a non-iterable shape, a dim of the wrong type, a negative dim, or a size above
            the limit (the message names the dim).
    """
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"{_prefix(owner)}`{name}` must be a tuple of integers, got {shape!r}.") from None
    out: list[int | None] = []
    for i, d in enumerate(dims):
        if d is None and allow_none:
            out.append(None)
            continue
        if not is_int(d):
            raise ValueError(
                f"{_prefix(owner)}cannot convert {name}={dims!r} to a shape: dim {i} is {d!r} of "
                f"type {type(d).__name__}; dims must be integers{' or None' if allow_none else ''}."
            )
        if d < 0:
            raise ValueError(
                f"{_prefix(owner)}cannot convert {name}={dims!r} to a shape: dim {i} is {d}; "
                f"negative dimensions are not allowed."
            )
        out.append(int(d))
    check_num_elements(out, name, owner)
    return tuple(out)


def is_symbolic_dim(d: Any) -> bool:
    """Whether ``d`` is a size a tracer keeps symbolic (``torch.SymInt``, a ``jax.export`` dim): reading it
    as a Python int would fix it to its sample value."""
    return type(d).__name__ in ("SymInt", "_DimExpr")


def check_num_elements(
    shape: Iterable,
    name: str,
    owner: Any = None,
    limit: int = MAX_ELEMENTS,
    why: str = "elements per tensor",
    fix: str = "Declare a smaller size.",
) -> int:
    """Refuse a shape whose known dims multiply to more than ``limit`` elements.

    ``None`` dims count as 1. The message names the first dim at which the running product passes
    the limit, so a single huge dim reads ``"batch_shape dim 1 = 1000000000000 exceeds ..."``.

    Args:
        shape: The dims (ints or ``None``).
        name: What the shape is, used in the message.
        owner: The object the shape belongs to, used in the message.
        limit: The element limit.
        why: What the limit is about, completing "exceeds the limit of N ...".
        fix: The advice that ends the message.

    Returns:
        The number of elements of the known dims.

    Raises:
        ValueError: When the product exceeds ``limit``.
    """
    dims = tuple(None if is_symbolic_dim(d) else d for d in shape)  # traced sizes count as unknown
    known = [int(d) for d in dims if d is not None and int(d) >= 0]  # (-1 is reshape's "infer")
    total = math.prod(known)
    if total <= limit:
        return total
    running = 1
    for i, d in enumerate(dims):
        if d is None or int(d) < 0:
            continue
        running *= int(d)
        if running > limit:
            what = (
                f"{name} dim {i} = {d}"
                if running == total == int(d)
                else f"{name} {dims} has {total} elements (at dim {i} = {d}), which"
            )
            raise ValueError(f"{_prefix(owner)}{what} exceeds the limit of {limit} {why}. {fix}")
    return total


def check_number(value: Any, name: str, owner: Any = None, *, allow_none: bool = False) -> Any:
    """Check that a hyperparameter is a real number (Python or NumPy scalar, or a 0-d tensor).

    Args:
        value: The value to check; strings, booleans, containers and ``None`` (unless allowed) are refused.
        name: The argument name, used in the message.
        owner: The object the argument belongs to, used in the message.
        allow_none: Accept ``None``.

    Returns:
        ``value`` unchanged.

    Raises:
        ValueError: When ``value`` is not a number.
    """
    if value is None and allow_none:
        return value
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not ok and value is not None and not isinstance(value, (str, bytes, bool, np.bool_, dict, list, tuple, set)):
        try:  # 0-d arrays, backend scalars, Variables
            float(value)
            ok = True
        except (TypeError, ValueError, RuntimeError):
            ok = False
    if not ok:
        raise ValueError(
            f"{_prefix(owner)}argument `{name}` must be a number{' or None' if allow_none else ''}, "
            f"got {value!r:.80} (of type {type(value).__name__})."
        )
    return value


def bind_positional(owner: str, order: Sequence[str], args: tuple, kwargs: dict) -> dict:
    """Merge positional ``args`` into ``kwargs`` by the parameter ``order`` (Keras' positional order
    for constructors that take ``*args, **kwargs``), with Python's own ``TypeError`` messages.

    Args:
        owner: the class name, for messages.
        order: parameter names in positional order.
        args: the positional arguments given.
        kwargs: the keyword arguments given (updated in place and returned).

    Returns:
        ``kwargs`` with the positional arguments added.
    """
    if len(args) > len(order):
        raise TypeError(f"{owner}() takes at most {len(order)} positional arguments ({len(args)} given)")
    for key, value in zip(order, args):
        if key in kwargs:
            raise TypeError(f"{owner}() got multiple values for argument {key!r}")
        kwargs[key] = value
    return kwargs


def option_annotation(name: str, default: Any) -> str:
    """The annotation (a string, as ``from __future__ import annotations`` writes them) of an option of a
    generated constructor signature (the function-wrapping losses and metrics), from its name and default."""
    if name in ("name", "reduction"):
        return "str | None"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    return "Any"  # ints (axes also take tuples), None and structures
