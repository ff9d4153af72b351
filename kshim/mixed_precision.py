"""``keras.mixed_precision``: the global dtype policy (``"mixed_float16"``, ``"mixed_bfloat16"``, ...).

Layers created after ``set_global_policy("mixed_float16")`` keep float32 variables and compute in
float16 (see ``kshim.layers.dtype_policy``). ``LossScaleOptimizer`` is
``kshim.optimizers.LossScaleOptimizer`` (note: ``fit`` does not scale the loss yet).
"""

from __future__ import annotations

from typing import Any

from .layers.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy
from .optimizers import LossScaleOptimizer  # noqa: F401

Policy = DTypePolicy


def set_global_policy(policy: Any) -> None:
    """Set the policy used by layers created afterwards (a name or a ``DTypePolicy``; None resets it
    to the default, which follows ``floatx()``).

    Args:
        policy: A policy name (``"mixed_float16"``, ``"float32"``, ...), a ``DTypePolicy``, or ``None``.

    Raises:
        ValueError: If ``policy`` cannot be interpreted as a dtype policy.
    """
    set_dtype_policy(policy)


def global_policy() -> DTypePolicy:
    """The current global ``DTypePolicy`` (``floatx()`` unless set).

    Returns:
        The ``DTypePolicy`` layers created now would use by default.
    """
    return dtype_policy()


__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
