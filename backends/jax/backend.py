"""The ``JaxBackend`` class: kshim primitives implemented with ``jax.numpy`` / ``jax.lax``."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax import lax

from .._base import BaseBackend, canonical_dtype, check_complete, complex_cast_message
from .nn import NNMixin
from .linalg import LinalgMixin
from .signal import SignalMixin
from .transforms import TransformsMixin

_HIGHEST = lax.Precision.HIGHEST
_FLOAT_KINDS = ("float16", "bfloat16", "float32", "float64")


def _configure() -> None:
    """Process-wide JAX settings kshim needs (documented in the README): x64 so float64/int64 are
    real, and full-precision matmuls so results agree with NumPy and torch. They also apply to the
    user's own JAX code in the process (``jnp.arange(3)`` is int64); JAX cannot scope them per call."""
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_default_matmul_precision", "highest")


_configure()


def _is_float_dtype(dt: Any) -> bool:
    return jnp.issubdtype(dt, jnp.floating)


class JaxBackend(NNMixin, LinalgMixin, SignalMixin, TransformsMixin, BaseBackend):
    """kshim backend on JAX. Tensors are ``jax.Array`` (tracers included)."""

    name = "jax"
    # A cached constant can end up as a Variable's value and then be donated to a jitted train
    # step (deleting its buffer); jit already folds constants, so there is nothing to gain.
    cache_constants = False
    jit_takes_host_arrays = True  # jitted functions accept NumPy arrays (transferred in C++ dispatch)
    jit_user_steps = True
    supports_jit = True
    tensor_modules = ("jax", "jaxlib", "kshim.backends.jax")

    def __init__(self) -> None:
        _configure()
        from .._device import env_device

        spec = env_device()
        if spec is not None:
            # An explicit request: JAX's default device for the process (JAX's own setting; a JAX user's
            # arrays follow it too, as with ``jax.config.update("jax_default_device", ...)``).
            jax.config.update("jax_default_device", self._resolve_device(spec))

    def rnn_hoist_input_projection(self) -> bool:
        # Per step on CPU (measured: LSTM(128) x 50 steps training step 47 -> 31 ms, Keras-JAX's
        # form); one matmul before the loop elsewhere (GPU: unmeasured here, the usual choice).
        return jax.default_backend() != "cpu"

    @staticmethod
    def _resolve_device(spec: str) -> Any:
        """``spec`` (``backends._device`` form) as a ``jax.Device``; ``ValueError`` naming the devices
        JAX has when it names none of them."""
        from .._device import parse_device, unavailable

        kind, index = parse_device(spec)
        platforms = ("gpu", "cuda", "rocm") if kind == "gpu" else (kind,)
        devices = jax.devices("cpu") if kind == "cpu" else [d for d in jax.devices() if d.platform in platforms]
        if devices and (index or 0) < len(devices):
            return devices[index or 0]
        available = sorted(
            {
                f"{'gpu' if d.platform in ('cuda', 'rocm') else d.platform}:{d.id}"
                for d in jax.devices() + jax.devices("cpu")
            }
        )
        raise unavailable("jax", spec, available)

    @contextlib.contextmanager
    def device_scope(self, device: str) -> Iterator[None]:
        """Arrays created inside live on ``device`` (``jax.default_device``; thread-local, as JAX's)."""
        with jax.default_device(self._resolve_device(device)):
            yield

    # ---- conversion and dtypes -------------------------------------------------------------
    def _jdtype(self, dtype: str) -> np.dtype:
        return self.numpy_dtype(canonical_dtype(dtype))

    def convert_to_tensor(self, x: Any, dtype: str | None = None) -> Any:
        if isinstance(x, jax.Array):
            if dtype is not None:
                d = self._jdtype(dtype)
                if x.dtype != d:
                    x = x.astype(d)
            return x
        self.check_foreign(x)
        if isinstance(x, (bool, np.bool_)) and not isinstance(x, np.ndarray) and dtype is None:
            return jnp.asarray(bool(x), dtype=jnp.bool_)
        if isinstance(x, int) and not isinstance(x, bool) and dtype is None:
            return jnp.asarray(x, dtype=jnp.int64)
        if isinstance(x, float) and dtype is None:
            return jnp.asarray(x, dtype=jnp.float64)
        if isinstance(x, (bool, int, float)) and dtype is not None:  # (with dtype None: returned above)
            return jnp.asarray(x, dtype=self._jdtype(dtype))
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
        if arr.dtype == object:
            raise TypeError(f"Cannot convert an object of type {type(x).__name__} to a jax tensor.")
        if dtype is None:
            try:
                canonical_dtype(arr.dtype)
            except ValueError as e:
                raise TypeError(f"Cannot convert an array of dtype {arr.dtype} to a kshim tensor: {e}") from None
            return jnp.asarray(arr)
        d = self._jdtype(dtype)
        return jnp.asarray(arr).astype(d) if arr.dtype != d else jnp.asarray(arr)

    def to_numpy(self, x: Any) -> np.ndarray:
        if not isinstance(x, jax.Array):
            return np.asarray(x)
        return np.array(x)  # a writable host copy (bfloat16 comes back as ml_dtypes.bfloat16)

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, jax.Array)

    def dtype(self, x: Any) -> str:
        return canonical_dtype(np.dtype(x.dtype).name)

    def shape(self, x: Any) -> tuple:
        return tuple(int(s) for s in x.shape)

    def cast(self, x: Any, dtype: str) -> Any:
        d = self._jdtype(dtype)
        x = jnp.asarray(x)
        if x.dtype == d:
            return x
        if jnp.iscomplexobj(x) and d.kind != "c":
            raise TypeError(complex_cast_message(str(x.dtype), dtype))
        return x.astype(d)

    # ---- creation ---------------------------------------------------------------------------
    def zeros(self, shape, dtype):
        return jnp.zeros(tuple(int(s) for s in shape), dtype=self._jdtype(dtype))

    def ones(self, shape, dtype):
        return jnp.ones(tuple(int(s) for s in shape), dtype=self._jdtype(dtype))

    def full(self, shape, fill_value, dtype):
        return jnp.full(tuple(int(s) for s in shape), fill_value, dtype=self._jdtype(dtype))

    def arange(self, start, stop, step, dtype):
        d = self._jdtype(dtype)
        # Built on the host like NumPy so every backend yields the same values and length.
        if d == self.numpy_dtype("bfloat16") or d == np.float16:
            return jnp.asarray(np.arange(start, stop, step, dtype=np.float32).astype(d))
        return jnp.asarray(np.arange(start, stop, step, dtype=d))

    def eye(self, n, m, k, dtype):
        return jnp.eye(int(n), None if m is None else int(m), k=int(k), dtype=self._jdtype(dtype))

    # ---- elementwise ------------------------------------------------------------------------
    def where(self, condition, x1, x2):
        return jnp.where(condition, x1, x2)

    # unary
    def negative(self, x):
        return jnp.negative(x)

    def abs(self, x):
        return jnp.abs(x)

    def sign(self, x):
        return jnp.sign(x)

    def exp(self, x):
        return jnp.exp(x)

    def log(self, x):
        return jnp.log(x)

    def log1p(self, x):
        return jnp.log1p(x)

    def expm1(self, x):
        return jnp.expm1(x)

    def sqrt(self, x):
        return jnp.sqrt(x)

    def square(self, x):
        return jnp.square(x)

    def reciprocal(self, x):
        return jnp.reciprocal(x)

    def sin(self, x):
        return jnp.sin(x)

    def cos(self, x):
        return jnp.cos(x)

    def tan(self, x):
        return jnp.tan(x)

    def arcsin(self, x):
        return jnp.arcsin(x)

    def arccos(self, x):
        return jnp.arccos(x)

    def arctan(self, x):
        return jnp.arctan(x)

    def sinh(self, x):
        return jnp.sinh(x)

    def cosh(self, x):
        return jnp.cosh(x)

    def tanh(self, x):
        return jnp.tanh(x)

    def arcsinh(self, x):
        return jnp.arcsinh(x)

    def arccosh(self, x):
        return jnp.arccosh(x)

    def arctanh(self, x):
        return jnp.arctanh(x)

    def erf(self, x):
        return jsp.erf(x)

    def erfinv(self, x):
        return jsp.erfinv(x)

    def sigmoid(self, x):
        return jax.nn.sigmoid(x)

    def softplus(self, x):
        return jax.nn.softplus(x)

    def floor(self, x):
        return jnp.floor(x) if _is_float_dtype(x.dtype) else x

    def ceil(self, x):
        return jnp.ceil(x) if _is_float_dtype(x.dtype) else x

    def round(self, x):  # half to even
        return jnp.round(x) if _is_float_dtype(x.dtype) else x

    def logical_not(self, x):
        return jnp.logical_not(x)

    def isnan(self, x):
        return jnp.isnan(x)

    def isinf(self, x):
        return jnp.isinf(x)

    def isfinite(self, x):
        return jnp.isfinite(x)

    def bitwise_not(self, x):
        return jnp.bitwise_not(x)

    # binary
    def add(self, x1, x2):
        return jnp.add(x1, x2)

    def subtract(self, x1, x2):
        return jnp.subtract(x1, x2)

    def multiply(self, x1, x2):
        return jnp.multiply(x1, x2)

    def divide(self, x1, x2):
        return jnp.true_divide(x1, x2)

    def floor_divide(self, x1, x2):
        return jnp.floor_divide(x1, x2)

    def mod(self, x1, x2):
        return jnp.mod(x1, x2)

    def power(self, x1, x2):
        return jnp.power(x1, x2)

    def maximum(self, x1, x2):
        return jnp.maximum(x1, x2)

    def minimum(self, x1, x2):
        return jnp.minimum(x1, x2)

    def arctan2(self, x1, x2):
        return jnp.arctan2(x1, x2)

    def equal(self, x1, x2):
        return jnp.equal(x1, x2)

    def not_equal(self, x1, x2):
        return jnp.not_equal(x1, x2)

    def less(self, x1, x2):
        return jnp.less(x1, x2)

    def less_equal(self, x1, x2):
        return jnp.less_equal(x1, x2)

    def greater(self, x1, x2):
        return jnp.greater(x1, x2)

    def greater_equal(self, x1, x2):
        return jnp.greater_equal(x1, x2)

    def logical_and(self, x1, x2):
        return jnp.logical_and(x1, x2)

    def logical_or(self, x1, x2):
        return jnp.logical_or(x1, x2)

    def logical_xor(self, x1, x2):
        return jnp.logical_xor(x1, x2)

    def bitwise_and(self, x1, x2):
        return jnp.bitwise_and(x1, x2)

    def bitwise_or(self, x1, x2):
        return jnp.bitwise_or(x1, x2)

    def bitwise_xor(self, x1, x2):
        return jnp.bitwise_xor(x1, x2)

    def left_shift(self, x1, x2):
        return jnp.left_shift(x1, x2)

    def right_shift(self, x1, x2):
        return jnp.right_shift(x1, x2)

    # ---- reductions and scans ---------------------------------------------------------------
    @staticmethod
    def _axis(axis):
        return None if axis is None else tuple(int(a) for a in axis)

    def sum(self, x, axis=None, keepdims=False):
        return jnp.sum(x, axis=self._axis(axis), keepdims=keepdims, dtype=x.dtype)

    def prod(self, x, axis=None, keepdims=False):
        return jnp.prod(x, axis=self._axis(axis), keepdims=keepdims, dtype=x.dtype)

    def max(self, x, axis=None, keepdims=False):
        return jnp.max(x, axis=self._axis(axis), keepdims=keepdims)

    def min(self, x, axis=None, keepdims=False):
        return jnp.min(x, axis=self._axis(axis), keepdims=keepdims)

    def any(self, x, axis=None, keepdims=False):
        return jnp.any(x, axis=self._axis(axis), keepdims=keepdims)

    def all(self, x, axis=None, keepdims=False):
        return jnp.all(x, axis=self._axis(axis), keepdims=keepdims)

    def argmax(self, x, axis, keepdims=False):
        return jnp.argmax(x, axis=axis, keepdims=keepdims).astype(jnp.int64)

    def argmin(self, x, axis, keepdims=False):
        return jnp.argmin(x, axis=axis, keepdims=keepdims).astype(jnp.int64)

    def cumsum(self, x, axis):
        return jnp.cumsum(x, axis=int(axis), dtype=x.dtype)

    def cumprod(self, x, axis):
        return jnp.cumprod(x, axis=int(axis), dtype=x.dtype)

    def sort(self, x, axis):
        return jnp.sort(x, axis=int(axis))

    def argsort(self, x, axis):
        return jnp.argsort(x, axis=int(axis), stable=True).astype(jnp.int64)

    def top_k(self, x, k):
        values, indices = lax.top_k(x, int(k))
        return values, indices.astype(jnp.int64)

    # ---- shape, indexing, gather/scatter ------------------------------------------------------
    def reshape(self, x, shape):
        return jnp.reshape(x, tuple(int(s) for s in shape))

    def transpose(self, x, axes):
        return jnp.transpose(x, tuple(int(a) for a in axes))

    def broadcast_to(self, x, shape):
        return jnp.broadcast_to(x, tuple(int(s) for s in shape))

    def concatenate(self, xs, axis):
        return jnp.concatenate(list(xs), axis=int(axis))

    def pad(self, x, pad_width, mode="constant", constant_values=0):
        pw = tuple((int(lo), int(hi)) for lo, hi in pad_width)
        if mode == "constant":
            return jnp.pad(x, pw, mode="constant", constant_values=constant_values)
        if mode not in ("reflect", "symmetric", "edge"):
            raise ValueError(f"pad: unsupported mode {mode!r}; expected constant, reflect, symmetric or edge")
        return jnp.pad(x, pw, mode=mode)

    def getitem(self, x, key):
        return x[tuple(key)]

    def slice_update(self, x, key, update):
        return x.at[tuple(key)].set(update)

    def take(self, x, indices, axis):
        return jnp.take(x, indices, axis=int(axis))

    def take_along_axis(self, x, indices, axis):
        axis = int(axis)
        # Broadcast every non-axis dim (NumPy semantics).
        xs, ish = list(x.shape), list(indices.shape)
        if len(xs) != len(ish):
            raise ValueError(f"take_along_axis: indices rank {len(ish)} != input rank {len(xs)}")
        bshape = [np.broadcast_shapes((a,), (b,))[0] if i != axis else None for i, (a, b) in enumerate(zip(xs, ish))]
        x = jnp.broadcast_to(x, tuple(xs[i] if i == axis else bshape[i] for i in range(len(xs))))
        indices = jnp.broadcast_to(indices, tuple(ish[i] if i == axis else bshape[i] for i in range(len(ish))))
        return jnp.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def _scatter_index(indices):
        k = indices.shape[-1]
        return tuple(indices[..., i] for i in range(k))

    def scatter_add(self, x, indices, updates):
        return x.at[self._scatter_index(indices)].add(updates)

    def scatter_update(self, x, indices, updates):
        return x.at[self._scatter_index(indices)].set(updates)

    # ---- linear algebra -------------------------------------------------------------------
    def matmul(self, x1, x2):
        return jnp.matmul(x1, x2, precision=_HIGHEST)

    def einsum(self, subscripts, *operands):
        return jnp.einsum(subscripts, *operands, precision=_HIGHEST)

    # ---- control flow --------------------------------------------------------------------------
    def cond(self, pred, true_fn, false_fn, *operands):
        if isinstance(pred, (bool, np.bool_)):
            return true_fn(*operands) if pred else false_fn(*operands)
        if isinstance(pred, np.ndarray):
            return true_fn(*operands) if bool(pred) else false_fn(*operands)
        try:
            concrete = bool(pred)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
            p = jnp.asarray(pred)
            if p.shape != ():
                p = jnp.reshape(p, ())
            if p.dtype != jnp.bool_:
                p = p != 0
            return lax.cond(p, true_fn, false_fn, *operands)
        return true_fn(*operands) if concrete else false_fn(*operands)

    def scan(self, f, init, xs=None, length=None, reverse=False):
        return lax.scan(f, init, xs, length=length, reverse=bool(reverse))

    # ---- autodiff and compilation -----------------------------------------------------------
    def stop_gradient(self, x):
        return lax.stop_gradient(x)

    def _value_and_grad_flat(self, flat_fn: Callable, leaves: list) -> tuple:
        def inner(ls):
            value, aux = flat_fn(ls)
            self._check_scalar_value(tuple(value.shape), self.dtype(value))
            return value, aux

        (value, aux), grads = jax.value_and_grad(inner, has_aux=True)(leaves)
        return value, aux, list(grads)

    def jit(self, fn: Callable, donate_argnums: Sequence[int] = (), static_argnums: Sequence[int] = ()) -> Callable:
        donate = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
        static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        return jax.jit(fn, donate_argnums=donate, static_argnums=static)

    # ---- reproducibility ------------------------------------------------------------------------
    def set_deterministic(self, enabled: bool) -> list[str]:
        """XLA's GPU determinism flag (see ``backends/jax/determinism.py``)."""
        from .determinism import set_deterministic

        return set_deterministic(enabled)

    # ---- device ------------------------------------------------------------------------------
    def device_name(self) -> str:
        # the kshim.device / KSHIM_DEVICE choice, if any (jax.config's stubs do not list its options)
        default = jax.config.jax_default_device  # type: ignore[attr-defined]
        d = default if default is not None and not isinstance(default, str) else jax.devices()[0]
        return "cpu" if d.platform == "cpu" else f"{d.platform}:{d.id}"


check_complete(JaxBackend)  # every name the protocol lists exists as a method
