"""Complex-number ops: ``real``, ``imag``, ``conj``/``conjugate``, ``angle`` (``keras.ops.numpy``),
``view_as_complex``/``view_as_real`` (``keras.ops``) and ``polar`` (``keras.ops``/``keras.ops.nn``).

kshim's complex dtypes are ``complex64`` (float32 parts) and ``complex128`` (float64 parts). On a real
tensor ``real``/``conj`` are the identity, ``imag`` gives zeros and ``angle`` is 0 or pi, as in Keras.
All of them are composites over four backend primitives (``real``, ``imag``, ``conj`` and
``complex``, which builds a complex tensor from two float parts): gradients with respect to the real
inputs of a computation that goes through complex values (e.g. ``sum(abs(view_as_complex(x)) ** 2)``)
flow on every backend, the NumPy tape's rules being in ``backends/numpy/autodiff/rules_complex.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, promote, tensor


def _check_real(name: str, d: str) -> None:
    if _dt.is_complex(d):
        raise TypeError(f"{name}: expects real tensors, got dtype {d}.")


@op
def real(x: Any) -> Any:
    """Real part of each element.

    Args:
        x: Input tensor.

    Returns:
        For a complex tensor, its real part (float32 for complex64, float64 for complex128); for a
        real tensor, ``x`` itself (dtype kept), as Keras does.
    """
    b = current()
    x = tensor(x)
    return b.real(x) if _dt.is_complex(b.dtype(x)) else x


@op
def imag(x: Any) -> Any:
    """Imaginary part of each element.

    Args:
        x: Input tensor.

    Returns:
        For a complex tensor, its imaginary part (float32 for complex64, float64 for complex128); for a
        real tensor, zeros of ``x``'s shape and dtype, as Keras does.
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    return b.imag(x) if _dt.is_complex(d) else b.zeros(tuple(b.shape(x)), d)


@op
def conjugate(x: Any) -> Any:
    """Complex conjugate of each element (``real - 1j * imag``).

    Args:
        x: Input tensor.

    Returns:
        The conjugate, of ``x``'s dtype; for a real tensor, ``x`` itself.
    """
    b = current()
    x = tensor(x)
    return b.conj(x) if _dt.is_complex(b.dtype(x)) else x


@op
def conj(x: Any) -> Any:
    """Shorthand for :func:`conjugate`.

    Args:
        x: Input tensor.

    Returns:
        The complex conjugate, of ``x``'s dtype (``x`` itself for a real tensor).
    """
    return conjugate(x)


def _float_result(x: Any) -> Any:
    """Keras' ``result_type(x.dtype, float)`` with int64 mapped to floatx (angle of a real tensor)."""
    b = current()
    d = b.dtype(x)
    out = _dt.config.floatx() if d == "int64" else _dt.weak_result(d, 1.0)
    return x if out == d else b.cast(x, out)


@op
def angle(x: Any) -> Any:
    """Argument (phase) of each element, in radians in ``[-pi, pi]``: ``arctan2(imag, real)``.

    On a complex tensor it is differentiable (with respect to the real inputs it was built from). On
    a real tensor it is ``arctan2(0, x)``: 0 for ``x >= +0``, pi for negative ``x`` and ``-0.0``, NaN
    for NaN, with a zero gradient (as in Keras).

    Args:
        x: Input tensor (integers and bool give ``floatx()``).

    Returns:
        A float tensor of ``x``'s shape (float32 for complex64, float64 for complex128).
    """
    b = current()
    x = tensor(x)
    if _dt.is_complex(b.dtype(x)):
        return b.arctan2(b.imag(x), b.real(x))
    x = _float_result(x)
    return b.stop_gradient(b.arctan2(b.zeros((), b.dtype(x)), x))


def _part_dtype(d: str) -> str:
    """The float dtype of the parts a real tensor of dtype ``d`` gives a complex number."""
    return _dt.PART_OF[_dt.complex_of(d)]


@op
def view_as_complex(x: Any) -> Any:
    """Complex tensor from a real tensor whose last axis holds (real, imaginary) pairs.

    Args:
        x: Real tensor of shape ``(..., 2)``. float64 gives complex128; float32, float16, bfloat16
            give complex64; integers and bool give the complex dtype of ``floatx()``.

    Returns:
        A complex tensor of shape ``x.shape[:-1]``: ``x[..., 0] + 1j * x[..., 1]``.

    Raises:
        ValueError: If ``x`` has no axis or its last axis is not of size 2.
        TypeError: If ``x`` is already complex.
    """
    b = current()
    x = tensor(x)
    shape, d = tuple(b.shape(x)), b.dtype(x)
    if len(shape) < 1 or shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). Received shape: {shape}")
    _check_real("view_as_complex", d)
    part = _part_dtype(d)
    if d != part:
        x = b.cast(x, part)
    return b.complex(b.getitem(x, (Ellipsis, 0)), b.getitem(x, (Ellipsis, 1)))


@op
def view_as_real(x: Any) -> Any:
    """Real tensor whose new last axis holds the (real, imaginary) parts of ``x``.

    Args:
        x: Tensor; complex64 gives float32 parts and complex128 float64 ones. A real tensor gives
            ``(x, 0)`` pairs of its own dtype (as Keras computes it).

    Returns:
        A tensor of shape ``x.shape + (2,)``.
    """
    b = current()
    x = tensor(x)
    shape, d = tuple(b.shape(x)), b.dtype(x)
    if _dt.is_complex(d):
        re, im = b.real(x), b.imag(x)
    else:
        re, im = x, b.zeros(shape, d)
    return b.concatenate([b.reshape(re, (*shape, 1)), b.reshape(im, (*shape, 1))], len(shape))


@op
def polar(abs_: Any, angle: Any) -> Any:
    """Complex tensor from polar coordinates: ``abs_ * cos(angle) + 1j * abs_ * sin(angle)`` (as
    ``torch.polar``; not SciPy's polar decomposition).

    Args:
        abs_: Magnitudes (real tensor).
        angle: Angles in radians (real tensor), broadcastable against ``abs_``.

    Returns:
        A complex tensor of the broadcast shape: complex128 when the promoted dtype of the inputs
        is float64, complex64 for the other floats, the complex dtype of ``floatx()`` for integers.

    Raises:
        TypeError: If an input is complex.
    """
    b = current()
    r, t = promote(abs_, angle)
    d = b.dtype(r)
    _check_real("polar", d)
    part = _part_dtype(d)
    if d != part:
        r, t = b.cast(r, part), b.cast(t, part)
    return b.complex(b.multiply(r, b.cos(t)), b.multiply(r, b.sin(t)))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
