"""A model on the backend an export format needs: the model itself, or a copy rebuilt there.

kshim keeps several backends live in one process, and a model's variables belong to the backend it
was built under. ONNX and ``torch.export`` trace a torch program, ``jax.export`` a JAX one; a model
built under another backend is rebuilt under the needed one from its config, with a copy of its
weights (``get_weights()``/``set_weights()``, Keras' order), exactly as a ``.keras`` file would
reload it there. The original model is not touched.
"""

from __future__ import annotations

from typing import Any

from .. import backend as _backend
from .._scope import ZeroInitScope


def model_backend(model: Any) -> str | None:
    """The name of the backend holding ``model``'s variables (``None``: it has none)."""
    for v in getattr(model, "variables", []):
        b = getattr(v, "backend", None)
        if b is not None:
            return b.name
    return None


def on_backend(model: Any, name: str) -> Any:
    """``model`` when its variables live on backend ``name`` (or it has none), else a rebuilt copy.

    Raises:
        ImportError: backend ``name`` is not installed (the message names the pip extra).
        ValueError: the model cannot be rebuilt from its config (a subclassed model without
            ``get_config``/``from_config``); the message says to build it under ``name`` instead.
    """
    _backend.get(name)  # ImportError naming the extra when the framework is missing
    held = model_backend(model)
    if held is None or held == name:
        return model
    from .._serialization import deserialize_keras_object, serialize_keras_object

    try:
        config = serialize_keras_object(model)
        config.pop("compile_config", None)
        with _backend.use(name), ZeroInitScope():  # every weight is overwritten below
            clone = deserialize_keras_object(config)
            if not getattr(clone, "built", False):
                bc = config.get("build_config") or {}
                if bc.get("input_shape") is not None:
                    clone.build_from_config(bc)
        with _backend.use(name):
            clone.set_weights(model.get_weights())
    except Exception as e:  # noqa: BLE001 - any failure to revive means: build it under `name` yourself
        raise ValueError(
            f"This export format traces a {name} program, and model {model.name!r} was built under the "
            f"{held!r} backend; kshim rebuilds such a model under {name!r} from its config and weights, which "
            f"failed ({type(e).__name__}: {e}). Build the model under `kshim.backend.use({name!r})` (or with "
            f"KSHIM_BACKEND={name}) and export that one."
        ) from e
    return clone
