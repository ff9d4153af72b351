"""A tiny shared helper for ``get``/``serialize``/``deserialize`` of named Keras objects."""
from __future__ import annotations

from typing import Any


def serialize_obj(obj: Any, module: str) -> dict:
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def lookup(kind: str, identifier: Any, classes: dict, aliases: dict, custom_objects: dict | None = None) -> Any:
    """Resolve a string/dict/class identifier against ``classes`` (by class name) and ``aliases``."""
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = (custom_objects or {}).get(name) or classes.get(name) or aliases.get(name)
        if cls is None:
            from .saving.registry import get_registered
            cls = get_registered(identifier.get("registered_name") or name)
        if cls is None:
            raise ValueError(f"Unknown {kind} {name!r}. Valid: {', '.join(sorted(classes))}.")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = (custom_objects or {}).get(identifier) or aliases.get(identifier) or classes.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown {kind} {identifier!r}. Valid names: "
                             f"{', '.join(sorted(set(aliases) | set(classes)))}.")
        return cls() if isinstance(cls, type) else cls
    if isinstance(identifier, type):
        return identifier()
    return identifier
