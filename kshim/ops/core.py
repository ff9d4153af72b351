"""Core ops (``keras.ops`` core namespace): conversion, casting, indexing, scatter, control flow."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ..variables import Variable
from ._dispatch import dtype_of, norm_axis, op, shape_of, tensor

_py_slice = builtins.slice


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Any:
    """Array-like -> tensor of the active backend.

    A tensor of the active backend is returned as it is (cast when ``dtype`` differs) and a Variable
    gives its value. Without ``dtype`` the dtype is inferred as in Keras: Python floats and lists of
    floats give ``kshim.config.floatx()``, Python ints and lists of ints give int32, bools give bool,
    NumPy arrays keep their dtype and a NumPy float64 scalar gives ``floatx()``.

    Args:
        x: A tensor, Variable, NumPy array, NumPy or Python scalar, or a nested list/tuple of those.
        dtype: Target dtype (a name such as ``"float32"``, a NumPy dtype or a Python type); ``None``
            (the default) keeps the inferred dtype.
        sparse: Accepted for Keras compatibility and ignored: kshim has no sparse tensors.
        ragged: Accepted for Keras compatibility and ignored: kshim has no ragged tensors.

    Returns:
        A tensor of the active backend.

    Raises:
        TypeError: If ``x`` is a symbolic KerasTensor, or a Variable created under another backend.
        ValueError: If ``dtype`` is not a supported dtype.

    Example:
        >>> kshim.ops.dtype(kshim.ops.convert_to_tensor([1.0, 2.0]))
        'float32'
    """
    return tensor(x, None if dtype is None else _dt.standardize_dtype(dtype))


def convert_to_numpy(x: Any) -> np.ndarray:
    """Tensor (or Variable) -> ``np.ndarray``.

    Args:
        x: A tensor of the active backend, a Variable, or anything ``np.asarray`` accepts (a Python
            scalar gives a 0-d array).

    Returns:
        A NumPy array with the values and shape of ``x`` (a tensor or Variable keeps its dtype).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.convert_to_tensor([1, 2]))
        array([1, 2], dtype=int32)
    """
    if isinstance(x, Variable):
        return x.numpy()
    b = current()
    if b.is_tensor(x):
        return b.to_numpy(x)
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of the active backend.

    Only the backend's native tensor type counts: a Variable or a symbolic KerasTensor is not one, and a
    NumPy array is one only on the numpy backend.

    Args:
        x: Any object.

    Returns:
        A Python bool.
    """
    return current().is_tensor(x)


@op
def cast(x: Any, dtype: Any) -> Any:
    """Cast to ``dtype``.

    Floating to integer conversion truncates toward zero; casting to the dtype ``x`` already has returns
    the tensor unchanged.

    Args:
        x: Tensor or array-like.
        dtype: Target dtype (a name such as ``"int32"``, a NumPy dtype or a Python type); ``None`` means
            ``kshim.config.floatx()``.

    Returns:
        A tensor of the shape of ``x`` with dtype ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a supported dtype.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.cast([1.7, -1.7], "int32"))
        array([ 1, -1], dtype=int32)
    """
    target = _dt.standardize_dtype(dtype)
    if not _dt.is_complex(target) and _dt.is_complex(dtype_of(x)):
        from .numpy_complex import real  # the explicit cast keeps the real part, as NumPy and Keras do

        x = real(x)
    return tensor(x, target)


def shape(x: Any) -> tuple:
    """Static shape as a tuple.

    Args:
        x: A tensor, Variable, symbolic KerasTensor or array-like (read with ``np.shape``).

    Returns:
        A tuple of ints; for a symbolic KerasTensor, unknown dimensions are ``None``.

    Example:
        >>> kshim.ops.shape(kshim.ops.convert_to_tensor([[1, 2, 3], [4, 5, 6]]))
        (2, 3)
    """
    return tuple(shape_of(x))


def dtype(x: Any) -> str:
    """Canonical dtype name.

    Args:
        x: A tensor, Variable, symbolic KerasTensor, Python scalar or array-like. A Python scalar gives
            the dtype it takes on its own (int32, ``floatx()`` or bool); a list or tuple gives the dtype
            ``convert_to_tensor`` gives it (``floatx()`` for floats, int32 for Python ints, as Keras); another
            array-like gives the dtype of ``np.asarray(x)``; a float Variable read inside an autocast scope
            gives the autocast dtype.

    Returns:
        The dtype as a string such as ``"float32"``.
    """
    return dtype_of(x)


