"""The symbolic graph moved to :mod:`kshim.ops.node` (below the ops that record into it); same module object."""

import sys

from ..ops import node as _node

sys.modules[__name__] = _node
