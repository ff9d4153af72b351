"""Preprocessing and augmentation layers (``keras.layers`` names).

Every layer here is a :class:`DataLayer`: it runs on the active backend inside a model and on NumPy
in a data pipeline (:func:`run_on_numpy`), without TensorFlow. Each submodule lists its public
names in ``__all__``; this package re-exports them.
"""

from .basic import Normalization, Rescaling  # noqa: F401
from .data_layer import DataLayer, run_on_numpy  # noqa: F401
from .image_base import BaseImagePreprocessingLayer  # noqa: F401
from .image_geometric import *  # noqa: F401,F403
from .image_color import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .audio import *  # noqa: F401,F403
from . import image_geometric as _g, image_color as _c, text as _t, audio as _a

__all__ = [
    "Normalization",
    "Rescaling",
    "DataLayer",
    "run_on_numpy",
    "BaseImagePreprocessingLayer",
    *_g.__all__,
    *_c.__all__,
    *_t.__all__,
    *_a.__all__,
]
