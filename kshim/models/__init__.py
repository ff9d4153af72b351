"""``kshim.models``: Model, Sequential, functional models, and loading."""

from __future__ import annotations

from typing import Any

from .cloning import clone_model  # noqa: F401
from .functional import Functional  # noqa: F401
from .model import Model  # noqa: F401
from .sequential import Sequential  # noqa: F401


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True) -> Any:  # noqa: A002
    """Load a ``.keras`` file (see ``kshim.saving.load_model``).

    Args:
        filepath: Path (str or path-like) of a ``.keras`` file written by kshim or Keras 3.
        custom_objects: Optional dict mapping names to custom classes or functions used by the model.
        compile: If ``True`` (default), restore the compile config and optimizer state saved with it.
        safe_mode: If ``True`` (default), refuse functions saved as bytecode (a ``Lambda`` layer's lambda or
            closure); see ``kshim.saving.load_model``.

    Returns:
        The loaded model, with its weights.
    """
    from ..saving.saving_api import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """Rebuild a model (architecture only) from ``model.to_json()``.

    The weights are freshly initialized; load them with ``load_weights``.

    Args:
        json_string: The JSON string produced by ``model.to_json()``.
        custom_objects: Optional dict mapping names to custom classes or functions used by the model.

    Returns:
        A new, uncompiled model with the same architecture.
    """
    import json

    from .._serialization import deserialize_keras_object

    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def __getattr__(name: str) -> Any:
    # keras.models.save_model is kshim.saving.save_model itself, imported on first use (the saving
    # modules stay out of `import kshim.models`)
    if name == "save_model":
        from ..saving.saving_api import save_model

        return save_model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"save_model"})
