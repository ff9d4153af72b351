"""``clone_model``: a model's architecture with new weights, optionally transformed layer by layer."""

from __future__ import annotations

from typing import Any, Callable

import optree

from .._symbolic import KerasTensor
from ..layers.input_layer import Input, InputLayer
from .functional import Functional, functional_like_constructor
from .sequential import Sequential


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Callable | None = None,
    call_function: Callable | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new model with the same architecture and freshly initialized weights (``keras.models.clone_model``).

    Args:
        model: The model to clone: Sequential, functional, or a subclassed model with ``get_config``.
        input_tensors: Optional ``KerasTensor`` (Sequential: one; functional: the same structure as
            ``model.input``) to build the clone on; default new ``Input`` objects like the model's.
        clone_function: ``fn(layer) -> layer`` applied to every layer but the inputs (default
            ``layer.__class__.from_config(layer.get_config())``). A layer used twice is cloned once
            and shared in the clone too.
        call_function: Functional models only: ``fn(layer, *args, **kwargs) -> outputs`` called instead
            of ``layer(*args, **kwargs)`` for each cloned layer, e.g. to insert layers around it.
        recursive: Whether nested Sequential/functional models are cloned with ``clone_model`` and the
            same functions (``True``) or passed to ``clone_function`` whole (``False``, default).
        **kwargs: No other keyword is accepted.

    Returns:
        The new model (compiled with the same arguments, a new optimizer included, when ``model`` was
        compiled, as in Keras 3).

    Raises:
        ValueError: for an unknown keyword; ``call_function`` with a Sequential or subclassed model;
            ``clone_function``/``input_tensors`` with a subclassed model; ``input_tensors`` that are not
            KerasTensors or do not match the model's inputs.
        TypeError: a ``clone_function`` that is not callable (also a ValueError).
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
    custom = clone_function is not None or call_function is not None or input_tensors is not None or recursive
    if isinstance(model, Sequential) and custom:
        if call_function is not None:
            raise ValueError(
                "`call_function` is not supported with Sequential models: their layers are listed, not "
                "called, when the model is built. Use it with functional models, or give a "
                "`clone_function`."
            )
        clone = _clone_sequential(model, _layer_cloner(clone_function, None, recursive, cache), input_tensors)
    elif isinstance(model, Functional) and custom:
        cloner = _layer_cloner(clone_function, call_function, recursive, cache)
        clone = _clone_functional(model, cloner, input_tensors, call_function)
    elif isinstance(model, (Sequential, Functional)):
        clone = _clone_through_config(model)
    else:
        if clone_function is not None or input_tensors is not None:
            raise ValueError(
                f"`clone_function` and `input_tensors` are only supported for Sequential and functional "
                f"models; got a model of type {type(model).__name__!r}. Clone a subclassed model with "
                f"`model.__class__.from_config(model.get_config())`."
            )
        if call_function is not None:
            raise ValueError(
                f"`call_function` is only supported for functional models; got a model of type "
                f"{type(model).__name__!r}."
            )
        clone = _clone_through_config(model)
    if getattr(model, "compiled", False):  # as Keras 3: a compiled model's clone is compiled the same way
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_through_config(model: Any) -> Any:
    from .._serialization import deserialize_keras_object, serialize_keras_object

    cfg = serialize_keras_object(model)
    cfg.pop("compile_config", None)
    return deserialize_keras_object(cfg)


def _layer_cloner(clone_function: Callable | None, call_function: Callable | None, recursive: bool, cache: Any):
    """``clone_function`` made total: the default from_config clone, one clone per layer object (shared
    layers stay shared), nested models cloned recursively when asked."""
    if clone_function is None:

        def clone_function(layer: Any) -> Any:
            return layer.__class__.from_config(layer.get_config())

    if not callable(clone_function):  # Keras fails calling it (TypeError); ArgumentError is both
        from .._errors import ArgumentError

        raise ArgumentError(f"Expected `clone_function` to be a callable; got {clone_function!r}.")
    seen: dict = {} if cache is None else cache

    def clone_layer(layer: Any) -> Any:
        if id(layer) not in seen:
            if recursive and isinstance(layer, (Sequential, Functional)):
                call = call_function if isinstance(layer, Functional) else None
                seen[id(layer)] = clone_model(
                    layer, clone_function=clone_function, call_function=call, recursive=True, cache=seen
                )
            else:
                seen[id(layer)] = clone_function(layer)
        return seen[id(layer)]

    return clone_layer


def _clone_sequential(model: Sequential, clone_layer: Callable, input_tensors: Any) -> Sequential:
    layers = [clone_layer(layer) for layer in model.layers]
    ref = model._input_layer
    spec = ref.output if ref is not None else None
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor for a Sequential model.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"Argument `input_tensors` must be a KerasTensor; got {input_tensors!r}.")
        spec = input_tensors
    if spec is not None:  # a new Input named as the model's, shaped like the given tensor or the model's input
        name, optional = (ref.name, ref.optional) if ref is not None else (None, False)
        layers.insert(0, Input(batch_shape=spec.shape, dtype=spec.dtype, name=name, optional=optional))
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model: Functional, clone_layer: Callable, input_tensors: Any, call_function: Any) -> Any:
    if input_tensors is not None:
        leaves = optree.tree_leaves(input_tensors, namespace="kshim")
        if not all(isinstance(t, KerasTensor) for t in leaves):
            raise ValueError(f"All entries in `input_tensors` must be KerasTensors; got {input_tensors!r}.")
        given = optree.tree_structure(input_tensors, namespace="kshim")
        expected = optree.tree_structure(model.input, namespace="kshim")
        if given != expected:
            raise ValueError(
                f"`input_tensors` must have the same structure as model.input.\nReference structure: "
                f"{model.input}\nReceived structure: {input_tensors}"
            )
    else:
        input_tensors = optree.tree_map(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=_input_name(t)), model.input, namespace="kshim"
        )
    values = {id(old): new for old, new in zip(model.inputs, optree.tree_leaves(input_tensors, namespace="kshim"))}

    def sub(x: Any) -> Any:
        return values[id(x)] if isinstance(x, KerasTensor) else x

    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        call: Any = (node.args, node.kwargs)  # one pytree (optree's PyTree type rejects this tuple)
        args, kwargs = optree.tree_map(sub, call, namespace="kshim")
        layer = clone_layer(node.layer)
        out = call_function(layer, *args, **kwargs) if call_function is not None else layer(*args, **kwargs)
        new_out = [t for t in optree.tree_leaves(out, namespace="kshim") if isinstance(t, KerasTensor)]
        if len(new_out) != len(node.output_tensors):
            raise ValueError(
                f"The clone of layer {node.layer.name!r} returned {len(new_out)} output tensor(s) where the "
                f"original returns {len(node.output_tensors)}; a clone_function/call_function must keep "
                f"each layer's outputs."
            )
        values.update({id(old): new for old, new in zip(node.output_tensors, new_out)})
    outputs = optree.tree_map(lambda t: values[id(t)], model._outputs_struct, namespace="kshim")
    cls = type(model) if functional_like_constructor(type(model)) else Functional
    return cls(input_tensors, outputs, name=model.name)


def _input_name(t: KerasTensor) -> str | None:
    history = t._history
    return history[0].layer.name if history is not None else None
