"""kshim: Keras 3's public API over NumPy, JAX and PyTorch backends that all train.

Use it as ``import kshim as keras``; pick the backend with ``KSHIM_BACKEND`` or
``kshim.backend.use(name)``.
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import backends  # noqa: F401  (kshim.backends registry)
from . import backend, config  # noqa: F401
