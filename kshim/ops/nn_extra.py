"""The rest of ``keras.ops.nn`` and ``keras.ops.core``: CTC, segment ops, adaptive pooling,
normalizations, functional transforms.

The ops live in topic modules re-exported here:

* ``nn_extra_ctc``: ctc_loss, ctc_decode
* ``nn_extra_pool``: adaptive_average_pool, adaptive_max_pool, depth_to_space, space_to_depth,
  fold, unfold, extract_sequences
* ``nn_extra_act``: layer_normalization, rms_normalization, psnr, sparse_sigmoid, sparsemax, threshold
* ``nn_extra_core``: saturate_cast, segment_min, segment_prod, rearrange
* ``nn_extra_transforms``: custom_gradient, jvp, map, vectorized_map, associative_scan
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import nn_extra_act as _act
from . import nn_extra_core as _core
from . import nn_extra_ctc as _ctc
from . import nn_extra_pool as _pool
from . import nn_extra_transforms as _transforms
from .nn_extra_act import *  # noqa: F401,F403
from .nn_extra_core import *  # noqa: F401,F403
from .nn_extra_ctc import *  # noqa: F401,F403
from .nn_extra_pool import *  # noqa: F401,F403
from .nn_extra_transforms import *  # noqa: F401,F403

# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [*_ctc.__all__, *_pool.__all__, *_act.__all__, *_core.__all__, *_transforms.__all__]
