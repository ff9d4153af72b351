"""``kshim.preprocessing``: the legacy ``keras.preprocessing`` namespace Keras 3 still exports.

Only ``sequence`` (``pad_sequences``) is provided. Keras 3's ``keras.preprocessing.image``
(``img_to_array``, ``load_img``, ...) and the ``*_dataset_from_directory`` helpers are not: under
``kshim.alias_keras()`` importing them raises an ``ImportError`` that says so.
"""
from . import sequence  # noqa: F401
