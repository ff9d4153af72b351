"""FFT primitives of the jax backend (declared in ``backends/_protocol.py``)."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs and the complex-number primitives
    (``real``, ``imag``, ``conj``, ``complex``); mixed into the backend class."""

    def fft(self, real, imag, ndim, inverse):
        """Complex DFT over the last ``ndim`` axes (``jnp.fft.fftn``/``ifftn``)."""
        z = lax.complex(real, imag)
        axes = tuple(range(-int(ndim), 0))
        out = jnp.fft.ifftn(z, axes=axes) if inverse else jnp.fft.fftn(z, axes=axes)
        return jnp.real(out), jnp.imag(out)

    def rfft(self, x, n):
        """Real-input DFT over the last axis with ``n`` samples (``jnp.fft.rfft``)."""
        out = jnp.fft.rfft(x, n=int(n), axis=-1)
        return jnp.real(out), jnp.imag(out)

    def irfft(self, real, imag, n):
        """Inverse real DFT over the last axis giving ``n`` samples (``jnp.fft.irfft``)."""
        return jnp.fft.irfft(lax.complex(real, imag), n=int(n), axis=-1)

    # ---- complex numbers ------------------------------------------------------------------------
    def real(self, x):
        """Real part of a complex tensor (a float tensor of the parts' precision)."""
        return jnp.real(x)

    def imag(self, x):
        """Imaginary part of a complex tensor."""
        return jnp.imag(x)

    def conj(self, x):
        """Complex conjugate of a complex tensor."""
        return jnp.conj(x)

    def complex(self, real, imag):
        """``real + 1j * imag`` of two float tensors of one dtype (float32 -> complex64, float64 ->
        complex128), broadcast together."""
        shape = jnp.broadcast_shapes(jnp.shape(real), jnp.shape(imag))
        return lax.complex(jnp.broadcast_to(real, shape), jnp.broadcast_to(imag, shape))
