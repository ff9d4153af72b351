"""``kshim.saving``: Keras 3 serialization and the ``.keras`` format."""

from .registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,  # noqa: F401
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from .._serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401
from .saving_api import CorruptFileError, load_model, load_weights, save_model, save_weights  # noqa: F401
from .._lambda_code import enable_unsafe_deserialization  # noqa: F401
