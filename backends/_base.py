"""Shared implementation pieces every backend inherits (written once over the primitives)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._protocol import BINARY_OPS, REDUCE_OPS, UNARY_OPS  # noqa: F401

DTYPES = ("bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64",
          "float16", "bfloat16", "float32", "float64")
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def canonical_dtype(dtype: Any) -> str:
    """Canonical dtype string from a string, NumPy dtype or Python type."""
    if dtype is None:
        raise TypeError("dtype must not be None here")
    if isinstance(dtype, str):
        name = dtype
    elif dtype is bool:
        name = "bool"
    elif dtype is int:
        name = "int64"
    elif dtype is float:
        name = "float64"
    else:
        name = getattr(dtype, "name", None) or str(dtype)
    name = name.replace("torch.", "")
    aliases = {"float": "float32", "double": "float64", "half": "float16", "int": "int64",
               "long": "int64", "bool_": "bool"}
    name = aliases.get(name, name)
    if name not in DTYPES:
        raise ValueError(f"Unsupported dtype {dtype!r}. Supported: {', '.join(DTYPES)}.")
    return name


FOREACH_FUSED = ("lerp", "subtract_quotient")   # composite names ``foreach`` accepts besides primitives


class BaseBackend:
    """Base class: helpers shared by all backends. Subclasses implement the protocol."""

    name = "base"
    #: Whether ``jit`` may trace a user's custom ``train_step``/``test_step``/``predict_step``
    #: (JAX: yes, as Keras does; torch runs them eagerly, as Keras' torch backend does by default).
    jit_user_steps = False
    supports_jit = False
    jit_takes_host_arrays = False
    cache_constants = True
    # Optional fused kernels (see _protocol.py); None means kshim.ops uses its composite.
    relu = None
    softmax = None
    log_softmax = None
    logsumexp = None
    threefry2x32 = None

    #: Module prefixes of this backend's own tensor types (see ``backends.tensor_owner``).
    tensor_modules: tuple = ()

    def check_foreign(self, x: Any) -> None:
        """Raise ``TypeError`` if ``x`` is a tensor of another backend (or of a framework kshim has no
        backend for): tensors are never converted across backends implicitly."""
        from . import tensor_owner
        owner = tensor_owner(x)
        if owner is None or owner == self.name:
            return
        how = (f"convert it first with that backend's to_numpy (kshim.backends.get({owner!r}).to_numpy(x))"
               if owner not in ("tensorflow",) else "convert it to a NumPy array first (x.numpy())")
        raise TypeError(
            f"The {self.name!r} backend got a {type(x).__module__}.{type(x).__name__}, which is a tensor of "
            f"{'the ' + repr(owner) + ' backend' if owner != 'tensorflow' else 'TensorFlow'}. Tensors of "
            f"different backends cannot be mixed; {how}.")

    def host_view(self, arr: Any) -> Any:
        """No zero-copy batch views by default (see ``_protocol.Backend.host_view``)."""
        return None

    def __repr__(self) -> str:
        return f"<kshim backend {self.name!r}>"

    def grad_leaf(self, tensor: Any) -> Any:
        """``tensor`` as a leaf that accumulates a gradient when a loss computed from it is
        back-propagated (torch's ``loss.backward()`` idiom in a custom ``train_step``); backends
        without that idiom return it unchanged."""
        return tensor

    def foreach(self, name: str, *args: Any) -> list:
        """Apply the elementwise primitive ``name`` across lists of tensors (a non-list argument is
        used for every element): ``foreach("add", xs, ys) == [add(x, y) for x, y in zip(xs, ys)]``.
        Besides the primitives, two fused names (``FOREACH_FUSED``): ``"lerp"`` (a, b, w) is
        ``a + (b - a) * w`` and ``"subtract_quotient"`` (x, n, d) is ``x - n / d``. Backends with
        multi-tensor kernels override it; results must equal the per-tensor loop (for the fused
        names up to the rounding of a fused multiply-add)."""
        n = next(len(a) for a in args if isinstance(a, list))
        cols = [a if isinstance(a, list) else [a] * n for a in args]
        fn = getattr(self, name) if name not in FOREACH_FUSED else getattr(self, "_fused_" + name)
        return [fn(*row) for row in zip(*cols)]

    def _fused_lerp(self, a: Any, b: Any, w: Any) -> Any:
        return self.add(a, self.multiply(self.subtract(b, a), w))

    def _fused_subtract_quotient(self, x: Any, n: Any, d: Any) -> Any:
        return self.subtract(x, self.divide(n, d))

    def numpy_dtype(self, dtype: str) -> np.dtype:
        """NumPy dtype for a canonical name (bfloat16 through ml_dtypes)."""
        if dtype == "bfloat16":
            import ml_dtypes
            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(dtype)
