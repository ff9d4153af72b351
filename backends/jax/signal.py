"""FFT primitives of the jax backend (declared in ``backends/_protocol.py``)."""
from __future__ import annotations


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs; mixed into the backend class."""
