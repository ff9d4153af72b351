"""``kshim.models``: Model, Sequential, functional models, and loading."""
from .functional import Functional  # noqa: F401
from .model import Model  # noqa: F401
from .sequential import Sequential  # noqa: F401


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Load a ``.keras`` file (see ``kshim.saving.load_model``)."""
    from ..saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (architecture only) from ``model.to_json()``."""
    import json

    from ..saving.serialization import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialized weights."""
    from ..saving.serialization import deserialize_keras_object, serialize_keras_object
    cfg = serialize_keras_object(model)
    cfg.pop("compile_config", None)
    return deserialize_keras_object(cfg)
