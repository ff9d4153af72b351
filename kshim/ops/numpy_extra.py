"""The rest of ``keras.ops.numpy``: nan-reductions, quantiles, set and search ops, splits and stacks, number theory.

The ops live in topic modules (``numpy_extra_<topic>.py``); this module re-exports them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import numpy_extra_bits as _bits
from . import numpy_extra_math as _math
from . import numpy_extra_nan as _nan
from . import numpy_extra_quantile as _quantile
from . import numpy_extra_search as _search
from . import numpy_extra_sets as _sets
from . import numpy_extra_shape as _shape
from . import numpy_extra_stats as _stats
from . import numpy_extra_vectorize as _vectorize
from .numpy_extra_bits import *  # noqa: F401,F403
from .numpy_extra_math import *  # noqa: F401,F403
from .numpy_extra_nan import *  # noqa: F401,F403
from .numpy_extra_quantile import *  # noqa: F401,F403
from .numpy_extra_search import *  # noqa: F401,F403
from .numpy_extra_sets import *  # noqa: F401,F403
from .numpy_extra_shape import *  # noqa: F401,F403
from .numpy_extra_stats import *  # noqa: F401,F403
from .numpy_extra_vectorize import *  # noqa: F401,F403

# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = sorted(
        set(
            _bits.__all__
            + _math.__all__
            + _nan.__all__
            + _quantile.__all__
            + _search.__all__
            + _sets.__all__
            + _shape.__all__
            + _stats.__all__
            + _vectorize.__all__
        )
    )
