"""Dtype tables and small helpers shared by the torch backend modules."""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch

TO_TORCH = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
FROM_TORCH = {v: k for k, v in TO_TORCH.items()}

# Unsigned dtypes torch stores but implements few kernels for: computed through int64.
WIDE_UNSIGNED = (torch.uint16, torch.uint32)
FLOAT_TORCH = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def widen_retry(fn, args, exc):
    """Re-run ``fn`` on int64 copies of uint16/uint32 tensor args and cast integer results back.

    Called only after torch raised for an op; re-raises ``exc`` when no arg is a wide unsigned."""
    dt = None
    new = []
    for a in args:
        if isinstance(a, torch.Tensor) and a.dtype in WIDE_UNSIGNED:
            dt = dt or a.dtype
            a = a.to(torch.int64)
        new.append(a)
    if dt is None:
        raise exc
    out = fn(*new)
    if isinstance(out, torch.Tensor) and out.dtype == torch.int64:
        out = out.to(dt)
    return out


def widening(method):
    """Decorator: retry a backend method through int64 when torch lacks a uint16/uint32 kernel."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (RuntimeError, NotImplementedError) as e:
            return widen_retry(lambda *a: method(self, *a, **kwargs), args, e)

    return wrapper


def make_op(fn, nargs):
    """Method calling the torch function ``fn`` directly, with the wide-unsigned fallback."""
    op: Callable[..., Any]
    if nargs == 1:

        def op(self, x):
            try:
                return fn(x)
            except (RuntimeError, NotImplementedError) as e:
                return widen_retry(fn, (x,), e)
    else:

        def op(self, x1, x2):
            try:
                return fn(x1, x2)
            except (RuntimeError, NotImplementedError) as e:
                return widen_retry(fn, (x1, x2), e)

    return op
