"""``kshim.layers``: the Keras 3 layer catalogue."""
from .core import Activation, Dense, EinsumDense, Embedding, Identity, Lambda  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .layer import Layer  # noqa: F401
