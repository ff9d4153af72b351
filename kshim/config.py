"""``keras.config``: the public configuration functions.

The state lives in :mod:`kshim._config`, the lowest module (internal code imports that); this module is
the public facade, so it may also reach the backend, dtype policies and the Lambda-loading switch.
"""
from __future__ import annotations

from typing import Any

from ._config import (  # noqa: F401
    floatx,
    set_floatx,
    epsilon,
    set_epsilon,
    image_data_format,
    set_image_data_format,
    standardize_data_format,
    enable_interactive_logging,
    disable_interactive_logging,
    is_interactive_logging_enabled,
    enable_traceback_filtering,
    disable_traceback_filtering,
    is_traceback_filtering_enabled,
    enable_flash_attention,
    disable_flash_attention,
    is_flash_attention_enabled,
    is_nnx_enabled,
    set_max_epochs,
    max_epochs,
    set_max_steps_per_epoch,
    max_steps_per_epoch,
)


def enable_unsafe_deserialization() -> None:
    """Allow loading Lambda layers' Python code from files (as ``safe_mode=False`` does)."""
    from ._lambda_code import enable_unsafe_deserialization as _enable
    _enable()


def backend() -> str:
    """Name of the active backend (same as ``kshim.backend.backend()``)."""
    from . import backend as _b
    return _b.backend()


def set_dtype_policy(policy: Any) -> None:
    """Set the global dtype policy (``keras.config.set_dtype_policy``; e.g. ``"mixed_float16"``)."""
    from .layers.dtype_policy import set_dtype_policy as _set
    _set(policy)


def dtype_policy() -> Any:
    """The global ``DTypePolicy`` (``keras.config.dtype_policy``)."""
    from .layers.dtype_policy import dtype_policy as _get
    return _get()


def set_backend(backend: str) -> None:
    """Make ``backend`` the process-wide default backend (``keras.config.set_backend``).

    Unlike Keras, kshim needs no module reload: backends are values, so objects created later
    use the new backend while existing variables keep theirs. A ``kshim.backend.use`` block still
    takes precedence inside it.

    Args:
        backend: A backend name (``"numpy"``, ``"jax"``, ``"torch"`` or a registered one).

    Raises:
        TypeError: ``backend`` is not a string.
        ValueError: unknown backend name.
    """
    from . import backend as _b
    _b.set_backend(backend)
