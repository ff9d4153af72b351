"""``kshim.preprocessing``: the legacy ``keras.preprocessing`` namespace Keras 3 still exports.

* ``sequence``: ``pad_sequences``.
* ``image``: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize``
  (Pillow does the file work).
* ``image_dataset_from_directory``, ``text_dataset_from_directory``, ``timeseries_dataset_from_array``:
  the ``kshim.utils`` functions (they return ``ArrayDataset`` objects, no TensorFlow needed).

``keras.preprocessing.text`` is gone from Keras 3 (use ``keras.layers.TextVectorization``).
"""

from __future__ import annotations

from typing import Any

from . import sequence  # noqa: F401

_LAZY = {
    "image": None,
    "image_dataset_from_directory": "..utils.datasets_image",
    "text_dataset_from_directory": "..utils.datasets_text",
    "timeseries_dataset_from_array": "..utils.timeseries",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "image":
        return importlib.import_module(".image", __name__)
    target = _LAZY.get(name)  # (None only for "image", handled above)
    if target is not None:
        value = getattr(importlib.import_module(target, __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kshim.preprocessing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
