"""The PyTorch backend object: conversion, elementwise ops, reductions, indexing, linalg."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from .._base import BaseBackend, canonical_dtype, check_complete, complex_cast_message, install_methods
from .._einsum import plan_matmul
from .._threefry import MASK, PARITY, ROTATIONS
from .._protocol import BINARY_OPS, UNARY_OPS
from ._common import FROM_TORCH, TO_TORCH, WIDE_UNSIGNED, make_op, widen_retry, widening
from .control import ControlMixin
from .module import TorchLayerModule, assign_into, stable_storage
from .nn import NNMixin
from .rnn import RnnMixin
from .linalg import LinalgMixin
from .signal import SignalMixin
from .transforms import TransformsMixin

_PAD_MODES = {"reflect": "reflect", "symmetric": "symmetric", "edge": "edge"}


def _softplus(x):
    # threshold: where log1p(exp(-x)) drops below the dtype's resolution relative to x.
    return F.softplus(x, 1.0, 40.0 if x.dtype == torch.float64 else 20.0)


def _floor_divide(x1, x2):
    return torch.div(x1, x2, rounding_mode="floor")


def _sign(x):
    # torch.sign maps nan to 0; NumPy, JAX and Keras keep nan
    y = torch.sign(x)
    return torch.where(torch.isnan(x), x, y) if x.is_floating_point() else y


_UNARY = {
    "negative": torch.neg,
    "abs": torch.abs,
    "sign": _sign,
    "exp": torch.exp,
    "log": torch.log,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "sqrt": torch.sqrt,
    "square": torch.square,
    "reciprocal": torch.reciprocal,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "arcsinh": torch.asinh,
    "arccosh": torch.acosh,
    "arctanh": torch.atanh,
    "erf": torch.erf,
    "erfinv": torch.erfinv,
    "sigmoid": torch.sigmoid,
    "softplus": _softplus,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,
    "logical_not": torch.logical_not,
    "isnan": torch.isnan,
    "isinf": torch.isinf,
    "isfinite": torch.isfinite,
    "bitwise_not": torch.bitwise_not,
}
_BINARY = {
    "add": torch.add,
    "subtract": torch.sub,
    "multiply": torch.mul,
    "divide": torch.true_divide,
    "floor_divide": _floor_divide,
    "mod": torch.remainder,
    "power": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "arctan2": torch.atan2,
    "equal": torch.eq,
    "not_equal": torch.ne,
    "less": torch.lt,
    "less_equal": torch.le,
    "greater": torch.gt,
    "greater_equal": torch.ge,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
    "bitwise_and": torch.bitwise_and,
    "bitwise_or": torch.bitwise_or,
    "bitwise_xor": torch.bitwise_xor,
    "left_shift": torch.bitwise_left_shift,
    "right_shift": torch.bitwise_right_shift,
}
assert set(_UNARY) == set(UNARY_OPS) and set(_BINARY) == set(BINARY_OPS)


def _leaves(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _leaves(e)
        else:
            yield e


def _tdtype(dtype: Any) -> torch.dtype:
    t = TO_TORCH.get(dtype)
    if t is None:
        t = TO_TORCH[canonical_dtype(dtype)]
    return t


def _einsum_as_tensordot(subscripts: str, operands: tuple) -> tuple | None:
    """``((dims_a, dims_b), permutation)`` when a two-operand einsum is a plain contraction -- every index
    is either in both inputs and not the output (contracted) or in one input and the output -- else None.
    ``torch.einsum`` runs such a contraction as a ``bmm`` with a batch of one, which on CPU is ~1.8x
    slower than the ``mm`` that ``tensordot`` uses (EinsumDense's ``abc,cde->abde``: 811 vs 452 us);
    the result is the same contraction (float rounding may differ at the last bit). With a batch index
    ``torch.einsum``'s ``bmm`` is the right kernel (no plan here)."""
    if len(operands) != 2:
        return None
    p = plan_matmul(subscripts, tuple(operands[0].shape), tuple(operands[1].shape))
    if p is None or p.n_batch or not p.dims_a:
        return None
    return (list(p.dims_a), list(p.dims_b)), p.out_perm


class TorchBackend(NNMixin, RnnMixin, ControlMixin, LinalgMixin, SignalMixin, TransformsMixin, BaseBackend):
    """kshim backend over ``torch.Tensor`` (see the package docstring for limitations)."""

    name = "torch"
    supports_jit = True  # trace-and-replay of the built-in steps (tracing.py)
    tensor_modules = ("torch", "kshim.backends.torch")
    layer_module_base = TorchLayerModule  # layers created under torch are torch.nn.Modules (module.py)

    stable_storage = staticmethod(stable_storage)  # module.py: Parameters written in place
    assign_into = staticmethod(assign_into)

    def grad_leaf(self, tensor: Any) -> Any:
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            return tensor.detach().requires_grad_(True)
        return tensor

    def __init__(self, device: str | None = None):
        from .._device import env_device

        self._device = self._resolve_device(device or env_device() or os.environ.get("KSHIM_TORCH_DEVICE") or None)
        # Full float precision for matmul/conv (the protocol asks for it).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        self._default_threads = torch.get_num_threads()  # torch's own choice (see decoding_context)

    # ---- conversion and dtypes -------------------------------------------------------------
    def convert_to_tensor(self, x: Any, dtype: str | None = None) -> torch.Tensor:
        tdt = None if dtype is None else _tdtype(dtype)
        dev = self._device
        if isinstance(x, torch.Tensor):
            if x.device != dev:
                x = x.to(dev)
            if tdt is not None and x.dtype != tdt:
                x = x.to(tdt)
            return x
        if isinstance(x, bool):
            return torch.tensor(x, dtype=tdt or torch.bool, device=dev)
        if isinstance(x, int):
            if tdt is not None and tdt in WIDE_UNSIGNED:
                return torch.tensor(x, dtype=torch.int64, device=dev).to(tdt)
            return torch.tensor(x, dtype=tdt or torch.int64, device=dev)
        if isinstance(x, float):
            if tdt is not None and not tdt.is_floating_point and tdt != torch.bool:
                return torch.tensor(x, dtype=torch.float64, device=dev).to(tdt)
            return torch.tensor(x, dtype=tdt or torch.float64, device=dev)
        self.check_foreign(x)
        if (
            isinstance(x, (list, tuple))
            and x
            and any(isinstance(e, (torch.Tensor, list, tuple)) for e in x)
            and any(isinstance(e, torch.Tensor) for e in _leaves(x))
        ):
            # Nested sequences holding tensors (possibly on an accelerator): stack on device.
            parts = [self.convert_to_tensor(e) for e in x]
            dt = tdt or functools.reduce(torch.promote_types, [p.dtype for p in parts])
            return torch.stack([p.to(dt) for p in parts])
        arr = np.asarray(x)
        return self._from_numpy(arr, tdt)

    def _from_numpy(self, arr: np.ndarray, tdt) -> torch.Tensor:
        if arr.dtype == object or arr.dtype.kind in "USO":
            raise TypeError(f"Cannot convert an array of dtype {arr.dtype} to a torch tensor")
        if arr.dtype.name == "bfloat16":
            t = torch.from_numpy(np.ascontiguousarray(arr).view(np.uint16)).view(torch.bfloat16)
        else:
            if not arr.flags.writeable or any(s < 0 for s in arr.strides):
                arr = np.array(arr)
            if arr.dtype.byteorder not in "=|":
                arr = arr.astype(arr.dtype.newbyteorder("="))
            t = torch.from_numpy(arr)
        # Always copy: the tensor must not alias the caller's NumPy buffer.
        if tdt is not None and tdt in WIDE_UNSIGNED and t.dtype.is_floating_point:
            t = t.to(torch.int64)
        return t.to(device=self._device, dtype=tdt or t.dtype, copy=True)

    def host_view(self, arr: np.ndarray) -> torch.Tensor | None:
        """A CPU tensor sharing ``arr``'s memory (no copy), or None where that is not possible. For
        internal batching only (``fit`` slices it per batch); ``convert_to_tensor`` always copies."""
        if (
            self._device.type != "cpu"
            or not isinstance(arr, np.ndarray)
            or not arr.flags.writeable
            or arr.dtype.byteorder not in "=|"
            or arr.dtype.kind not in "biuf"
            or arr.dtype.name in ("uint16", "uint32", "uint64", "bfloat16")
            or any(s < 0 for s in arr.strides)
        ):
            return None
        return torch.from_numpy(arr)

    def to_numpy(self, x: Any) -> np.ndarray:
        if not isinstance(x, torch.Tensor):
            return np.asarray(x)
        x = x.detach()
        if x.dtype == torch.bfloat16:
            import ml_dtypes

            return x.to(torch.float32).cpu().numpy().astype(ml_dtypes.bfloat16)
        if x.device.type != "cpu":
            return x.cpu().numpy()
        return x.resolve_conj().resolve_neg().numpy().copy()

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, torch.Tensor)

    def dtype(self, x: torch.Tensor) -> str:
        return FROM_TORCH[x.dtype]

    def shape(self, x: torch.Tensor) -> tuple:
        return tuple(x.shape)

    def cast(self, x: torch.Tensor, dtype: str) -> torch.Tensor:
        tdt = _tdtype(dtype)
        if x.dtype == tdt:
            return x
        if x.is_complex() and not tdt.is_complex:
            raise TypeError(complex_cast_message(str(x.dtype).replace("torch.", ""), dtype))
        if tdt in WIDE_UNSIGNED and x.dtype.is_floating_point:
            x = x.to(torch.int64)
        return x.to(tdt)

    # ---- creation ---------------------------------------------------------------------------
    def zeros(self, shape, dtype):
        return torch.zeros(tuple(shape), dtype=_tdtype(dtype), device=self._device)

    def ones(self, shape, dtype):
        return torch.ones(tuple(shape), dtype=_tdtype(dtype), device=self._device)

    def full(self, shape, fill_value, dtype):
        tdt = _tdtype(dtype)
        if isinstance(fill_value, torch.Tensor):
            return fill_value.to(device=self._device, dtype=tdt).expand(tuple(shape)).clone()
        if tdt in WIDE_UNSIGNED:
            return torch.full(tuple(shape), int(fill_value), dtype=torch.int64, device=self._device).to(tdt)
        return torch.full(tuple(shape), fill_value, dtype=tdt, device=self._device)

    def arange(self, start, stop, step, dtype):
        tdt = _tdtype(dtype)
        if tdt in WIDE_UNSIGNED:
            return torch.arange(start, stop, step, dtype=torch.int64, device=self._device).to(tdt)
        if tdt in (torch.float16, torch.bfloat16):
            return torch.arange(start, stop, step, dtype=torch.float64, device=self._device).to(tdt)
        return torch.arange(start, stop, step, dtype=tdt, device=self._device)

    def eye(self, n, m, k, dtype):
        tdt = _tdtype(dtype)
        m = n if m is None else m
        k = int(k or 0)
        if k == 0 and tdt not in WIDE_UNSIGNED:
            return torch.eye(n, m, dtype=tdt, device=self._device)
        r = torch.arange(n, device=self._device)[:, None]
        c = torch.arange(m, device=self._device)[None, :]
        return (c - r == k).to(tdt)

    # ---- elementwise ------------------------------------------------------------------------
    _FOREACH = {
        "add": "_foreach_add",
        "subtract": "_foreach_sub",
        "multiply": "_foreach_mul",
        "divide": "_foreach_div",
        "maximum": "_foreach_maximum",
        "minimum": "_foreach_minimum",
        "sqrt": "_foreach_sqrt",
        "exp": "_foreach_exp",
        "abs": "_foreach_abs",
        "negative": "_foreach_neg",
    }

    def foreach(self, name, *args):
        """Multi-tensor kernels (``torch._foreach_*``): one call for all tensors, same arithmetic
        (``lerp`` is torch's FMA-based one: within rounding of ``a + (b - a) * w``)."""
        if name == "lerp" and isinstance(args[0], list) and isinstance(args[1], list):
            w = args[2]
            if (
                not isinstance(w, list)
                and getattr(w, "ndim", 1) == 0
                and all(t.dtype == w.dtype for t in args[0] + args[1])
            ):
                return list(torch._foreach_lerp(args[0], args[1], w))
        if name == "subtract_quotient" and all(isinstance(a, list) for a in args):
            return list(torch._foreach_addcdiv(args[0], args[1], args[2], value=-1))
        if name == "square" and len(args) == 1 and isinstance(args[0], list):
            return list(torch._foreach_mul(args[0], args[0]))
        fn = getattr(torch, self._FOREACH.get(name, ""), None)
        if fn is None or len(args) > 2 or not args or not isinstance(args[0], list):
            return super().foreach(name, *args)
        if len(args) == 1:
            return list(fn(args[0]))
        other = args[1]
        if not isinstance(other, list):
            if getattr(other, "ndim", 1) != 0 or name in ("maximum", "minimum"):
                return super().foreach(name, *args)
        return list(fn(args[0], other))

    @widening
    def where(self, condition, x1, x2):
        return torch.where(condition, x1, x2)

    # ---- reductions -------------------------------------------------------------------------
    @staticmethod
    def _reduce_dims(x, axis, keepdims):
        """(dims, done): dims for torch; done is the result when nothing is reduced."""
        if axis is None:
            if x.ndim == 0:
                return None, True
            return (tuple(range(x.ndim)) if keepdims else None), False
        if len(axis) == 0:
            return None, True
        return tuple(axis), False

    @widening
    def sum(self, x, axis=None, keepdims=False):
        dims, done = self._reduce_dims(x, axis, keepdims)
        if done:
            return x
        dt = None if x.is_floating_point() else x.dtype
        if dims is None:
            return torch.sum(x, dtype=dt)
        return torch.sum(x, dims, keepdims, dtype=dt)

    @widening
    def prod(self, x, axis=None, keepdims=False):
        dims, done = self._reduce_dims(x, axis, keepdims)
        if done:
            return x
        dt = None if x.is_floating_point() else x.dtype
        if dims is None:
            return torch.prod(x, dtype=dt)
        for d in sorted(dims, reverse=True):
            x = torch.prod(x, d, keepdims, dtype=dt)
        return x

    @widening
    def _minmax(self, fn, boolfn, x, axis, keepdims):
        dims, done = self._reduce_dims(x, axis, keepdims)
        if done:
            return x
        if x.dtype == torch.bool:
            fn = boolfn
        if dims is None:
            return fn(x)
        return fn(x, dims, keepdims)

    def max(self, x, axis=None, keepdims=False):
        return self._minmax(torch.amax, torch.any, x, axis, keepdims)

    def min(self, x, axis=None, keepdims=False):
        return self._minmax(torch.amin, torch.all, x, axis, keepdims)

    def any(self, x, axis=None, keepdims=False):
        if x.dtype != torch.bool:
            x = x != 0
        dims, done = self._reduce_dims(x, axis, keepdims)
        if done:
            return x
        return torch.any(x) if dims is None else torch.any(x, dims, keepdims)

    def all(self, x, axis=None, keepdims=False):
        if x.dtype != torch.bool:
            x = x != 0
        dims, done = self._reduce_dims(x, axis, keepdims)
        if done:
            return x
        return torch.all(x) if dims is None else torch.all(x, dims, keepdims)

    def _arg(self, fn, x, axis, keepdims):
        if x.dtype == torch.bool or x.dtype in WIDE_UNSIGNED:
            x = x.to(torch.int64) if x.dtype in WIDE_UNSIGNED else x.to(torch.uint8)
        if axis is None:
            r = fn(x.reshape(-1), 0)
            return r.reshape((1,) * x.ndim) if keepdims else r
        return fn(x, axis, keepdims)

    def argmax(self, x, axis, keepdims=False):
        return self._arg(torch.argmax, x, axis, keepdims)

    def argmin(self, x, axis, keepdims=False):
        return self._arg(torch.argmin, x, axis, keepdims)

    @widening
    def cumsum(self, x, axis):
        dt = None if x.is_floating_point() else x.dtype
        return torch.cumsum(x, axis, dtype=dt)

    @widening
    def cumprod(self, x, axis):
        dt = None if x.is_floating_point() else x.dtype
        return torch.cumprod(x, axis, dtype=dt)

    @widening
    def sort(self, x, axis):
        return torch.sort(x, dim=axis, stable=True)[0]

    def argsort(self, x, axis):
        if x.dtype in WIDE_UNSIGNED:
            x = x.to(torch.int64)
        return torch.argsort(x, dim=axis, stable=True)

    def top_k(self, x, k):
        # torch.topk does not order ties by index; a stable descending sort does.
        if x.dtype in WIDE_UNSIGNED:
            v, i = torch.sort(x.to(torch.int64), dim=-1, descending=True, stable=True)
            return v[..., :k].to(x.dtype), i[..., :k]
        v, i = torch.sort(x, dim=-1, descending=True, stable=True)
        return v[..., :k], i[..., :k]

    # ---- fused (optional) -------------------------------------------------------------------
    def threefry2x32(self, k0, k1, x0, x1):
        """Optional fused Threefry-2x32 for ``kshim.random.threefry`` (same bits as the composite):
        int32 two's-complement arithmetic wraps like uint32, so only the logical right shifts need a
        mask, instead of masking int64 words after every add and shift. Keys may be traced tensors."""
        i32 = torch.int32
        k0, k1 = k0.to(i32), k1.to(i32)
        ks = (k0, k1, k0 ^ k1 ^ PARITY)
        u, v = torch.broadcast_tensors(x0.to(i32), x1.to(i32))
        u, v = u + k0, v + k1
        for i in range(5):
            for r in ROTATIONS[i % 2]:
                u.add_(v)
                v = ((v >> (32 - r)) & ((1 << r) - 1)).bitwise_or_(v << r).bitwise_xor_(u)
            u.add_(ks[(i + 1) % 3])
            v.add_(ks[(i + 2) % 3]).add_(i + 1)
        return u.to(torch.int64) & MASK, v.to(torch.int64) & MASK

    def relu(self, x):
        return torch.relu(x)

    @contextlib.contextmanager
    def decoding_context(self, decode_threads: int) -> Iterator[None]:
        """While batches are decoded from files on ``decode_threads`` threads concurrently with the
        step, the step computes on the cores left over (at least one): torch's OpenMP threads spin
        after each op, on the cores the decoding needs. Measured on 2 cores (10,000 64x64 JPEGs,
        ``benchmarks/data_pipeline.py``): a linear model 15.6k -> 21.0k images/s, a small CNN 8.1k ->
        8.7k. Left alone when the thread count is not torch's default (``torch.set_num_threads``
        or ``OMP_NUM_THREADS`` chosen by the user), and on a CUDA device."""
        now = torch.get_num_threads()
        share = max(1, (os.cpu_count() or 1) - int(decode_threads))
        if (
            self._device.type != "cpu"
            or now != self._default_threads
            or "OMP_NUM_THREADS" in os.environ
            or share >= now
        ):
            yield
            return
        torch.set_num_threads(share)
        try:
            yield
        finally:
            torch.set_num_threads(now)

    def inference_context(self):
        # no autograd bookkeeping; and oneDNN's CPU LSTM checks grad mode, not requires_grad: with grad
        # mode on it runs its training primitive (~2.6x slower) even when nothing requires grad
        return torch.no_grad()

    def split_at(self, x, indices: list, axis: int) -> list:
        # split_with_sizes: one autograd node whose backward is a concatenation (tensor_split narrows)
        bounds = [0, *indices, x.shape[axis]]
        return list(torch.split(x, [hi - lo for lo, hi in zip(bounds[:-1], bounds[1:])], dim=axis))

    def layer_norm(self, x, gamma, beta, n_axes: int, epsilon: float):
        # aten's native_layer_norm (one kernel forward and backward), what Keras' torch backend calls
        if x.dtype not in (torch.float32, torch.float64):
            return None
        return torch.nn.functional.layer_norm(x, tuple(x.shape[x.dim() - n_axes :]), gamma, beta, epsilon)

    def softmax(self, x, axis: int):
        return torch.softmax(x, axis)

    def log_softmax(self, x, axis: int):
        return torch.log_softmax(x, axis)

    def logsumexp(self, x, axis=None, keepdims=False):
        if axis is None:
            if x.ndim == 0:
                return x
            axis = tuple(range(x.ndim))
        elif len(axis) == 0:
            return x
        return torch.logsumexp(x, tuple(axis), keepdims)

    # ---- shape, indexing --------------------------------------------------------------------
    def reshape(self, x, shape):
        return x.reshape(tuple(shape))

    def transpose(self, x, axes):
        return x.permute(tuple(axes))

    def broadcast_to(self, x, shape):
        return x.expand(tuple(shape))

    def concatenate(self, xs, axis):
        try:
            return torch.cat(list(xs), axis)
        except (RuntimeError, NotImplementedError) as e:
            return widen_retry(lambda *v: torch.cat(list(v), axis), tuple(xs), e)

    @widening
    def pad(self, x, pad_width, mode="constant", constant_values=0):
        pad_width = [(int(lo), int(hi)) for lo, hi in pad_width]
        if mode == "constant":
            flat: list[int] = []
            for lo, hi in reversed(pad_width):
                flat += (lo, hi)
            if not any(flat):
                return x
            return F.pad(x, flat, value=constant_values)
        np_mode: Any = _PAD_MODES.get(mode)  # one of numpy's pad modes (its stubs want a Literal)
        if np_mode is None:
            raise ValueError(f"Unsupported pad mode {mode!r}")
        for ax, (lo, hi) in enumerate(pad_width):
            if lo == 0 and hi == 0:
                continue
            idx = np.pad(np.arange(x.shape[ax]), (lo, hi), mode=np_mode)
            x = torch.index_select(x, ax, torch.as_tensor(idx, device=x.device))
        return x

    @staticmethod
    def _positive_key(shape, key):
        """Rewrite negative-step slices (torch has none) as positive ones + output flips."""
        for k in key:
            if isinstance(k, slice) and k.step is not None and k.step < 0:
                break
        else:
            return key, ()
        consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
        new: list[Any] = []
        flips: list[int] = []
        dim, out = 0, 0
        for k in key:
            if k is Ellipsis:
                n = len(shape) - consumed
                dim += n
                out += n
                new.append(k)
            elif k is None:
                new.append(None)
                out += 1
            elif isinstance(k, slice):
                if k.step is not None and k.step < 0:
                    r = range(*k.indices(shape[dim]))
                    if len(r) == 0:
                        new.append(slice(0, 0))
                    else:
                        new.append(slice(r[-1], r[0] + 1, -k.step))
                        flips.append(out)
                else:
                    new.append(k)
                dim += 1
                out += 1
            else:
                new.append(k)
                dim += 1
        return tuple(new), tuple(flips)

    def getitem(self, x, key):
        if not isinstance(key, tuple):
            key = (key,)
        key, flips = self._positive_key(x.shape, key)
        r = x[key]
        return r.flip(flips) if flips else r

    @widening
    def slice_update(self, x, key, update):
        if not isinstance(key, tuple):
            key = (key,)
        key, flips = self._positive_key(x.shape, key)
        y = x.clone()
        if flips:
            update = update.expand(y[key].shape).flip(flips)
        y[key] = update
        return y

    @staticmethod
    def _index(indices, n):
        if indices.dtype != torch.int64 and indices.dtype != torch.int32:
            indices = indices.to(torch.int64)
        return torch.where(indices < 0, indices + n, indices)

    @widening
    def take(self, x, indices, axis):
        axis = axis % x.ndim
        indices = self._index(indices, x.shape[axis])
        if indices.ndim == 1:
            return torch.index_select(x, axis, indices)
        out = torch.index_select(x, axis, indices.reshape(-1))
        return out.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1 :])

    @widening
    def take_along_axis(self, x, indices, axis):
        axis = axis % x.ndim
        indices = self._index(indices, x.shape[axis])
        xs, ishape = list(x.shape), list(indices.shape)
        xs[axis] = ishape[axis] = 1
        b = list(torch.broadcast_shapes(tuple(xs), tuple(ishape)))
        bi, bx = list(b), list(b)
        bi[axis], bx[axis] = indices.shape[axis], x.shape[axis]
        return torch.gather(x.expand(bx), axis, indices.expand(bi))

    @staticmethod
    def _scatter_idx(indices):
        if indices.dtype != torch.int64:
            indices = indices.to(torch.int64)
        return tuple(indices.unbind(-1))

    @widening
    def scatter_add(self, x, indices, updates):
        return x.index_put(self._scatter_idx(indices), updates, accumulate=True)

    @widening
    def scatter_update(self, x, indices, updates):
        return x.index_put(self._scatter_idx(indices), updates, accumulate=False)

    # ---- linear algebra -----------------------------------------------------------------------
    @widening
    def matmul(self, x1, x2):
        return torch.matmul(x1, x2)

    @widening
    def einsum(self, subscripts, *operands):
        dims = _einsum_as_tensordot(subscripts, operands)
        if dims is not None:
            (da, db), perm = dims
            out = torch.tensordot(operands[0], operands[1], dims=(da, db))
            return out.permute(perm) if perm != tuple(range(len(perm))) else out
        return torch.einsum(subscripts, *operands)

    # ---- device ---------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self._device

    def set_deterministic(self, enabled: bool) -> list[str]:
        """Deterministic algorithms, cuDNN and cuBLAS settings (see ``backends/torch/determinism.py``)."""
        from .determinism import set_deterministic

        return set_deterministic(enabled)

    @staticmethod
    def _resolve_device(spec: str | None) -> torch.device:
        """``spec`` (``backends._device`` form) as a torch device; ``None``: torch's best device, as Keras
        picks it (CUDA if available, else MPS, else CPU)."""
        from .._device import parse_device, unavailable

        mps = getattr(torch.backends, "mps", None)
        has_mps = mps is not None and mps.is_available()
        if spec is None:
            if torch.cuda.is_available():
                return torch.device("cuda", torch.cuda.current_device())
            return torch.device("mps" if has_mps else "cpu")
        kind, index = parse_device(spec)
        available = ["cpu"] + [f"gpu:{i}" for i in range(torch.cuda.device_count())] + (["mps"] if has_mps else [])
        if kind == "cpu" and index in (None, 0):
            return torch.device("cpu")
        if kind == "gpu" and torch.cuda.is_available() and (index or 0) < torch.cuda.device_count():
            return torch.device("cuda", torch.cuda.current_device() if index is None else index)
        if kind == "mps" and has_mps and index in (None, 0):
            return torch.device("mps")
        raise unavailable("torch", spec, available)

    @contextlib.contextmanager
    def device_scope(self, device: str) -> Iterator[None]:
        """Tensors and variables created inside live on ``device`` (see ``_protocol``)."""
        new = self._resolve_device(device)
        old, self._device = self._device, new
        try:
            yield
        finally:
            self._device = old

    def device_name(self) -> str:
        d = self._device
        if d.type == "cuda":
            return f"cuda:{d.index} ({torch.cuda.get_device_name(d.index)})"
        return str(d)


install_methods(
    TorchBackend, {**{n: make_op(f, 1) for n, f in _UNARY.items()}, **{n: make_op(f, 2) for n, f in _BINARY.items()}}
)
check_complete(TorchBackend)
