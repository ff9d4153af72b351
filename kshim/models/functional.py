"""Functional models: a graph of layer calls recorded on KerasTensors, replayed on real data."""

from __future__ import annotations

from typing import Any

import optree

from .._foreign import reject_real_keras
from .._errors import ArgumentError
from .._symbolic import KerasTensor
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer
from .model import Model


def _flatten(struct: Any) -> list:
    return optree.tree_leaves(struct, namespace="kshim")


def _check_tensors(struct: Any, what: str) -> None:
    for t in _flatten(struct):
        reject_real_keras(t, f"Model({what}=...)")
        if isinstance(t, Layer):
            raise ArgumentError(
                f"Model {what} must be KerasTensors (e.g. from kshim.Input(...) or from calling a layer on one), "
                f"but got the layer {t.name!r} ({type(t).__name__}) itself. Call the layer on a tensor: "
                f"`x = {type(t).__name__}(...)(inputs)`."
            )
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model {what} must be KerasTensors, got {type(t).__name__}: {t!r}.")


def _topological_nodes(outputs: list, inputs: list) -> list:
    """Nodes needed to compute ``outputs`` from ``inputs``, ordered as Keras orders them: by
    decreasing depth (longest path to an output), ties by first discovery from the outputs."""
    input_ids = {id(t) for t in inputs}
    discovered: dict[int, int] = {}
    by_id: dict[int, Any] = {}
    depth: dict[int, int] = {}
    stack = [(t._history[0], 0) for t in reversed(outputs) if t._history is not None]
    if len(stack) != len(outputs):
        raise ValueError("Graph disconnected: an output tensor has no producing layer.")
    while stack:
        node, d = stack.pop()
        key = id(node)
        if key not in discovered:
            discovered[key] = len(discovered)
            by_id[key] = node
        if depth.get(key, -1) >= d:
            continue
        depth[key] = d
        for t in reversed(node.input_tensors):
            if id(t) in input_ids:
                if isinstance(t._history[0].layer, InputLayer):
                    stack.append((t._history[0], d + 1))
                continue  # an intermediate tensor given as a model input: the graph starts there
            if t._history is None:
                raise ValueError(f"Graph disconnected: tensor {t} has no producing layer.")
            stack.append((t._history[0], d + 1))
    order = sorted(by_id.values(), key=lambda n: (-depth[id(n)], discovered[id(n)]))
    for node in order:
        if isinstance(node.layer, InputLayer) and not any(id(t) in input_ids for t in node.output_tensors):
            raise ValueError(
                f"Graph disconnected: the output depends on input {node.layer.name!r}, which is not "
                f"among the model's inputs."
            )
    return order


def _is_input_tensor(t: Any) -> bool:
    return t._history is not None and isinstance(t._history[0].layer, InputLayer)


def _start_at_intermediate_inputs(inputs: Any, outputs: Any) -> tuple[Any, Any]:
    """Keras lets a model start from intermediate tensors (``Model(encoded, predictions)``): each such
    input becomes a new ``Input`` of the same shape and dtype, and the layers between the inputs and
    the outputs are called again on the new tensors (as Keras' graph cloning does), so the model is
    an ordinary functional graph that saves and loads like any other."""
    flat_in = _flatten(inputs)
    if all(_is_input_tensor(t) for t in flat_in):
        return inputs, outputs
    from ..layers.input_layer import Input

    mapping: dict[int, Any] = {}
    for t in flat_in:
        mapping[id(t)] = t if _is_input_tensor(t) else Input(batch_shape=tuple(t.shape), dtype=t.dtype)

    def sub(x: Any) -> Any:
        return mapping.get(id(x), x) if isinstance(x, KerasTensor) else x

    for node in _topological_nodes(_flatten(outputs), flat_in):
        if isinstance(node.layer, InputLayer):
            continue
        call: Any = (node.args, node.kwargs)  # one pytree (optree's PyTree type rejects this tuple)
        args, kwargs = optree.tree_map(sub, call, namespace="kshim")
        new_out = node.layer(*args, **kwargs)
        for old, new in zip(node.output_tensors, _flatten(new_out)):
            mapping[id(old)] = new
    remap = lambda struct: optree.tree_map(sub, struct, namespace="kshim")  # noqa: E731
    return remap(inputs), remap(outputs)


