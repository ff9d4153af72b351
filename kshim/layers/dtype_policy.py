"""Dtype policies: ``float32``, ``float64``, ``mixed_float16``, ``mixed_bfloat16``."""

from __future__ import annotations

from typing import Any

from .. import _config as config


class DTypePolicy:
    """Variable dtype and compute dtype of a layer (``mixed_*`` keep float32 variables).

    ``policy.variable_dtype`` and ``policy.compute_dtype`` are both the named dtype, except for
    ``"mixed_float16"`` and ``"mixed_bfloat16"``, which keep ``float32`` variables and compute in the
    half-precision dtype.

    Args:
        name: A float dtype name (``"float32"``, ...) or ``"mixed_float16"`` / ``"mixed_bfloat16"``;
            ``None`` (default) uses ``floatx()``.

    Raises:
        ValueError: If ``name`` is not a string, or is an unknown ``mixed_`` name.
    """

    def __init__(self, name: str | None = None):
        name = name or config.floatx()
        if not isinstance(name, str):
            raise ValueError(
                f"Cannot interpret {name!r} (of type {type(name).__name__}) as a dtype policy: "
                f"expected a string such as 'float32' or 'mixed_float16'."
            )
        if name.startswith("mixed_"):
            if name not in _MIXED:
                raise ValueError(
                    f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid policies "
                    f"include {', '.join(map(repr, _MIXED))}, and the name of any float dtype such "
                    f"as 'float32'."
                )
            self.variable_dtype, self.compute_dtype = "float32", name[len("mixed_") :]
        else:
            from ..dtypes import standardize_dtype

            self.variable_dtype = self.compute_dtype = standardize_dtype(name)
        self.name = name

    def get_config(self) -> dict:
        return {"name": self.name}

    def __eq__(self, other: object) -> bool:
        """Same name, and both plain float policies (``DTypePolicy``/``FloatDTypePolicy``), as Keras."""
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("DTypePolicy", self.name))

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


_MIXED = ("mixed_float16", "mixed_bfloat16")
_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy")


def _from_dict(cfg: dict) -> DTypePolicy:
    """A policy from its serialized form ``{"class_name": "DTypePolicy", "config": {"name": ...}}``
    (or the bare ``{"name": ...}``); anything else is refused, never silently replaced by the default."""
    if "class_name" in cfg:
        if cfg["class_name"] not in _POLICY_CLASSES:
            raise ValueError(
                f"Unknown dtype policy class {cfg['class_name']!r} in the `dtype` config "
                f"{cfg!r:.200}; expected one of {list(_POLICY_CLASSES)}."
            )
        inner = cfg.get("config")
        if inner is None:  # as Keras: a null config means the default policy
            return DTypePolicy(_GLOBAL[0] or config.floatx())
    else:
        inner = cfg
    if not isinstance(inner, dict) or set(inner) != {"name"}:
        raise ValueError(
            f"Unknown `config` as a `dict` for a dtype policy: {cfg!r:.200}. Expected "
            f"{{'class_name': 'DTypePolicy', 'config': {{'name': 'float32'}}}} or a dtype name."
        )
    return DTypePolicy(inner["name"])


def get(dtype: Any) -> DTypePolicy:
    """The policy for ``dtype``: ``None`` (the global default), a policy, a name or a serialized policy.

    Raises:
        ValueError: For any other value (a dict of another form, a number, a list, an unknown name).
    """
    if dtype is None:
        return DTypePolicy(_GLOBAL[0] or config.floatx())
    if isinstance(dtype, DTypePolicy):
        return dtype
    if isinstance(dtype, dict):
        return _from_dict(dtype)
    if isinstance(dtype, str):
        return DTypePolicy(dtype)
    if not isinstance(dtype, (bool, int, float, bytes, list, tuple, set)):  # a NumPy/JAX/torch dtype or type
        import numpy as np

        from ..dtypes import standardize_dtype

        for candidate in (lambda: dtype, lambda: np.dtype(dtype)):
            try:
                return DTypePolicy(standardize_dtype(candidate()))
            except (TypeError, ValueError):
                pass
    raise ValueError(
        f"Cannot interpret `dtype` argument {dtype!r:.80} (of type {type(dtype).__name__}). "
        f"Expected a string, a DTypePolicy or a serialized DTypePolicy dict."
    )


_GLOBAL: list = [None]


def set_dtype_policy(policy: Any) -> None:
    """Set the global default policy (e.g. ``"mixed_float16"``); None goes back to the default,
    which follows ``floatx()``.

    Args:
        policy: A policy name, a ``DTypePolicy``, a serialized policy dict, or ``None``.

    Raises:
        ValueError: If ``policy`` cannot be interpreted as a dtype policy.
    """
    _GLOBAL[0] = None if policy is None else get(policy).name


def dtype_policy() -> DTypePolicy:
    """The global default dtype policy.

    Returns:
        A ``DTypePolicy``: the one set by ``set_dtype_policy``, else one named after ``floatx()``.
    """
    return get(None)


def serialize(policy: DTypePolicy) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": policy.name}, "registered_name": None}
