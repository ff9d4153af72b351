"""Text and structured-data preprocessing layers (``keras.layers`` names), without TensorFlow.

Strings are handled on the host (NumPy arrays of ``str``/``bytes``/objects, or lists of strings);
numeric outputs are tensors of the active backend. The string layers (``TextVectorization``,
``StringLookup``, ``IntegerLookup``, ``Hashing``, ``HashedCrossing``) carry Keras' ``supports_jit = False``,
so a model holding one trains without jit; ``CategoryEncoding`` and ``Discretization`` are built from
``kshim.ops`` and trace like any layer. Vocabularies are saved as ``.keras`` assets
(``assets/<layer path>/vocabulary.txt``) as in Keras.
"""

from .category_encoding import CategoryEncoding
from .discretization import Discretization
from .hashing import HashedCrossing, Hashing
from .lookup_layers import IntegerLookup, StringLookup
from .text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "Discretization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "StringLookup",
    "TextVectorization",
]
