"""Global configuration: floatx, epsilon, image data format, and the active backend name."""
from __future__ import annotations

import json
import os
from typing import Any

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def _config_file() -> str:
    home = os.environ.get("KSHIM_HOME") or os.path.join(os.path.expanduser("~"), ".kshim")
    return os.path.join(home, "kshim.json")


def _read_file_config() -> dict:
    path = _config_file()
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _init_from_file() -> None:
    global _FLOATX, _EPSILON, _IMAGE_DATA_FORMAT
    cfg = _read_file_config()
    if "floatx" in cfg:
        set_floatx(cfg["floatx"])
    if "epsilon" in cfg:
        set_epsilon(cfg["epsilon"])
    if "image_data_format" in cfg:
        set_image_data_format(cfg["image_data_format"])


def floatx() -> str:
    """Default float dtype name (``"float32"`` unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: ``float16``, ``bfloat16``, ``float32`` or ``float64``."""
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}; expected one of float16, bfloat16, float32, float64.")
    _FLOATX = str(value)


def epsilon() -> float:
    """Fuzz factor used in numeric expressions (default 1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """``"channels_last"`` (default) or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'.")
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format: str | None) -> str:
    """Resolve ``None`` to the global default and validate."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}.")
    return df


def enable_unsafe_deserialization() -> None:
    """Allow loading Lambda layers' Python code from files (as ``safe_mode=False`` does)."""
    from .saving.lambda_code import enable_unsafe_deserialization as _enable
    _enable()


def backend() -> str:
    """Name of the active backend (same as ``kshim.backend.backend()``)."""
    from . import backend as _b
    return _b.backend()


_init_from_file()


def set_dtype_policy(policy: Any) -> None:
    """Set the global dtype policy (``keras.config.set_dtype_policy``; e.g. ``"mixed_float16"``)."""
    from .layers.dtype_policy import set_dtype_policy as _set
    _set(policy)


def dtype_policy() -> Any:
    """The global ``DTypePolicy`` (``keras.config.dtype_policy``)."""
    from .layers.dtype_policy import dtype_policy as _get
    return _get()
