"""``register_keras_serializable`` and the custom-object registry (``keras.saving``).

Defined in :mod:`kshim._registry`.
"""

from .._registry import (
    _NAMES,
    _REGISTRY,
    _SCOPE,
    CustomObjectScope,
    _registered_key,  # noqa: F401
    custom_object_scope,
    get_custom_objects,
    get_registered,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
