"""``kshim.dtype_policies`` (``keras.dtype_policies``): the float dtype policies, ``get``, ``serialize``
and ``deserialize``.

The quantized policies (``QuantizedDTypePolicy``, ``QuantizedFloat8DTypePolicy``, ``Int4DTypePolicy``,
``GPTQDTypePolicy``, ``AWQDTypePolicy``) and ``DTypePolicyMap`` (a per-layer map used by quantized
models) are not provided: kshim has no quantization.
"""

from __future__ import annotations

from typing import Any

from .layers.dtype_policy import DTypePolicy
from .layers.dtype_policy import get as _get

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]


class FloatDTypePolicy(DTypePolicy):
    """An alias of :class:`DTypePolicy` (as in Keras 3); serialized under its own class name.

    Args:
        name: A float dtype name or ``"mixed_float16"`` / ``"mixed_bfloat16"``; ``None`` uses ``floatx()``.
    """

    def __repr__(self) -> str:
        return f'<FloatDTypePolicy "{self.name}">'


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def serialize(dtype_policy: DTypePolicy) -> dict:
    """The policy as Keras serializes it: ``{"module": "keras", "class_name", "config", "registered_name"}``.

    Args:
        dtype_policy: A ``DTypePolicy``.

    Returns:
        The dict (``config`` is ``{"name": ...}``).

    Raises:
        ValueError: If ``dtype_policy`` is not a ``DTypePolicy``.
    """
    if not isinstance(dtype_policy, DTypePolicy):
        raise ValueError(f"Expected a DTypePolicy to serialize; got {dtype_policy!r:.80}.")
    name = "FloatDTypePolicy" if isinstance(dtype_policy, FloatDTypePolicy) else "DTypePolicy"
    return {"module": "keras", "class_name": name, "config": dtype_policy.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> DTypePolicy:
    """The policy of a serialized ``config`` (``serialize``'s dict, or ``{"class_name", "config"}``).

    Args:
        config: The serialized policy.
        custom_objects: Optional mapping of class names to ``DTypePolicy`` subclasses.

    Returns:
        The ``DTypePolicy`` (a ``FloatDTypePolicy`` for that class name).

    Raises:
        ValueError: For an unknown class name or a malformed config. (Keras 3 returns the unknown
            class name as a string instead; kshim refuses it.)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialized dtype policy (a dict with 'class_name'); got {config!r:.120}.")
    classes = dict(_CLASSES, **(custom_objects or {}))
    cls = classes.get(config["class_name"])
    if cls is None:
        raise ValueError(
            f"Unknown dtype policy class {config['class_name']!r}; expected one of {sorted(classes)} "
            f"(pass a custom class in custom_objects). kshim has no quantized policies."
        )
    inner = config.get("config") or {}
    if not isinstance(inner, dict) or set(inner) - {"name"}:
        raise ValueError(f"Unknown `config` for a dtype policy: {config!r:.120}; expected {{'name': 'float32'}}.")
    return cls(inner.get("name"))


def get(identifier: Any) -> DTypePolicy:
    """The policy for ``identifier``: ``None`` (the global policy), a ``DTypePolicy``, a name
    (``"mixed_float16"``), a serialized policy or a dtype.

    Args:
        identifier: What to interpret.

    Returns:
        The ``DTypePolicy``.

    Raises:
        ValueError: If ``identifier`` cannot be interpreted (a quantized policy name included).
    """
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    return _get(identifier)
