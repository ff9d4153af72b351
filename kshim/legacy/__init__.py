"""``keras.legacy``: the Keras 2 era helpers Keras 3 still exports (``keras.legacy.saving``)."""

from . import saving

__all__ = ["saving"]