def _ordered_layers(nodes: list) -> list:
    """Layers by their deepest node (Keras' order), each once."""
    layers: list = []
    for node in nodes:
        if not any(node.layer is l for l in layers):
            layers.append(node.layer)
    return layers


def inject_functional(cls: type) -> None:
    """Put ``Functional`` between a user's ``Model`` subclass and ``Model`` (functional subclassing)."""
    if cls is Model or cls is Functional or cls is object:
        return
    if Model in cls.__bases__:
        cls.__bases__ = tuple(Functional if b is Model else b for b in cls.__bases__)
        return
    for base in cls.__bases__:
        if issubclass(base, Model):
            inject_functional(base)


def functional_like_constructor(cls: type) -> bool:
    """Whether ``cls(inputs, outputs, name=..., trainable=...)`` rebuilds a model of that class
    (Keras revives such subclasses from a functional config)."""
    import inspect

    if cls in (Model, Functional):
        return True
    # (getattr: mypy rejects reading __init__ off a class object, which is what is wanted here)
    params = [p for p in inspect.signature(getattr(cls, "__init__")).parameters.values()][1:]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var = any(p.kind is p.VAR_POSITIONAL for p in params) and any(p.kind is p.VAR_KEYWORD for p in params)
    return names[:2] == ["inputs", "outputs"] or has_var


class Functional(Model):
    """A model defined by ``Model(inputs, outputs)``."""

    _keras_module = "keras.src.models.functional"  # written for exactly this class (see kshim._serialization)

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True, **kwargs: Any):
        _check_tensors(inputs, "inputs")
        _check_tensors(outputs, "outputs")
        super().__init__(name=name or _default_name(), trainable=trainable, **kwargs)
        inputs, outputs = _start_at_intermediate_inputs(inputs, outputs)
        if isinstance(inputs, dict):
            self._input_names = list(inputs.keys())
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = _flatten(inputs)
        self._outputs = _flatten(outputs)
        self._nodes = _topological_nodes(self._outputs, self._inputs)
        for l in _ordered_layers(self._nodes):
            self._track(l)
        self.built = True

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    @property
    def input(self) -> Any:
        return self._inputs_struct

    @property
    def output(self) -> Any:
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _flatten_inputs(self, inputs: Any) -> list:
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                missing = [k for k in self._inputs_struct if k not in inputs]
                if missing:
                    raise ValueError(
                        f"Model {self.name!r}: missing inputs {missing}; expected keys {list(self._inputs_struct)}."
                    )
                # the same order as self._inputs (optree flattens dicts by sorted key)
                return _flatten({k: inputs[k] for k in self._inputs_struct})
            names = [t._history[0].layer.name for t in self._inputs]
            if all(n in inputs for n in names):
                return [inputs[n] for n in names]
            raise ValueError(
                f"Model {self.name!r}: input dict keys {sorted(inputs)} do not match the input names {names}."
            )
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Model {self.name!r} expects {len(self._inputs)} input(s), but it received {len(flat)} input tensors."
            )
        return flat

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        from .. import ops

        values: dict[int, Any] = {}
        masks: dict[int, Any] = {}
        flat = self._flatten_inputs(inputs)
        in_masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(flat)
        for t, v, m in zip(self._inputs, flat, in_masks):
            if t.dtype == "string":  # raw text stays a host array of str for the text layers
                values[id(t)] = _string_input(self, t, v)
                masks[id(t)] = m
                continue
            v = ops.convert_to_tensor(v) if not ops.is_tensor(v) else v
            v = _adjust_rank(t, v)
            _check_input(self, t, v)
            if ops.dtype(v) != t.dtype and t.dtype is not None:
                v = ops.cast(v, t.dtype)
            values[id(t)] = v
            masks[id(t)] = m

        def sub(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                continue
            call: Any = (node.args, node.kwargs)  # one pytree (optree's PyTree type rejects this tuple)
            mapped: Any = optree.tree_map(sub, call, namespace="kshim")
            args, kwargs = mapped
            first = node.input_tensors[0] if node.input_tensors else None
            in_mask = None
            if first is not None:
                ms = [masks.get(id(t)) for t in node.input_tensors]
                in_mask = ms[0] if len(ms) == 1 else (None if all(m is None for m in ms) else ms)
            if in_mask is not None and layer._call_has_mask and "mask" not in kwargs:
                kwargs["mask"] = in_mask
            kwargs["training"] = training
            out = layer(*args, **kwargs)
            out_flat = _flatten(out)
            out_mask = layer.compute_mask(args[0] if args else None, in_mask)
            # A single mask belongs to the first output only (Keras), e.g. not to attention scores.
            out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask] + [None] * (len(out_flat) - 1)
            for t, v, m in zip(node.output_tensors, out_flat, out_masks):
                values[id(t)] = v
                masks[id(t)] = m
        return optree.tree_map(lambda t: values[id(t)], self._outputs_struct, namespace="kshim")

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return optree.tree_map(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct, namespace="kshim")

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        return Model.get_layer(self, name, index)

    def get_config(self) -> dict:
        """The graph (Keras' functional layout); a subclass whose constructor is not
        ``(inputs, outputs, ...)`` gets the plain model config instead, as in Keras, and is
        rebuilt by calling its constructor."""
        if not functional_like_constructor(type(self)):
            return Model.get_config(self)
        from ..saving.functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Functional":
        model_from_config: Any = Model.from_config  # a bound classmethod: call its function with cls
        return model_from_config.__func__(cls, config, custom_objects)


