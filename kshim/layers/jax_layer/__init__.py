"""``JaxLayer`` and ``FlaxLayer``: JAX functions and Flax modules inside kshim models (JAX backend)."""

from .flax_layer import FlaxLayer  # noqa: F401
from .jax_layer import JaxLayer  # noqa: F401
