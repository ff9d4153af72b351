"""The rest of ``keras.ops.nn`` and ``keras.ops.core``: CTC, segment ops, adaptive pooling, normalizations, functional transforms.

The ops live in topic modules re-exported here: ``nn_extra_ctc`` (ctc_loss, ctc_decode) and
``nn_extra_transforms`` (custom_gradient, jvp, map, vectorized_map, associative_scan).
"""
from __future__ import annotations

from . import nn_extra_ctc as _ctc
from . import nn_extra_transforms as _transforms
from .nn_extra_ctc import *  # noqa: F401,F403
from .nn_extra_transforms import *  # noqa: F401,F403

__all__ = [*_ctc.__all__, *_transforms.__all__]
