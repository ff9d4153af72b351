"""``keras.utils.bounding_boxes`` (the nine box functions; implemented in kshim.layers.preprocessing)."""

from ..layers.preprocessing.bounding_boxes import *  # noqa: F401,F403
from ..layers.preprocessing.bounding_boxes import __all__  # noqa: F401
