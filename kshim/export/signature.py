"""Input signatures for export: Keras' accepted forms, inference from a built model, sample inputs.

An export signature is a list with one entry per positional argument of the model's call; each entry
is a nested structure (a list, tuple or dict, or a single leaf) of :class:`~kshim.layers.InputSpec`
leaves that all carry a ``shape`` and a ``dtype``. ``None`` dims are dynamic in the exported program.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optree

from .. import dtypes as _dt
from ..layers.input_spec import InputSpec

BATCH = "batch"
"""Name of the dynamic batch dimension (dim 0 of every input) in the exported programs."""

_BATCH_SAMPLE = 2  # torch.export specializes size-1 dims to constants, so dynamic dims are traced at 2 ...
_OTHER_SAMPLE = 3  # ... and other dynamic dims at 3, so a batch dim and another dim never look equal


def _tree_flatten(structure: Any) -> tuple[list, Any]:
    leaves, treedef = optree.tree_flatten(
        structure, is_leaf=lambda x: not isinstance(x, (list, tuple, dict)), none_is_leaf=True
    )
    return leaves, treedef


def flatten(structure: Any) -> list:
    """The leaves of a signature (or of a structure of tensors shaped like it), in order."""
    return _tree_flatten(structure)[0]


def pack_as(structure: Any, flat: list) -> Any:
    """``flat`` leaves put back into the nesting of ``structure``."""
    return optree.tree_unflatten(_tree_flatten(structure)[1], list(flat))


def make_input_spec(x: Any) -> InputSpec:
    """One leaf of a signature as an ``InputSpec`` with a shape and a dtype.

    Keras' rules: an ``InputSpec`` is kept as it is (its batch dim stays what it says); a
    ``KerasTensor`` or a tensor (any backend, or a NumPy array) gives its dtype and its shape with the
    batch dim made dynamic (``None``).

    Raises:
        ValueError: an ``InputSpec`` without a shape or a dtype.
        TypeError: anything else.
    """
    if isinstance(x, InputSpec):
        if x.shape is None or x.dtype is None:
            raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={x}")
        return x
    shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(x, (list, tuple, dict, str)):
        dims = tuple(None if d is None else int(d) for d in tuple(shape))
        dims = (None,) + dims[1:] if dims else dims
        return InputSpec(
            shape=dims,
            dtype=_dt.standardize_dtype(_dtype_name(dtype)),
            name=getattr(x, "name", None) if type(x).__name__ == "KerasTensor" else None,
        )
    raise TypeError(
        f"Unsupported x={x} of the type ({type(x)}). Supported types are: `keras.InputSpec`, "
        f"`keras.KerasTensor` and backend tensor."
    )


def _dtype_name(dtype: Any) -> Any:
    if isinstance(dtype, str):
        return dtype
    s = str(dtype)
    if s.startswith("torch."):  # torch.float32 -> "float32"
        return s[len("torch.") :]
    return np.dtype(dtype).name if not hasattr(dtype, "name") else dtype.name


def _is_leaf_spec(x: Any) -> bool:
    return not isinstance(x, (list, tuple, dict))


def _functional_inputs(model: Any) -> Any:
    """The input structure of a functional model (``Model(inputs, outputs)``), else ``None``."""
    return getattr(model, "_inputs_struct", None)


def _subclass_signature(model: Any) -> list:
    shape = getattr(model, "_build_input_shape", None)
    if shape is None:
        raise ValueError("The model provided has never called. It must be called at least once before export.")
    dtype = getattr(model, "input_dtype", None) or model.compute_dtype

    def spec(s: Any) -> Any:
        if isinstance(s, dict):
            return {k: spec(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in s):
            return InputSpec(shape=(None,) + tuple(s)[1:], dtype=dtype)
        return [spec(v) for v in s]

    return [spec(shape)]


def get_input_signature(model: Any, input_signature: Any = None) -> list:
    """The export signature of ``model``: the given ``input_signature`` standardized, or one inferred.

    Args:
        model: A built kshim model.
        input_signature: ``None`` (infer: a functional model's inputs, a Sequential model's input, a
            subclassed model's first-call shape), or a structure of ``InputSpec``, ``KerasTensor`` or
            tensors, one entry per positional argument. kshim also takes a single leaf for a one-input
            model, and a flat list of one leaf per input of a multi-input functional model.

    Returns:
        A list of structures of ``InputSpec``, one per positional argument of the model's call.

    Raises:
        ValueError: an unbuilt model, or an ``InputSpec`` without a shape or dtype.
        TypeError: an unsupported signature leaf.
    """
    if input_signature is None:
        if not getattr(model, "built", False):
            raise ValueError("The model provided has not yet been built. It must be built before export.")
        struct = _functional_inputs(model)
        if struct is not None:
            return [optree.tree_map(make_input_spec, struct, none_is_leaf=True)]
        inputs = getattr(model, "inputs", None) if hasattr(type(model), "inputs") else None
        if inputs:
            return [make_input_spec(t) for t in inputs]
        return _subclass_signature(model)
    sig = input_signature
    if _is_leaf_spec(sig):
        sig = [sig]
    elif isinstance(sig, dict):
        sig = [sig]
    struct = _functional_inputs(model)
    n_inputs = len(flatten(struct)) if struct is not None else 0
    if n_inputs > 1 and len(sig) == n_inputs and all(_is_leaf_spec(s) for s in sig):
        sig = [list(sig)]  # one leaf per input of a functional model: its single `inputs` argument
    return [_map_specs(s) for s in sig]


def _map_specs(structure: Any) -> Any:
    leaves, treedef = _tree_flatten(structure)
    return optree.tree_unflatten(treedef, [make_input_spec(x) for x in leaves])


def input_names(signature: list) -> list[str]:
    """One name per flat input, as Keras names ONNX inputs: the spec's name, else ``input_{i}``."""
    names, seen = [], set()
    for i, spec in enumerate(flatten(signature)):
        name = getattr(spec, "name", None) or f"input_{i}"
        if name in seen:
            name = f"{name}_{i}"
        seen.add(name)
        names.append(name)
    return names


def dynamic_dims(signature: list) -> list[dict[int, str]]:
    """For each flat input, ``{dim: symbol}`` of its ``None`` dims: ``"batch"`` for dim 0 (shared by
    every input), ``"dim_{input}_{dim}"`` for the others (Keras' names)."""
    out = []
    for i, spec in enumerate(flatten(signature)):
        out.append({d: BATCH if d == 0 else f"dim_{i}_{d}" for d, s in enumerate(spec.shape) if s is None})
    return out


def sample_inputs(signature: list) -> list[np.ndarray]:
    """Flat NumPy sample inputs for tracing: dynamic dims at small sizes that no tracer specializes,
    and values that differ from one sample to the next (float: a fixed pseudo-random normal draw;
    integer/bool: sample ``i`` filled with ``i % 2``), so a program that mixed samples would show it."""
    rng = np.random.default_rng(0)
    out = []
    for spec in flatten(signature):
        shape = tuple(
            s if s is not None else (_BATCH_SAMPLE if d == 0 else _OTHER_SAMPLE) for d, s in enumerate(spec.shape)
        )
        dtype = _dt.standardize_dtype(spec.dtype)
        if _dt.is_float(dtype):
            np_dtype = "float32" if dtype == "bfloat16" else dtype
            out.append(rng.standard_normal(shape).astype(np_dtype))
        else:
            fill = np.zeros(shape, dtype="int64")
            if shape:
                fill += (np.arange(shape[0]) % 2).reshape((-1,) + (1,) * (len(shape) - 1))
            out.append(fill.astype("bool" if dtype == "bool" else dtype))
    return out
