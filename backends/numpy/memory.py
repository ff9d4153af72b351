"""The glibc heap tuning (``backends/_malloc.py``), under its earlier NumPy-backend name."""

from .._malloc import MMAP_THRESHOLD, TRIM_THRESHOLD, tune_malloc

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune_malloc"]
