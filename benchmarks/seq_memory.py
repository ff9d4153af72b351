"""Peak memory of a timed call, in the contender's own worker process (Linux).

``measure(fn, n)`` frees what the allocator holds (``gc.collect``, glibc ``malloc_trim(0)``), reads the
resident set size, resets the process' RSS high-water mark (writing ``5`` to ``/proc/self/clear_refs``),
runs ``fn(n)`` and reads the high-water mark (``VmHWM``) again: the difference is the peak RSS growth
the call needed (activations saved for backward, gradients, optimizer temporaries, outputs). CPU
allocators here (NumPy, torch's CPU allocator, XLA's CPU runtime) all allocate through malloc/mmap,
so RSS covers every contender alike; on a GPU the device allocator's own peak would be the measure.
"""
from __future__ import annotations

import ctypes
import gc
from typing import Callable


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(fn: Callable[[int], float], n: int) -> dict:
    """``{"seconds": fn(n), "peak_mb": peak RSS growth during the call in MiB (None if unavailable)}``."""
    gc.collect()
    _trim()
    rss0 = _status_kb("VmRSS")
    ok = _reset_peak()
    seconds = fn(n)
    peak = _status_kb("VmHWM")
    mb = None if not ok or rss0 is None or peak is None else max(0, peak - rss0) / 1024.0
    return {"seconds": seconds, "peak_mb": mb}


class MemoryProbe:
    """Mixin for contenders: ``train_mem(n)`` / ``predict_mem(n)`` answer ``measure`` of ``train``/``predict``
    (the worker answers any method name, so the runner can ask for them)."""

    def train_mem(self, n: int) -> dict:
        return measure(self.train, n)

    def predict_mem(self, n: int) -> dict:
        return measure(self.predict, n)
