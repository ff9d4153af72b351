"""Linear-algebra primitives of the numpy backend (declared in ``backends/_protocol.py``)."""
from __future__ import annotations


class LinalgMixin:
    """Decompositions, solves and determinants; mixed into the backend class."""
