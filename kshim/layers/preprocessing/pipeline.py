"""``Pipeline``: a sequence of (preprocessing) layers applied one after the other."""

from __future__ import annotations

from typing import Any, Sequence

from ... import _serialization
from ..layer import Layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Apply ``layers`` in order, like a ``Sequential`` that is a layer and not a model.

    Meant for preprocessing: a pipeline of data layers runs under any backend (inside a model, or on
    NumPy in a data pipeline through ``run_on_numpy``), passes ``training`` to the layers that take it
    (default ``True``, so augmentation layers augment when the pipeline is called directly), and
    accepts whatever its first layer accepts (e.g. a dict of images and labels). Its weights file
    holds the layers under ``layers/``, as Keras' does.

    Args:
        layers: The layers, applied first to last.
        name: Layer name.

    Raises:
        ValueError: From ``from_config`` when the config has no list of layers.
    """

    _saves_layers_group = True  # weights under "<pipeline>/layers/<layer>" (kshim.saving.h5_store)

    def __init__(self, layers: Sequence[Layer], name: str | None = None):
        super().__init__(name=name)
        self._pipeline_layers = list(layers)
        for layer in self._pipeline_layers:
            self._track(layer)
        self.built = True

    @property
    def layers(self) -> list:
        """The pipeline's layers, in order."""
        return self._pipeline_layers

    def call(self, inputs: Any, training: bool = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs: dict = {}
            if getattr(layer, "_call_has_mask", False) and mask is not None:
                kwargs["mask"] = mask
            if getattr(layer, "_call_has_training", False) and training is not None:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
            mask = None
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    @classmethod
    def from_config(cls, config: dict) -> "Pipeline":
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        cfg = {**config}
        cfg["layers"] = [_serialization.deserialize_keras_object(x) for x in layers]
        return cls(**cfg)

    def get_config(self) -> dict:
        return {"layers": _serialization.serialize_keras_object(self._pipeline_layers), "name": self.name}
