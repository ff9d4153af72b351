"""glibc heap tuning, applied when any kshim backend is loaded.

A training step allocates the same large temporaries (conv windows, activations, their gradients,
input batches: 1-30 MB each) step after step. With glibc's defaults, freed blocks of that size go back to the OS
(``munmap`` or heap trimming) and every step page-faults them in again -- measured at ~25% of a
small CNN's NumPy training step. Keeping blocks up to 32 MB on the heap (``M_MMAP_THRESHOLD``) and
trimming only above 128 MB of free heap top (``M_TRIM_THRESHOLD``) removes that; the cost is that
the process keeps up to 128 MB of freed memory for reuse. The same holds for torch's CPU allocator
and for the host batches every backend is fed (measured: an image classifier whose step is
``Rescaling -> GlobalAveragePooling2D -> Dense``, 64 images of 64x64x3 per batch, fit from an
in-memory array on torch: 38k -> 115k images/s; its Rescaling multiply on a fresh 3 MB output took
0.4-0.6 ms instead of 0.04 ms), so every backend applies it, not only NumPy.

Applied once, on Linux with glibc, when a backend is loaded; skipped when the user already set any
``MALLOC_*_`` variable, and turned off with ``KSHIM_MALLOC_TUNING=0`` (or the older
``KSHIM_NUMPY_MALLOC_TUNING=0``).
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_applied: bool | None = None


def tune_malloc() -> bool:
    """Apply the settings above (once); returns whether they are in effect."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if not sys.platform.startswith("linux"):
        return False
    if "0" in (os.environ.get("KSHIM_MALLOC_TUNING", "1"), os.environ.get("KSHIM_NUMPY_MALLOC_TUNING", "1")):
        return False
    if any(k.startswith("MALLOC_") and k.endswith("_") for k in os.environ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl has no mallopt thresholds)
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    except (OSError, AttributeError):
        return False
    _applied = bool(ok)
    return _applied