@op
def stop_gradient(variable: Any) -> Any:
    """Blocks gradients flowing through ``variable``.

    Args:
        variable: Tensor, Variable or array-like (the name follows Keras; any tensor works).

    Returns:
        A tensor with the value of ``variable``, treated as a constant by differentiation.
    """
    return current().stop_gradient(tensor(variable))


def cond(pred: Any, true_fn: Callable, false_fn: Callable) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable on every backend.

    A Python or NumPy bool ``pred`` calls only the chosen function. A tensor ``pred`` goes to the
    backend: a concrete value also calls only one branch, while a traced value (inside ``jax.jit``)
    becomes ``jax.lax.cond``, which traces both branches, so they must then return the same structure,
    shapes and dtypes.

    Args:
        pred: Scalar predicate: a Python or NumPy bool, or a 0-d tensor.
        true_fn: Function of no arguments called when ``pred`` is True.
        false_fn: Function of no arguments called when ``pred`` is False.

    Returns:
        The result of the branch that ran.
    """
    b = current()
    if isinstance(pred, (bool, np.bool_)):
        return true_fn() if pred else false_fn()
    return b.cond(tensor(pred), true_fn, false_fn)


def scan(
    f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False, unroll: int = 1
) -> tuple[Any, Any]:
    """``jax.lax.scan`` semantics: ``f(carry, x) -> (carry, y)``; returns ``(carry, stacked ys)``.

    On JAX this is ``jax.lax.scan``; the numpy and torch backends unroll the loop in Python. Either way
    it is differentiable through every step. ``unroll`` is accepted for Keras compatibility and ignored.

    Args:
        f: Function ``f(carry, x) -> (new_carry, y)``; ``new_carry`` must match the structure, shapes
            and dtypes of ``carry``.
        init: Initial carry, a tensor or a pytree of tensors.
        xs: Tensor or pytree of tensors scanned along their leading axis; ``None`` (the default) calls
            ``f`` with ``x=None`` ``length`` times.
        length: Number of steps; required when ``xs`` is None, and must match the leading size of ``xs``
            otherwise.
        reverse: Whether to scan from the last step to the first (the stacked ``ys`` keep the order of
            ``xs``).
        unroll: Ignored.

    Returns:
        A tuple ``(final_carry, ys)``, where ``ys`` stacks every step's ``y`` on a new leading axis.

    Raises:
        ValueError: On the numpy and torch backends, if neither ``xs`` nor ``length`` is given or the
            leading sizes of ``xs`` (and ``length``) disagree; JAX raises its own error for these.

    Example:
        >>> xs = kshim.ops.convert_to_tensor([1.0, 2.0, 3.0])
        >>> carry, ys = kshim.ops.scan(lambda c, x: (c + x, c + x), 0.0, xs)
        >>> kshim.ops.convert_to_numpy(ys)
        array([1., 3., 6.], dtype=float32)
    """
    return current().scan(f, init, xs, length=length, reverse=reverse)


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``, differentiable (via scan).

    The bounds are read with ``int()``, so they must be concrete numbers: unlike Keras 3 on JAX, traced
    bounds are not supported. With ``upper <= lower`` the body never runs.

    Args:
        lower: First loop index (inclusive), an int.
        upper: Loop end (exclusive), an int.
        body_fun: Function ``body_fun(i, val) -> val`` where ``i`` is an int32 scalar tensor; the new
            ``val`` must match the structure, shapes and dtypes of the old one.
        init_val: Initial value, a tensor or pytree of tensors.

    Returns:
        The value after the last iteration (``init_val`` itself when the loop is empty).
    """
    b = current()
    n = int(upper) - int(lower)
    if n <= 0:
        return init_val

    def step(carry, i):
        return body_fun(i, carry), None

    carry, _ = b.scan(step, init_val, b.arange(int(lower), int(upper), 1, "int32"))
    return carry


