"""``kshim.ops``: Keras 3 ``keras.ops`` over the active backend.

Composites are written once here over the backend protocol; each op converts its inputs,
applies Keras' dtype promotion, and calls the active backend's primitives. Called on symbolic
``KerasTensor`` inputs, an op records a node of a functional model instead.
"""

from .core import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .nn_loss import *  # noqa: F401,F403
from .nn_norm import *  # noqa: F401,F403
from .numpy_linalg import *  # noqa: F401,F403
from .numpy_math import *  # noqa: F401,F403
from .numpy_reduce import *  # noqa: F401,F403
from .numpy_shape import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .signal import *  # noqa: F401,F403
from .numpy_complex import *  # noqa: F401,F403
from .numpy_extra import *  # noqa: F401,F403
from .nn_extra import *  # noqa: F401,F403
from . import image  # noqa: F401  (keras.ops.image: a namespace of its own, as in Keras)


def _public_names() -> list[str]:
    import types

    g = globals()
    return sorted(
        n
        for n, v in g.items()
        if not n.startswith("_")
        and callable(v)
        and not isinstance(v, types.ModuleType)
        and n not in ("Any", "Callable", "Sequence")
    )
