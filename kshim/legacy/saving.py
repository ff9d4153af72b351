"""``keras.legacy.saving``: the Keras 2 (``tf.keras``) object format ``{"class_name", "config"}``.

The same two functions as :mod:`kshim.utils.legacy` (in Keras 3 the two namespaces export the same
objects too); see there for the format and for kshim's one deliberate difference from Keras 3.15.
"""

from ..utils.legacy import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