def while_loop(cond: Callable, body: Callable, loop_vars: Any, maximum_iterations: int | None = None) -> Any:
    """Eager ``while cond(*vars): vars = body(*vars)`` (not traceable under jax.jit).

    Each step evaluates ``cond`` to a Python bool, so unlike Keras 3 (``jax.lax.while_loop`` on JAX) the
    loop cannot run inside a trace.

    Args:
        cond: Function of the loop variables returning a scalar bool (Python or tensor).
        body: Function of the loop variables returning their new values, in the same structure.
        loop_vars: A tuple or list, unpacked into positional arguments of ``cond`` and ``body`` (``body``
            then returns a sequence of the same length), or a single value passed as one argument.
        maximum_iterations: Optional upper bound on the number of iterations; ``None`` means no bound.

    Returns:
        The final loop variables, in the container type of ``loop_vars`` (a bare value when it was one).

    Example:
        >>> kshim.ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1))
        (3, 8)
    """
    cond_fn = cond
    is_tuple = isinstance(loop_vars, (list, tuple))
    vals = tuple(loop_vars) if is_tuple else (loop_vars,)
    i = 0
    while bool(convert_to_numpy(cond_fn(*vals))) and (maximum_iterations is None or i < maximum_iterations):
        out = body(*vals)
        vals = tuple(out) if is_tuple else (out,)
        i += 1
    return type(loop_vars)(vals) if is_tuple else vals[0]


def _basic_key(key: Any, shp: tuple) -> tuple:
    """Normalize a basic-indexing key against ``shp`` (ints wrapped, bounds checked)."""
    if not isinstance(key, tuple):
        key = (key,)
    n_index = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_index > len(shp):
        raise IndexError(f"too many indices ({n_index}) for a tensor of shape {shp}")
    out, dim = [], 0
    for k in key:
        if k is Ellipsis:
            out.append(Ellipsis)
            dim += len(shp) - n_index
        elif k is None:
            out.append(None)
        elif isinstance(k, _py_slice):
            out.append(_py_slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step))))
            dim += 1
        elif isinstance(k, (int, np.integer)):
            n = shp[dim]
            if not -n <= int(k) < n:
                raise IndexError(f"index {int(k)} is out of bounds for axis {dim} with size {n} (shape {shp})")
            out.append(int(k) % n)
            dim += 1
        else:
            raise TypeError(
                f"Unsupported index {k!r}: use ints, slices, None, Ellipsis, or a single "
                f"integer tensor (kshim.ops.take for gathers)."
            )
    return tuple(out)


def _is_index_array(k: Any) -> bool:
    b = current()
    return (b.is_tensor(k) or isinstance(k, (np.ndarray, list))) and not isinstance(k, bool)


@op
def get_item(x: Any, key: Any) -> Any:
    """``x[key]`` with basic indexing, or a single integer index tensor (gather on axis 0).

    Args:
        x: Tensor or array-like.
        key: Basic indexing: an int, slice, ``None``, ``Ellipsis`` or a tuple of those (ints may be
            negative and are bounds-checked); or one integer tensor, array or list, which gathers rows of
            axis 0 (negative indices count from the end).

    Returns:
        The indexed tensor, of the dtype of ``x``.

    Raises:
        IndexError: If an int index is out of range or the key has more indices than ``x`` has axes.
        TypeError: If ``key`` is a bool mask (its result shape depends on the data; use ``where``) or
            holds an unsupported element such as a float.

    Example:
        >>> x = kshim.ops.convert_to_tensor([[0, 1, 2], [3, 4, 5]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.get_item(x, (1, slice(None, 2))))
        array([3, 4], dtype=int32)
    """
    b = current()
    x = tensor(x)
    if _is_index_array(key):
        idx = tensor(key)
        if b.dtype(idx) == "bool":
            raise TypeError("Boolean-mask indexing has a data-dependent shape; use kshim.ops.where instead.")
        n = b.shape(x)[0]
        idx = b.where(b.less(idx, b.zeros((), b.dtype(idx))), b.add(idx, b.full((), n, b.dtype(idx))), idx)
        return b.take(x, idx, 0)
    return b.getitem(x, _basic_key(key, tuple(b.shape(x))))


