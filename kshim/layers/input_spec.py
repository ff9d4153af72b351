"""``InputSpec`` and the input compatibility check ``Layer.__call__`` runs (``keras.InputSpec``).

A layer that sets ``self.input_spec`` (an ``InputSpec`` or a nested structure of them, one per
input tensor of the first call argument) has its inputs checked for rank, dtype, shape and specific
axes before it builds and again right after, exactly as Keras does; a mismatch raises
``ValueError`` with Keras' message.
"""

from __future__ import annotations

from typing import Any

import optree

from .. import dtypes as _dt
from .. import ops

__all__ = ["InputSpec", "assert_input_compatibility"]


def _standardize_shape(shape: Any) -> tuple:
    out: list[int | None] = []
    for d in shape:
        if d is None:
            out.append(None)
            continue
        try:
            d = int(d)
        except (TypeError, ValueError):
            raise ValueError(f"Cannot convert '{tuple(shape)}' to a shape. Found invalid dimension '{d}'.") from None
        if d < 0:
            raise ValueError(f"Cannot convert '{tuple(shape)}' to a shape. Negative dimensions are not allowed.")
        out.append(d)
    return tuple(out)


class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer.

    A ``None`` entry in a shape is compatible with any dimension.

    Args:
        dtype: Expected dtype of the input.
        shape: Expected shape tuple, batch size included (``None`` for dynamic axes); sets ``ndim``.
        ndim: Expected rank of the input.
        max_ndim: Maximum rank of the input.
        min_ndim: Minimum rank of the input.
        axes: Dict mapping integer axes to a required dimension value.
        allow_last_axis_squeeze: Accept rank N+1 inputs whose last axis is 1, and rank N-1 inputs
            when the spec's last axis is 1.
        name: Key of this input when inputs are passed as a dict.
        optional: Whether the input may be ``None``.

    Raises:
        TypeError: If ``axes`` does not have integer keys.
        ValueError: If an axis in ``axes`` exceeds the rank given by ``ndim``/``shape``/``max_ndim``.
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ):
        self.dtype = _dt.standardize_dtype(dtype) if dtype is not None else None
        self.shape: tuple | None
        self.ndim: int | None
        if shape is not None:
            self.shape = _standardize_shape(shape)
            self.ndim = len(shape)
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            # (ndim=0 without max_ndim gives a TypeError here, as in Keras)
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1  # type: ignore[operator]
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(f"Axis {max_axis} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self) -> str:
        spec = [
            f"dtype={self.dtype}" if self.dtype else "",
            f"shape={self.shape}" if self.shape else "",
            f"ndim={self.ndim}" if self.ndim else "",
            f"max_ndim={self.max_ndim}" if self.max_ndim else "",
            f"min_ndim={self.min_ndim}" if self.min_ndim else "",
            f"axes={self.axes}" if self.axes else "",
        ]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self) -> dict:
        """The spec as a dict (``from_config`` rebuilds it)."""
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config: dict) -> "InputSpec":
        """Rebuild a spec from ``get_config()``."""
        return cls(**config)


def _flatten(x: Any) -> list:
    return optree.tree_leaves(x, none_is_leaf=True, namespace="kshim")


def _check_one(x: Any, spec: InputSpec, index: int, layer_name: str) -> None:
    where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
    shape = _standardize_shape(ops.shape(x))
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {shape}")
    if spec.dtype is not None:
        dtype = _dt.standardize_dtype(ops.dtype(x))
        if dtype != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, value in spec.axes.items():
        if value is None:
            continue
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"{where}: expected axis {axis} of input shape to have value {value}, but received "
                f"input with shape {shape}"
            )
        if shape[axis] not in (value, None):
            raise ValueError(
                f"{where}: expected axis {axis} of input shape to have value {value}, but received "
                f"input with shape {shape}"
            )
    if spec.shape is not None:
        spec_shape = spec.shape
        if spec.allow_last_axis_squeeze:
            if shape and shape[-1] == 1:
                shape = shape[:-1]
            if spec_shape and spec_shape[-1] == 1:
                spec_shape = spec_shape[:-1]
        for spec_dim, dim in zip(spec_shape, shape):
            if spec_dim is not None and dim is not None and spec_dim != dim:
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Check ``inputs`` (the first call argument) against ``input_spec``.

    Args:
        input_spec: An ``InputSpec``, a nested structure of them, or None (nothing to check).
        inputs: A tensor or a nested structure of tensors (a dict is matched by spec names when
            every spec has one).
        layer_name: The layer's name, for the error message.

    Raises:
        ValueError: If the number of inputs, a rank, dtype, axis or shape does not match.
    """
    if not input_spec:
        return
    specs = _flatten(input_spec)
    if isinstance(inputs, dict):
        names = [getattr(s, "name", None) for s in specs]
        if all(names):
            for n in names:
                if n not in inputs:
                    raise ValueError(
                        f'Missing data for input "{n}". You passed a data dictionary with keys '
                        f"{list(inputs.keys())}. Expected the following keys: {names}"
                    )
            inputs = [inputs[n] for n in names]
    flat = _flatten(inputs)
    if len(flat) != len(specs):
        spec_names = [s.name for s in specs if s is not None]
        if len(spec_names) == len(specs) and all(spec_names):
            keys = ", ".join(f"'{n}': ..." for n in spec_names)
            raise ValueError(
                f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {spec_names}, '
                f"but it received {len(flat)} input tensors. Pass inputs as a dict, e.g. "
                f"`layer({{{keys}}})`."
            )
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(flat)} '
            f"input tensors. Inputs received: {flat}"
        )
    for i, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(
                f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for layer '{layer_name}'."
            )
        _check_one(x, spec, i, layer_name)
