"""The NumPy backend: plain ``np.ndarray`` fast path, traced ``Tensor`` path under differentiation.

Every primitive checks whether an input is a traced ``Tensor`` (a class-identity test); if none
is, it calls NumPy directly. Otherwise it dispatches to the traced rule, which computes on the
raw values and records one tape node with its VJP.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .._base import (
    BINARY_OPS,
    DTYPES,
    REDUCE_OPS,
    UNARY_OPS,
    BaseBackend,
    canonical_dtype,
    check_complete,
    complex_cast_message,
    install_methods,
)
from .._einsum import plan_matmul
from .._threefry import threefry2x32_uint32
from . import nn
from . import rawops as R
from .linalg import LinalgMixin
from .rnn import RnnMixin
from .signal import SignalMixin
from .transforms import TransformsMixin
from .autodiff import tensor as _tensor_mod
from .autodiff import rules_array as RA
from .autodiff import rules_math as RM
from .autodiff import rules_nn as RN
from .autodiff.grad import value_and_grad_flat as _value_and_grad_flat
from .autodiff.tensor import Tensor, val

_T = Tensor
_NP_TYPES = (np.ndarray, np.generic, Tensor)

try:
    import ml_dtypes as _mld

    _BF16 = np.dtype(_mld.bfloat16)
except ImportError:  # pragma: no cover
    _BF16 = None

_NPDT = {d: (np.dtype(d) if d != "bfloat16" else _BF16) for d in DTYPES}
_NAMES = {v: k for k, v in _NPDT.items() if v is not None}


def _npdt(dtype):
    d = _NPDT.get(dtype)
    if d is None:
        d = _NPDT[canonical_dtype(dtype)]
    return d


def _any_traced(xs):
    for x in xs:
        if x.__class__ is _T:
            return True
    return False


class NumpyBackend(RnnMixin, LinalgMixin, SignalMixin, TransformsMixin, BaseBackend):
    """kshim backend over NumPy with its own reverse-mode tape."""

    name = "numpy"
    Tensor = Tensor
    tensor_modules = ("kshim.backends.numpy",)

    def __init__(self) -> None:
        from .._device import env_device

        self.check_host_device(env_device())  # KSHIM_DEVICE=gpu cannot apply to NumPy: say so

    # ---- conversion and dtypes ---------------------------------------------------------------
    def convert_to_tensor(self, x, dtype=None):
        cls = x.__class__
        if cls is np.ndarray or cls is _T:
            if dtype is None or (x.dtype == _npdt(dtype)):
                return x
            return self.cast(x, dtype)
        self.check_foreign(x)
        if dtype is not None:
            return np.asarray(x, dtype=_npdt(dtype))
        if isinstance(x, bool):
            return np.asarray(x, dtype=np.bool_)
        if isinstance(x, int):
            return np.asarray(x, dtype=np.int64)
        if isinstance(x, float):
            return np.asarray(x, dtype=np.float64)
        arr = np.asarray(x)
        if arr.dtype not in _NAMES:
            if arr.dtype.kind == "O":
                raise TypeError(f"kshim numpy backend: cannot convert {type(x).__name__} to a tensor")
            raise TypeError(f"kshim numpy backend: unsupported dtype {arr.dtype}")
        return arr

    def to_numpy(self, x):
        if x.__class__ is _T:
            x = x.value
        return np.asarray(x)

    def is_tensor(self, x):
        return isinstance(x, _NP_TYPES)

    def dtype(self, x):
        d = val(x).dtype
        n = _NAMES.get(d)
        if n is None:
            n = canonical_dtype(d)
        return n

    def shape(self, x):
        return tuple(val(x).shape)

    def cast(self, x, dtype):
        d = _npdt(dtype)
        if d.kind != "c" and getattr(x, "dtype", None) is not None and np.dtype(x.dtype).kind == "c":
            raise TypeError(complex_cast_message(str(np.dtype(x.dtype)), dtype))
        if x.__class__ is _T:
            return RM.cast(x, d)
        return np.asarray(x).astype(d, copy=False)

    # ---- creation ------------------------------------------------------------------------------
    def zeros(self, shape, dtype):
        return np.zeros(shape, _npdt(dtype))

    def ones(self, shape, dtype):
        return np.ones(shape, _npdt(dtype))

    def full(self, shape, fill_value, dtype):
        return np.full(shape, val(fill_value), _npdt(dtype))

    def arange(self, start, stop, step, dtype):
        return np.arange(start, stop, step, dtype=_npdt(dtype))

    def eye(self, n, m, k, dtype):
        return np.eye(n, m, k, dtype=_npdt(dtype))

    # ---- elementwise -----------------------------------------------------------------------------
    def where(self, condition, x1, x2):
        if condition.__class__ is _T or x1.__class__ is _T or x2.__class__ is _T:
            return RM.where(condition, x1, x2)
        return np.where(condition, x1, x2)

    # ---- fused nn helpers --------------------------------------------------------------------------
    def relu(self, x):
        return RM.relu(x) if x.__class__ is _T else np.maximum(x, 0)

    def softmax(self, x, axis):
        return RM.softmax(x, axis) if x.__class__ is _T else R.softmax(x, axis)

    def log_softmax(self, x, axis):
        return RM.log_softmax(x, axis) if x.__class__ is _T else R.log_softmax(x, axis)

    def logsumexp(self, x, axis=None, keepdims=False):
        return RM.logsumexp(x, axis, keepdims) if x.__class__ is _T else R.logsumexp(x, axis, keepdims)

    # ---- reductions and scans --------------------------------------------------------------------
    def argmax(self, x, axis, keepdims=False):
        return np.argmax(val(x), axis=axis, keepdims=keepdims).astype(np.int64, copy=False)

    def argmin(self, x, axis, keepdims=False):
        return np.argmin(val(x), axis=axis, keepdims=keepdims).astype(np.int64, copy=False)

    def cumsum(self, x, axis):
        return RM.cumsum(x, axis) if x.__class__ is _T else R.cumsum(x, axis)

    def cumprod(self, x, axis):
        return RM.cumprod(x, axis) if x.__class__ is _T else R.cumprod(x, axis)

    def sort(self, x, axis):
        return RA.sort(x, axis) if x.__class__ is _T else np.sort(x, axis=axis)

    def argsort(self, x, axis):
        return np.argsort(val(x), axis=axis, kind="stable").astype(np.int64, copy=False)

    def top_k(self, x, k):
        if x.__class__ is _T:
            return RA.top_k(x, k)
        idx = R.top_k_indices(x, k)
        return np.take_along_axis(x, idx, -1), idx

    # ---- shape, indexing, gather/scatter --------------------------------------------------------
    def reshape(self, x, shape):
        return RA.reshape(x, shape) if x.__class__ is _T else np.reshape(x, shape)

    def transpose(self, x, axes):
        return RA.transpose(x, axes) if x.__class__ is _T else np.transpose(x, axes)

    def broadcast_to(self, x, shape):
        return RA.broadcast_to(x, shape) if x.__class__ is _T else np.broadcast_to(x, shape)

    def concatenate(self, xs, axis):
        return RA.concatenate(xs, axis) if _any_traced(xs) else np.concatenate(xs, axis=axis)

    def stack(self, xs, axis=0):
        return RA.stack(xs, axis) if _any_traced(xs) else np.stack(xs, axis=axis)

    def pad(self, x, pad_width, mode="constant", constant_values=0):
        if x.__class__ is _T:
            return RA.pad(x, pad_width, mode, constant_values)
        if mode == "constant":
            return np.pad(x, pad_width, mode="constant", constant_values=constant_values)
        return np.pad(x, pad_width, mode=mode)

    def getitem(self, x, key):
        if x.__class__ is _T:
            return RA.getitem(x, key)
        return np.asarray(x[key])

    def slice_update(self, x, key, update):
        if x.__class__ is _T or update.__class__ is _T:
            return RA.slice_update(x, key, update)
        return R.slice_update(x, key, update)

    def take(self, x, indices, axis):
        return RA.take(x, indices, axis) if x.__class__ is _T else np.take(x, val(indices), axis=axis)

    def take_along_axis(self, x, indices, axis):
        if x.__class__ is _T:
            return RA.take_along_axis(x, indices, axis)
        return np.take_along_axis(x, val(indices), axis=axis)

    def scatter_add(self, x, indices, updates):
        if x.__class__ is _T or updates.__class__ is _T:
            return RA.scatter_add(x, indices, updates)
        return R.scatter_add(x, val(indices), updates)

    def scatter_update(self, x, indices, updates):
        if x.__class__ is _T or updates.__class__ is _T:
            return RA.scatter_update(x, indices, updates)
        return R.scatter_update(x, val(indices), updates)

    # ---- linear algebra ---------------------------------------------------------------------------
    def matmul(self, x1, x2):
        if x1.__class__ is _T or x2.__class__ is _T:
            return RA.matmul(x1, x2)
        return np.matmul(x1, x2)

    def einsum(self, subscripts, *operands):
        if len(operands) == 2:
            out = self._einsum_as_matmul(subscripts, *operands)
            if out is not None:
                return out
        if _any_traced(operands):
            return RA.einsum(subscripts, *operands)
        return np.asarray(np.einsum(subscripts, *operands, optimize=len(operands) > 1))

    def _einsum_as_matmul(self, subscripts, a, b):
        """A float contraction as transposes and one (batched) ``matmul`` (``backends/_einsum.py``):
        1.5-2.5x faster than ``np.einsum(optimize=True)`` on attention's contractions, and on the tape
        its gradient is two matmuls; None (``np.einsum`` runs) when there is no plan or no contraction."""
        da = self.dtype(a)
        if da != self.dtype(b) or da not in ("float32", "float64"):
            return None
        p = plan_matmul(subscripts, self.shape(a), self.shape(b))
        if p is None or not p.dims_a:
            return None
        sa, sb = (p.shape_a, p.shape_b) if p.n_batch else (p.shape_a[1:], p.shape_b[1:])
        a = self.reshape(a if p.perm_a == tuple(range(len(p.perm_a))) else self.transpose(a, p.perm_a), sa)
        b = self.reshape(b if p.perm_b == tuple(range(len(p.perm_b))) else self.transpose(b, p.perm_b), sb)
        out = self.reshape(self.matmul(a, b), p.result_shape)
        return out if p.out_perm == tuple(range(len(p.out_perm))) else self.transpose(out, p.out_perm)

    # ---- convolution and pooling ------------------------------------------------------------------
    def conv(self, x, kernel, strides, padding, dilation, groups, data_format):
        strides, dilation = tuple(strides), tuple(dilation)
        padding = tuple(tuple(p) for p in padding)
        if x.__class__ is _T or kernel.__class__ is _T:
            return RN.conv(x, kernel, strides, padding, dilation, groups, data_format)
        out, _ = nn.conv_cl(nn.to_cl(x, data_format), kernel, strides, padding, dilation, groups)
        return nn.from_cl(out, data_format)

    def conv_transpose(self, x, kernel, strides, padding, dilation, data_format):
        strides, dilation = tuple(strides), tuple(dilation)
        padding = tuple(tuple(p) for p in padding)
        if x.__class__ is _T or kernel.__class__ is _T:
            return RN.conv_transpose(x, kernel, strides, padding, dilation, data_format)
        out, _ = nn.conv_transpose_cl(nn.to_cl(x, data_format), kernel, strides, padding, dilation)
        return nn.from_cl(out, data_format)

    def max_pool(self, x, pool_size, strides, padding, data_format):
        padding = tuple(tuple(p) for p in padding)
        if x.__class__ is _T:
            return RN.max_pool(x, tuple(pool_size), tuple(strides), padding, data_format)
        return nn.max_pool(x, tuple(pool_size), tuple(strides), padding, data_format)[0]

    def avg_pool(self, x, pool_size, strides, padding, data_format):
        padding = tuple(tuple(p) for p in padding)
        if x.__class__ is _T:
            return RN.avg_pool(x, tuple(pool_size), tuple(strides), padding, data_format)
        return nn.avg_pool(x, tuple(pool_size), tuple(strides), padding, data_format)[0]

    # ---- random ------------------------------------------------------------------------------------
    def threefry2x32(self, k0, k1, x0, x1):
        """Optional fused Threefry-2x32 used by ``kshim.random.threefry.threefry_ops`` (same bits)."""
        u, v = threefry2x32_uint32(int(val(k0)), int(val(k1)), val(x0), val(x1))
        return u.astype(np.int64), v.astype(np.int64)

    # ---- control flow --------------------------------------------------------------------------------
    def cond(self, pred, true_fn, false_fn, *operands):
        return true_fn(*operands) if bool(val(pred)) else false_fn(*operands)

    def _stack(self, xs):
        return self.stack(xs, 0)

    # ---- autodiff and compilation -------------------------------------------------------------------
    def stop_gradient(self, x):
        return val(x)

    def _value_and_grad_flat(self, flat_fn, leaves):
        return _value_and_grad_flat(flat_fn, leaves, self._check_scalar_value)

    def jit(self, fn, donate_argnums=(), static_argnums=()):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        return wrapper

    def device_name(self):
        return "cpu"

    def set_deterministic(self, enabled):
        """Nothing to switch: NumPy runs each op in a fixed order, and OpenBLAS' results depend only on
        its thread count, fixed for the process. MKL needs ``MKL_CBWR`` set before it loads (noted)."""
        if not enabled or os.environ.get("MKL_CBWR"):
            return []
        try:
            blas = str(np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"])
        except (TypeError, KeyError, ValueError):  # an old NumPy without the dict form
            return []
        if "mkl" not in blas.lower():
            return []
        return ["NumPy uses MKL, whose results can vary run to run; set MKL_CBWR=COMPATIBLE before starting Python."]


def _is_traced(x):
    return x.__class__ is _T


def _install():
    def unary(fwd, traced):
        def method(self, x):
            if x.__class__ is _T:
                return traced(x)
            return fwd(x)

        return method

    def binary(fwd, traced):
        def method(self, x1, x2):
            if x1.__class__ is _T or x2.__class__ is _T:
                return traced(x1, x2)
            return fwd(x1, x2)

        return method

    def reduce(fwd, traced):
        def method(self, x, axis=None, keepdims=False):
            if x.__class__ is _T:
                return traced(x, axis, keepdims)
            return fwd(x, axis=axis, keepdims=keepdims)

        return method

    methods = {name: unary(RM.UNARY[name][0], RM.unary(name)) for name in UNARY_OPS}
    methods.update({name: binary(RM.BINARY[name][0], RM.binary(name)) for name in BINARY_OPS})
    red = {
        "sum": (R.sum_, RM.sum_),
        "prod": (R.prod_, RM.prod_),
        "max": (np.max, RM.max_),
        "min": (np.min, RM.min_),
        "any": (np.any, lambda x, a, k: np.any(x.value, axis=a, keepdims=k)),
        "all": (np.all, lambda x, a, k: np.all(x.value, axis=a, keepdims=k)),
    }
    methods.update({name: reduce(*red[name]) for name in REDUCE_OPS})
    install_methods(NumpyBackend, methods)


_install()
check_complete(NumpyBackend)
_tensor_mod.B = NumpyBackend()