@op
def slice(inputs: Any, start_indices: Any, shape: Any) -> Any:  # noqa: A001
    """Static slice of ``shape`` starting at ``start_indices``.

    Follows Keras 3 on JAX (``jax.lax.dynamic_slice``): a size of ``-1`` means the rest of the axis
    from the start index as given (``dim - start``); a negative start counts from the end of the axis
    (once); then the start is clamped into ``[0, dim - size]``, so a block that would run past the end
    is shifted back inside rather than cut short. Keras' PyTorch backend cuts such blocks short instead;
    kshim follows JAX on every backend. Unlike Keras 3, the start indices are read as concrete ints, so
    they cannot be traced values.

    Args:
        inputs: Tensor or array-like.
        start_indices: One start index per leading axis (a list, array or tensor of ints); axes past its
            length are kept whole.
        shape: The size of the block along each of those axes (ints in ``[0, dim]``, or ``-1``).

    Returns:
        The block, of the dtype of ``inputs``.

    Raises:
        ValueError: If ``start_indices`` and ``shape`` differ in length, or a size (after resolving
            ``-1``) is negative or larger than its axis (Keras on JAX raises a ``TypeError`` there).

    Example:
        >>> x = kshim.ops.convert_to_tensor([[0, 1, 2], [3, 4, 5]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.slice(x, [0, 1], [2, 2]))
        array([[1, 2],
               [4, 5]], dtype=int32)
    """
    b = current()
    x = tensor(inputs)
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    sizes = [int(n) for n in np.asarray(convert_to_numpy(shape)).reshape(-1)]
    if len(starts) != len(sizes):
        raise ValueError(
            f"slice: start_indices and shape must have the same length; received "
            f"start_indices={starts} and shape={sizes}."
        )
    key = _block_key("slice", starts, sizes, tuple(b.shape(x)), allow_rest=True)
    return b.getitem(x, key)


def _block_key(name: str, starts: list, sizes: list, dims: tuple, allow_rest: bool) -> tuple:
    """Python slices for a block of ``sizes`` at ``starts``, placed as ``lax.dynamic_slice`` does."""
    if len(starts) > len(dims):
        raise ValueError(f"{name}: {len(starts)} start indices for a tensor of rank {len(dims)}.")
    key = []
    for s, n, d in zip(starts, sizes, dims):
        if allow_rest and n == -1:
            n = d - s
        if not 0 <= n <= d:
            raise ValueError(
                f"{name}: block sizes {sizes} at start indices {starts} do not fit in a tensor of "
                f"shape {dims}: each size must be in [0, dim] (-1 for the rest of the axis)."
            )
        if s < 0:
            s += d
        s = min(max(s, 0), d - n)
        key.append(_py_slice(s, s + n))
    return tuple(key)


@op
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """Returns ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    The block is placed as Keras 3 on JAX places it (``jax.lax.dynamic_update_slice``): a negative start
    counts from the end of the axis, then the start is clamped so that the whole block fits. The start
    indices are read as concrete ints (unlike Keras 3 on JAX, they cannot be traced values). The update
    is functional: ``inputs`` itself is not modified.

    Args:
        inputs: Tensor or array-like to update.
        start_indices: One start index per leading axis of the block (a list, array or tensor of ints).
        updates: The new block, cast to the dtype of ``inputs``; its shape gives the block's size.

    Returns:
        A tensor of the shape and dtype of ``inputs``.

    Example:
        >>> x = kshim.ops.convert_to_tensor([[0, 1, 2], [3, 4, 5]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.slice_update(x, [0, 1], [[9, 9]]))
        array([[0, 9, 9],
               [3, 4, 5]], dtype=int32)
    """
    b = current()
    x = tensor(inputs)
    u = tensor(updates, b.dtype(x))
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    key = _block_key("slice_update", starts, list(b.shape(u)), tuple(b.shape(x)), allow_rest=False)
    return b.slice_update(x, key, u)