def _adjust_rank(spec: KerasTensor, value: Any) -> Any:
    """Keras' input standardisation: data with one trailing size-1 dim too many or too few
    (``(n,)`` for ``Input((1,))``, ``(n, 1)`` for ``Input(())``) is reshaped to the input's rank."""
    from .. import ops

    if spec.dtype == "string":  # raw text: a host array of str (``_string_input``)
        return _string_input(None, spec, value, check=False)
    rank, want = len(ops.shape(value)), len(spec.shape)
    if rank == want + 1 and ops.shape(value)[-1] == 1:
        return ops.squeeze(value, axis=-1)
    if rank == want - 1 and spec.shape[-1] == 1:
        return ops.expand_dims(value, axis=-1)
    return value


def _string_input(model: Any, spec: KerasTensor, value: Any, check: bool = True) -> Any:
    """A ``dtype="string"`` input as a NumPy array of str, rank-adjusted and shape-checked like the others."""
    import numpy as np

    arr = np.asarray(value)
    if arr.dtype.kind == "S":
        arr = np.char.decode(arr, "utf-8")
    elif arr.dtype.kind == "O":
        arr = np.array(
            [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr.reshape(-1)], dtype=str
        ).reshape(arr.shape)
    if arr.ndim == len(spec.shape) + 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    elif arr.ndim == len(spec.shape) - 1 and spec.shape[-1] == 1:
        arr = arr[..., None]
    if check and arr.ndim != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, arr.shape)):
        name = spec._history[0].layer.name if spec._history else "input"
        raise ValueError(
            f"Input {name!r} of model {model.name!r} is incompatible: expected shape {spec.shape}, "
            f"received shape {arr.shape}."
        )
    return arr


def _check_input(model: Model, spec: KerasTensor, value: Any) -> None:
    from .. import ops

    shp = tuple(ops.shape(value))
    if len(shp) != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, shp)):
        name = spec._history[0].layer.name if spec._history else "input"
        raise ValueError(
            f"Input {name!r} of model {model.name!r} is incompatible: expected shape {spec.shape}, "
            f"received shape {shp}."
        )


def _default_name() -> str:
    from .._naming import uniquify

    return uniquify("functional")
