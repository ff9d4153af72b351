"""The rest of ``keras.ops.nn`` and ``keras.ops.core``: CTC, segment ops, adaptive pooling, normalizations, functional transforms."""
from __future__ import annotations

__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