@op
def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (duplicates summed).

    Args:
        indices: Integer tensor of shape ``(..., k)``; each row indexes the first ``k`` axes of the result.
        values: Tensor of shape ``indices.shape[:-1] + shape[k:]``; its dtype is the result's.
        shape: Shape of the result, a sequence of ints.

    Returns:
        A tensor of shape ``shape`` and the dtype of ``values``.

    Example:
        >>> out = kshim.ops.scatter([[0], [2], [0]], [1.0, 2.0, 3.0], (4,))
        >>> kshim.ops.convert_to_numpy(out)
        array([4., 0., 2., 0.], dtype=float32)
    """
    b = current()
    v = tensor(values)
    idx = tensor(indices)
    return b.scatter_add(b.zeros(tuple(int(s) for s in shape), b.dtype(v)), idx, v)


_SCATTER_REDUCTIONS = (None, "add", "max", "min", "mul")


@op
def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Any:
    """Returns ``inputs`` with ``updates`` written at ``indices`` (shape (..., k)).

    Args:
        inputs: The tensor to update.
        indices: Integer tensor of shape ``(N, k)`` indexing the first ``k`` axes of ``inputs``.
        updates: Tensor of shape ``(N,) + inputs.shape[k:]``.
        reduction: What happens where updates meet an existing value (and each other): ``None``
            writes (one of the duplicates wins), ``"add"`` adds, ``"max"``/``"min"`` keep the
            extreme, ``"mul"`` multiplies. The last three are composites over a one-hot
            ``(N, prod(inputs.shape[:k]))`` mask, so their memory grows with both sizes.

    Returns:
        A tensor of the shape and dtype of ``inputs``.

    Raises:
        ValueError: an unknown ``reduction``.
    """
    if reduction not in _SCATTER_REDUCTIONS:
        raise ValueError(f"scatter_update: reduction must be one of {_SCATTER_REDUCTIONS}, got {reduction!r}.")
    b = current()
    x = tensor(inputs)
    idx, upd = tensor(indices), tensor(updates, b.dtype(x))
    if reduction is None:
        return b.scatter_update(x, idx, upd)
    if reduction == "add":
        return b.scatter_add(x, idx, upd)
    shp, k = tuple(b.shape(x)), int(b.shape(idx)[-1])
    lead, rest = shp[:k], shp[k:]
    n_pos = int(np.prod(lead)) if lead else 1
    flat_idx = b.reshape(idx, (int(np.prod(b.shape(idx)[:-1])), k))
    strides = [int(np.prod(lead[i + 1 :])) for i in range(k)]
    pos = b.sum(b.multiply(b.cast(flat_idx, "int64"), b.convert_to_tensor(np.asarray(strides, np.int64))), (1,))
    n = int(b.shape(pos)[0])
    u = b.reshape(upd, (n,) + rest)
    hit = b.equal(b.reshape(pos, (n, 1)), b.reshape(b.arange(0, n_pos, 1, "int64"), (1, n_pos)))  # (N, P)
    hit = b.reshape(hit, (n, n_pos) + (1,) * len(rest))
    u = b.reshape(u, (n, 1) + rest)
    xf = b.reshape(x, (n_pos,) + rest)
    dt = b.dtype(x)
    if reduction == "mul":
        fill = b.ones((), dt)
        red = b.prod(b.where(hit, u, fill), (0,))
        out = b.multiply(xf, red)
    else:
        if dt in ("float16", "bfloat16", "float32", "float64"):
            big = np.inf if reduction == "min" else -np.inf
        else:
            info = np.iinfo(dt) if dt != "bool" else None
            big = (info.max if reduction == "min" else info.min) if info is not None else reduction == "min"
        fill = b.full((), big, dt)
        if reduction == "max":
            out = b.maximum(xf, b.max(b.where(hit, u, fill), (0,)))
        else:
            out = b.minimum(xf, b.min(b.where(hit, u, fill), (0,)))
    return b.reshape(out, shp)


@op
def unstack(x: Any, num: int | None = None, axis: int = 0) -> list:
    """Split along ``axis`` into a list of tensors with that axis removed.

    Args:
        x: Tensor or array-like.
        num: Accepted for Keras compatibility and ignored: the count is the static size of ``axis``.
        axis: The axis to split along (default 0; negative values count from the end).

    Returns:
        A list of ``x.shape[axis]`` tensors of shape ``x.shape`` without ``axis``.

    Raises:
        ValueError: If ``axis`` is out of range for ``x``.
    """
    b = current()
    x = tensor(x)
    shp = b.shape(x)
    axis = norm_axis(axis, len(shp))
    lead = (_py_slice(None),) * axis
    return [b.getitem(x, lead + (i,)) for i in range(shp[axis])]


def switch(index: Any, branches: list, *operands: Any) -> Any:
    """Calls ``branches[index](*operands)`` (index clamped to range).

    The index is read as a concrete int, so unlike Keras 3 (``jax.lax.switch`` on JAX) it cannot be a
    traced value; only the chosen branch runs.

    Args:
        index: Integer scalar (Python or tensor); below 0 picks the first branch, past the end the last.
        branches: Sequence of callables.
        *operands: Positional arguments passed to the chosen branch.

    Returns:
        The result of the chosen branch.
    """
    i = int(np.clip(int(convert_to_numpy(index)), 0, len(branches) - 1))
    return branches[i](*operands)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
