"""Core ops (``keras.ops`` core namespace): conversion, casting, indexing, scatter, control flow."""
from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ..variables import Variable
from ._dispatch import dtype_of, norm_axis, op, shape_of, tensor

_py_slice = builtins.slice


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Any:
    """Array-like -> tensor of the active backend."""
    return tensor(x, None if dtype is None else _dt.standardize_dtype(dtype))


def convert_to_numpy(x: Any) -> np.ndarray:
    """Tensor (or Variable) -> ``np.ndarray``."""
    if isinstance(x, Variable):
        return x.numpy()
    b = current()
    if b.is_tensor(x):
        return b.to_numpy(x)
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of the active backend."""
    return current().is_tensor(x)


@op
def cast(x: Any, dtype: Any) -> Any:
    """Cast to ``dtype``."""
    return tensor(x, _dt.standardize_dtype(dtype))


def shape(x: Any) -> tuple:
    """Static shape as a tuple."""
    return tuple(shape_of(x))


def dtype(x: Any) -> str:
    """Canonical dtype name."""
    return dtype_of(x)


@op
def stop_gradient(variable: Any) -> Any:
    """Blocks gradients flowing through ``variable``."""
    return current().stop_gradient(tensor(variable))


def cond(pred: Any, true_fn: Callable, false_fn: Callable) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable on every backend."""
    b = current()
    if isinstance(pred, (bool, np.bool_)):
        return true_fn() if pred else false_fn()
    return b.cond(tensor(pred), true_fn, false_fn)


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False,
         unroll: int = 1) -> tuple[Any, Any]:
    """``jax.lax.scan`` semantics: ``f(carry, x) -> (carry, y)``; returns ``(carry, stacked ys)``."""
    return current().scan(f, init, xs, length=length, reverse=reverse)


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``, differentiable (via scan)."""
    b = current()
    n = int(upper) - int(lower)
    if n <= 0:
        return init_val

    def step(carry, i):
        return body_fun(i, carry), None
    carry, _ = b.scan(step, init_val, b.arange(int(lower), int(upper), 1, "int32"))
    return carry


def while_loop(cond: Callable, body: Callable, loop_vars: Any, maximum_iterations: int | None = None) -> Any:
    """Eager ``while cond(*vars): vars = body(*vars)`` (not traceable under jax.jit)."""
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
            raise TypeError(f"Unsupported index {k!r}: use ints, slices, None, Ellipsis, or a single "
                            f"integer tensor (kshim.ops.take for gathers).")
    return tuple(out)


def _is_index_array(k: Any) -> bool:
    b = current()
    return (b.is_tensor(k) or isinstance(k, (np.ndarray, list))) and not isinstance(k, bool)


@op
def get_item(x: Any, key: Any) -> Any:
    """``x[key]`` with basic indexing, or a single integer index tensor (gather on axis 0)."""
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
    """Static slice of ``shape`` starting at ``start_indices``."""
    b = current()
    x = tensor(inputs)
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    return b.getitem(x, tuple(_py_slice(s, s + int(n)) for s, n in zip(starts, shape)))


@op
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """Returns ``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    b = current()
    x = tensor(inputs)
    u = tensor(updates, b.dtype(x))
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    key = tuple(_py_slice(s, s + n) for s, n in zip(starts, b.shape(u)))
    return b.slice_update(x, key, u)



@op
def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (duplicates summed)."""
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
    strides = [int(np.prod(lead[i + 1:])) for i in range(k)]
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
    """Split along ``axis`` into a list of tensors with that axis removed."""
    b = current()
    x = tensor(x)
    shp = b.shape(x)
    axis = norm_axis(axis, len(shp))
    lead = (_py_slice(None),) * axis
    return [b.getitem(x, lead + (i,)) for i in range(shp[axis])]


def switch(index: Any, branches: list, *operands: Any) -> Any:
    """Calls ``branches[index](*operands)`` (index clamped to range)."""
    i = int(np.clip(int(convert_to_numpy(index)), 0, len(branches) - 1))
    return branches[i](*operands)


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
