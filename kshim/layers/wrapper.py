"""``Wrapper``: the abstract base of layers that wrap another layer (``keras.layers.Wrapper``)."""

from __future__ import annotations

from typing import Any

from . import dtype_policy as _policy
from .layer import Layer, _shape_to_spec

__all__ = ["Wrapper"]


class Wrapper(Layer):
    """Abstract wrapper base class: holds ``layer`` and builds it with the wrapper's input shape.

    Not meant to be used as a layer by itself; subclasses (``SpectralNormalization``, ...) add the
    behaviour. The wrapped layer is saved in the config under ``"layer"`` and its weights under the
    ``layer`` group of the weights file, as in Keras.

    Args:
        layer: The layer to wrap (a ``kshim.layers.Layer``).
        **kwargs: Base layer keyword arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``layer`` is not a kshim layer.
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                "wrapped layer is a valid Keras layer."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        """Build the wrapped layer (if it is not built yet) with ``input_shape``."""
        if not self.layer.built:
            self.layer._check_backend()
            if input_shape is None:
                self.layer.build(None)
            else:
                self.layer._maybe_build((_shape_to_spec(input_shape, self.layer.compute_dtype),), {})
            self.layer.built = True
        self.built = True

    def get_config(self) -> dict:
        from .._serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Wrapper":
        from .._serialization import deserialize_keras_object

        cfg = dict(config)
        layer = deserialize_keras_object(cfg.pop("layer"), custom_objects=custom_objects)
        if isinstance(cfg.get("dtype"), dict):
            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(layer, **cfg)
