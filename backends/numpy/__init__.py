"""NumPy backend of kshim, with its own reverse-mode tape autodiff (``autodiff/``)."""
from .autodiff.tensor import Tensor
from .backend import NumpyBackend

__all__ = ["NumpyBackend", "Tensor"]
