"""``Sequential``: a linear stack of layers."""

from __future__ import annotations

from typing import Any

from .._foreign import reject_real_keras
from .._symbolic import KerasTensor
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer
from .model import Model


class Sequential(Model):
    """A plain stack of layers, each with one input and one output.

    The model is built as soon as its input shape is known: from a leading ``kshim.Input``/
    ``InputLayer``, from a first layer's ``input_shape``, or on the first call.

    Args:
        layers: Optional list of layers to add in order (the first may be an ``Input`` tensor or
            ``InputLayer``, fixing the input shape).
        trainable: Whether the model's weights are trained (default ``True``).
        name: The model name; ``None`` (default) derives a unique one.

    Raises:
        ValueError: If an element is not a layer (kshim's ``ArgumentError``, also a ``TypeError``), an
            ``Input`` is not first, or a layer appears twice.
    """

    _keras_module = "keras"  # written for exactly this class (see kshim._serialization)

    def __init__(self, layers: list | None = None, trainable: bool = True, name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._input_layer: InputLayer | None = None
        self._stack: list[Layer] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_from_input()

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input`` tensor to fix the input shape)."""
        if (
            isinstance(layer, KerasTensor)
            and layer._history is not None
            and isinstance(layer._history[0].layer, InputLayer)
        ):
            layer = layer._history[0].layer
        reject_real_keras(layer, "Sequential.add()")
        if not isinstance(layer, Layer):
            from .._errors import ArgumentError  # ValueError as in Keras, and TypeError as before

            raise ArgumentError(f"Sequential.add expects a Layer instance, got {type(layer).__name__}: {layer!r}.")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input/InputLayer can only be the first element.")
            self._input_layer = layer
        else:
            if any(layer is l for l in self._stack):
                raise ValueError(f"Layer {layer.name!r} is already in Sequential model {self.name!r}.")
            self._stack.append(layer)
            self._track(layer)
        if rebuild:
            self.built = False
            self._maybe_build_from_input()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise IndexError(f"Sequential model {self.name!r} has no layers to pop.")
        layer = self._stack.pop()
        self._layers = [l for l in self._layers if l is not layer]
        self.built = False
        if rebuild:
            self._maybe_build_from_input()
        return layer

    def _batch_shape(self) -> tuple | None:
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._stack and self._stack[0]._batch_input_shape is not None:
            return self._stack[0]._batch_input_shape
        return None

    def _maybe_build_from_input(self) -> None:
        shape = self._batch_shape()
        if shape is not None and self._stack:
            self.build(shape)

    def build(self, input_shape: Any = None) -> None:
        """Build every layer by a symbolic pass over ``input_shape`` (batch dim included)."""
        if input_shape is None:
            input_shape = self._batch_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential model {self.name!r} cannot be built without an input shape; add an "
                f"Input(...) first or call it on data."
            )
        if not self._stack:
            raise ValueError(
                f"Sequential model {self.name!r} cannot be built because it has no layers. Call "
                f"`model.add(layer)` first."
            )
        input_shape = tuple(input_shape)
        if self._input_layer is None or tuple(self._input_layer.batch_shape) != input_shape:
            dtype = self._input_layer.dtype if self._input_layer is not None else None
            self._input_layer = InputLayer(batch_shape=input_shape, dtype=dtype)
        x = self._input_layer.output
        self._layer_output_specs = []
        for layer in self._stack:
            x = layer(x)
            self._layer_output_specs.append(x)
        self._output_spec = x
        self._build_input_shape = input_shape
        self.built = True

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        from ..layers.layer import _shapes_of

        shape = _shapes_of(args[0] if args else next(iter(kwargs.values())))
        self.build((None,) + tuple(shape[1:]))

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        x = inputs
        if self._input_layer is not None:
            if not isinstance(x, (list, tuple, dict)):
                from .functional import _adjust_rank  # (n,) data for Input((1,)), as a Functional does

                x = _adjust_rank(self._input_layer.output, x)
            _check_rank(self, x)
        for layer in self._stack:
            kwargs = {"training": training}
            if mask is not None and layer._call_has_mask:
                kwargs["mask"] = mask
            y = layer(x, **kwargs)
            mask = layer.compute_mask(x, mask)
            x = y
        return x

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from ..ops.node import probe_output_spec

        if (
            getattr(self, "_output_spec", None) is not None
            and args
            and isinstance(args[0], KerasTensor)
            and tuple(args[0].shape[1:]) == tuple(self._build_input_shape[1:])
        ):
            return KerasTensor(self._output_spec.shape, self._output_spec.dtype)
        return probe_output_spec(self, args, kwargs)

    @property
    def input_shape(self) -> Any:
        return self._batch_shape()

    @property
    def output_shape(self) -> Any:
        return self._output_spec.shape if self.built else None

    @property
    def inputs(self) -> list:
        return [self._input_layer.output] if self._input_layer is not None else []

    @property
    def outputs(self) -> list:
        return [self._output_spec] if self.built else []

    def get_config(self) -> dict:
        from .._serialization import serialize_keras_object

        cfg = {"name": self.name, "trainable": self.trainable, "dtype": Layer.get_config(self)["dtype"]}
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers.extend(serialize_keras_object(l) for l in self._stack)
        cfg["layers"] = layers
        cfg["build_input_shape"] = getattr(self, "_build_input_shape", None)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        from .._serialization import deserialize_keras_object

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for lc in config.get("layers", []):
            model.add(deserialize_keras_object(lc, custom_objects=custom_objects), rebuild=False)
        if model._batch_shape() is not None:
            model._maybe_build_from_input()
        elif config.get("build_input_shape") and model._stack:
            model.build(tuple(config["build_input_shape"]))
        return model


def _check_rank(model: Sequential, x: Any) -> None:
    from .. import ops

    assert model._input_layer is not None  # called only when the model has an input layer
    expected = model._input_layer.batch_shape
    shp = tuple(ops.shape(x)) if not isinstance(x, (list, tuple, dict)) else None
    if shp is not None and (len(shp) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shp))):
        first = model._stack[0].name if model._stack else model.name
        raise ValueError(
            f"Input 0 of layer {first!r} (model {model.name!r}) is incompatible with the layer: "
            f"expected shape {expected}, received shape {shp}."
        )
