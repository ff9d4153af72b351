"""FFT primitives of the torch backend (declared in ``backends/_protocol.py``)."""
from __future__ import annotations


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs; mixed into the backend class."""
