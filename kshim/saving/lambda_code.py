"""(De)serialization of Lambda functions: refused on load unless ``safe_mode=False``."""
from __future__ import annotations

import base64
import marshal
import types
from typing import Any, Callable

_UNSAFE = {"value": False}


def enable_unsafe_deserialization() -> None:
    """Allow loading Lambda layers' Python bytecode from files for this process."""
    _UNSAFE["value"] = True


def serialize_function(fn: Callable) -> Any:
    from .registry import _registered_key
    reg = _registered_key(fn)
    if reg is not None:
        return {"module": fn.__module__, "class_name": "function", "config": reg.split(">")[-1],
                "registered_name": reg}
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}


def deserialize_function(config: Any, safe_mode: bool | None = None) -> Callable:
    if callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") == "function":
        from .serialization import deserialize_keras_object
        return deserialize_keras_object(config)
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        from .serialization import SAFE_MODE
        safe = SAFE_MODE.get() if safe_mode is None else safe_mode
        if safe and not _UNSAFE["value"]:
            raise ValueError(
                "Refusing to deserialize a Lambda layer's Python bytecode: this can run arbitrary code. If you "
                "trust the source of this file, pass `safe_mode=False` to load_model() or call "
                "kshim.config.enable_unsafe_deserialization().")
        code = marshal.loads(base64.b64decode(config["config"]["code"]))
        return types.FunctionType(code, globals())
    raise ValueError(f"Cannot deserialize function from {config!r}.")
