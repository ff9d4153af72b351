"""``kshim.initializers``: every Keras 3 initializer, drawn on the host from the portable generator.

Random values are computed in float64 NumPy from Threefry keys and then converted, so the same
seed gives bit-identical weights on numpy, jax and torch. As in Keras, the lower-case names
(``zeros``, ``glorot_uniform``, ``stft``, ...) are the classes themselves under a second name.
"""

from __future__ import annotations

from typing import Any, overload

from .base import Initializer
from .constant import Constant, Identity, Ones, Zeros
from .random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)
from .stft import STFT, STFTInitializer

IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

# Keras' lower-case aliases: the same class objects.
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
stft = STFT
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros

__all__ = [
    "Initializer",
    "Zeros",
    "Ones",
    "Constant",
    "RandomUniform",
    "RandomNormal",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeUniform",
    "HeNormal",
    "LecunUniform",
    "LecunNormal",
    "Orthogonal",
    "OrthogonalInitializer",
    "Identity",
    "IdentityInitializer",
    "STFT",
    "STFTInitializer",
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "compute_fans",
    "get",
    "serialize",
    "deserialize",
]

_ALIASES: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
    "stft": STFT,
}
_CLASSES = {c.__name__: c for c in set(_ALIASES.values())}
_CLASSES.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT})


def serialize(initializer: Initializer) -> dict:
    """The initializer as Keras' ``{"module", "class_name", "config", "registered_name"}`` dict.

    Args:
        initializer: The initializer.

    Returns:
        The dict.
    """
    return {
        "module": "keras.initializers",
        "class_name": type(initializer).__name__,
        "config": initializer.get_config(),
        "registered_name": None,
    }


def deserialize(config: Any, custom_objects: dict | None = None) -> Initializer:
    """An initializer from a :func:`serialize` dict (or anything :func:`get` accepts).

    Args:
        config: The dict, or a name.
        custom_objects: Extra ``{class_name: class}``.

    Returns:
        The initializer.

    Raises:
        ValueError: For an unknown class name.
    """
    if isinstance(config, dict):
        name = config["class_name"]
        cls = (custom_objects or {}).get(name) or _CLASSES.get(name) or _ALIASES.get(name)
        if cls is None:
            raise ValueError(f"Unknown initializer {name!r}. Valid: {', '.join(sorted(_CLASSES))}.")
        return cls.from_config(config.get("config", {}))
    return get(config)


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: Any) -> Initializer: ...


def get(identifier: Any) -> Initializer | None:
    """Initializer from a name (``"glorot_uniform"``), class name, config dict, class or instance.

    Args:
        identifier: The identifier; ``None`` gives ``None`` and a plain callable is returned as is.

    Returns:
        The initializer.

    Raises:
        ValueError: If the identifier cannot be interpreted.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown initializer {identifier!r}. Valid names: {', '.join(sorted(_ALIASES))}.")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
