"""Weights in Keras 3's h5 layout: the object tree walked as Keras walks it.

A model's children are its public attributes holding layers (sorted by name; Functional and
Sequential models expose ``layers``), plus ``optimizer`` at the top. A list becomes a group whose
members are named by snake_case class name, made unique (``dense``, ``dense_1``). Each object's
own variables go to ``<path>/vars/<i>``; an object reached twice is saved once (first path wins).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..layers.layer import Layer
from .._naming import to_snake_case


def _children(obj: Any, top: bool) -> list[tuple[str, Any]]:
    out: dict[str, Any] = {}
    if isinstance(obj, Layer):
        for name in obj.__dict__.get("_tracked_attrs", {}):
            out[name] = getattr(obj, name, None)
        if getattr(type(obj), "_saves_layers_group", False):  # models (class attribute of Model)
            out["layers"] = obj.layers
            optimizer = getattr(obj, "optimizer", None) if top else None
            if optimizer is not None:
                out["optimizer"] = optimizer
    return sorted(out.items())


def _entries(obj: Any) -> list[tuple[str, Any]]:
    """``(dataset name, variable)`` for ``obj``'s own variables: ``"0"``, ``"1"``, ... in variable order,
    or the names an object chooses through ``_weights_file_entries()`` (a wrapped torch module writes
    its ``state_dict`` keys, as Keras' ``TorchModuleWrapper`` does)."""
    named = getattr(obj, "_weights_file_entries", None)
    if callable(named):
        return list(named())
    return [(str(i), v) for i, v in enumerate(_own_vars(obj))]


def _own_vars(obj: Any) -> list:
    if isinstance(obj, Layer):
        return list(obj._trainable_variables) + list(obj._non_trainable_variables)
    if hasattr(obj, "variables") and not isinstance(obj, (list, tuple, dict)):
        if not getattr(obj, "built", True):
            return []
        return list(obj.variables)
    return []


def walk(obj: Any, path: str = "", top: bool = True, seen: set | None = None) -> Iterator[tuple[str, Any, bool]]:
    """Yield ``(path, object, is_container)`` in save order; containers are lists (no vars)."""
    seen = set() if seen is None else seen
    if isinstance(obj, (list, tuple, dict)):
        yield path, obj, True
        items = obj.values() if isinstance(obj, dict) else obj
        used: dict[str, int] = {}
        for child in items:
            if not (isinstance(child, Layer) or hasattr(child, "variables")):
                continue
            base = to_snake_case(type(child).__name__)
            n = used.get(base, 0)
            used[base] = n + 1
            name = base if n == 0 else f"{base}_{n}"
            yield from walk(child, f"{path}/{name}" if path else name, False, seen)
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield path, obj, False
    for name, child in _children(obj, top):
        if child is None:
            continue
        if not isinstance(child, (list, tuple, dict)) and id(child) in seen:
            continue
        yield from walk(child, f"{path}/{name}" if path else name, False, seen)


def save_to_h5(model: Any, h5: Any, include_optimizer: bool = True) -> None:
    for path, obj, container in walk(model):
        if not include_optimizer and (path == "optimizer" or path.startswith("optimizer/")):
            continue
        group = h5.require_group(path) if path else h5
        if container:
            continue
        vars_group = group.require_group("vars")
        for key, v in _entries(obj):
            arr = v.numpy()
            if arr.dtype.name == "bfloat16":
                arr = arr.astype(np.float32)
            vars_group.create_dataset(key, data=arr)


class WeightsMismatch(ValueError):
    """A weights file does not fit the model (missing groups, counts or shapes)."""


class WeightsReadError(ValueError):
    """A dataset of a weights file could not be read or converted (the file is damaged)."""


def load_from_h5(model: Any, h5: Any, skip_mismatch: bool = False, load_optimizer: bool = True) -> None:
    """Assign every variable from ``h5``, all or nothing.

    Every group, count and shape is validated and every dataset read and converted to its
    variable's dtype before the first variable changes, so a failure leaves the model as it was.

    Raises:
        WeightsMismatch: the file does not fit the model.
        WeightsReadError: a dataset is damaged or cannot be converted.
    """
    import h5py

    opt_group = h5.get("optimizer/vars")
    file_has_opt = isinstance(opt_group, h5py.Group) and len(opt_group.keys()) > 0
    load_optimizer = load_optimizer and file_has_opt
    if (
        load_optimizer
        and getattr(model, "optimizer", None) is not None
        and not getattr(model.optimizer, "built", False)
    ):
        model.optimizer.build(model.trainable_variables)
    plan = []
    for path, obj, container in walk(model):
        if container:
            continue
        if path.startswith("optimizer") and not load_optimizer:
            continue
        entries = _entries(obj)
        if not entries:
            continue
        try:
            plan += _plan_for(obj, entries, h5, f"{path}/vars" if path else "vars", h5py)
        except WeightsMismatch:
            if not skip_mismatch:
                raise
    # All-or-nothing: read and convert every tensor before the first assignment.
    values = [(v, _read_as(v, ds, where)) for v, ds, where in plan]
    for v, value in values:
        v.assign(value)


def _plan_for(obj: Any, entries: list, h5: Any, key: str, h5py: Any) -> list:
    """``(variable, dataset, path)`` for each of ``obj``'s variables, after checking the file has
    exactly a dataset ``key/<name>`` of the right shape for each (``WeightsMismatch`` otherwise)."""
    vars_ = [v for _, v in entries]
    group = h5.get(key)
    if group is None:
        raise WeightsMismatch(
            f"The weights file has no group {key!r} for {_describe(obj)} "
            f"({len(vars_)} variables). Is it from a different model?"
        )
    if not isinstance(group, h5py.Group):
        raise WeightsMismatch(
            f"{key!r} in the weights file is a {type(group).__name__}, not a group of variables for {_describe(obj)}."
        )
    if len(group.keys()) != len(vars_):
        raise WeightsMismatch(
            f"{_describe(obj)} expects {len(vars_)} variables but the file has {len(group.keys())} at {key!r}."
        )
    out = []
    for i, v in entries:
        ds = group.get(i)
        if not isinstance(ds, h5py.Dataset):
            raise WeightsMismatch(
                f"The weights file has no dataset {key}/{i} for {_describe(obj)} variable "
                f"{i} ({v.path}); it has {sorted(group.keys())[:10]}."
            )
        if tuple(ds.shape) != tuple(v.shape):
            raise WeightsMismatch(
                f"Shape mismatch for {_describe(obj)} variable {i} ({v.path}): the model "
                f"has {tuple(v.shape)}, the file has {tuple(ds.shape)} at {key}/{i}."
            )
        out.append((v, ds, f"{key}/{i}"))
    return out


def _read_as(v: Any, ds: Any, where: str) -> Any:
    """Dataset ``ds`` as a backend tensor of variable ``v``'s dtype (raises ``WeightsReadError``)."""
    try:
        arr = np.asarray(ds[()])
        if v.dtype != "bfloat16":
            arr = arr.astype(np.dtype(v.dtype))
        return v._convert(arr)
    except (OSError, ValueError, TypeError, KeyError, OverflowError, RuntimeError) as e:
        raise WeightsReadError(
            f"cannot read dataset {where!r} as {v.dtype} for variable {v.path!r} ({type(e).__name__}: {e})"
        ) from e


def _describe(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return f"{type(obj).__name__} {name!r}" if name else type(obj).__name__
