"""``keras.saving`` serialization: the implementation is :mod:`kshim._serialization` (below every module
that serializes nested objects); this name is the same module object."""

import sys

from .. import _serialization

sys.modules[__name__] = _serialization
