"""Traced complex-number primitives of the NumPy backend: ``real``, ``imag``, ``conj`` and
``complex`` (parts to a complex array), with their VJPs.

Cotangent convention (JAX's, see ``tensor.py``): the cotangent of a complex value ``z = x + 1j*y``
is ``dL/dx - 1j * dL/dy`` for a real loss ``L``, so the rules of holomorphic ops (add, multiply,
exp, matmul...) are their real rules unchanged. Under it the VJPs here are: ``real`` gives ``g``
(as a complex array), ``imag`` gives ``-1j * g``, ``conj`` gives ``conj(g)`` and ``complex(re, im)``
gives ``(real(g), -imag(g))``.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, make, unbroadcast, val

COMPLEX_OF: dict[np.dtype, np.dtype] = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
}


def raw_complex(re, im):
    """``re + 1j*im`` of raw arrays (broadcast) in the complex dtype of their float dtype."""
    dt = COMPLEX_OF.get(np.result_type(re, im), np.dtype(np.complex128))
    z = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), dt)
    z.real = re
    z.imag = im
    return z


def real(z):
    zv = z.value
    out = np.ascontiguousarray(zv.real)
    return make(out, (z,), lambda g: (g.astype(zv.dtype),))


def imag(z):
    zv = z.value
    out = np.ascontiguousarray(zv.imag)
    return make(out, (z,), lambda g: (-1j * g.astype(zv.dtype),))


def conj(z):
    out = np.conj(z.value)
    return make(out, (z,), lambda g: (np.conj(g),))


def complex_(re, im):
    rv, iv = val(re), val(im)
    out = raw_complex(rv, iv)
    sr, si = np.shape(rv), np.shape(iv)

    def vjp(g):
        gr = unbroadcast(np.ascontiguousarray(g.real), sr) if re.__class__ is Tensor else None
        gi = unbroadcast(np.ascontiguousarray(-g.imag), si) if im.__class__ is Tensor else None
        return gr, gi

    return make(out, (re, im), vjp)
