"""Function-transform primitives of the numpy backend: custom gradients, forward-mode (declared in ``backends/_protocol.py``)."""
from __future__ import annotations


class TransformsMixin:
    """Custom-gradient and forward-mode hooks; mixed into the backend class."""
