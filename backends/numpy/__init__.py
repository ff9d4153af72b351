"""NumPy backend of kshim, with its own reverse-mode tape autodiff (``autodiff/``)."""

from .autodiff.tensor import Tensor
from .backend import NumpyBackend
from .._malloc import tune_malloc

tune_malloc()

__all__ = ["NumpyBackend", "Tensor"]
