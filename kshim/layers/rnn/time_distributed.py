"""``TimeDistributed``: applies a layer to every time slice of (batch, time, ...) inputs."""

from __future__ import annotations

from typing import Any

from ... import ops
from ..layer import Layer


class TimeDistributed(Layer):
    """``keras.layers.TimeDistributed``: ``layer.call`` runs on each ``inputs[:, t]`` (so layers with
    per-call statistics behave as in Keras) and the results are stacked on axis 1.

    Args:
        layer: The layer applied to each time step; inputs must have at least 3 dimensions ``(batch, time, ...)``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``layer`` is not a ``Layer``; when built, for an input of fewer than 3 dimensions.
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. Received: {layer}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    @staticmethod
    def _child_shape(input_shape: Any) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape: Any) -> None:
        child = self._child_shape(input_shape)
        if not self.layer.built:
            self.layer._check_backend()
            self.layer._maybe_build((_spec(child, self.compute_dtype),), {})
        self.built = True

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        shp = ops.shape(inputs)
        if mask is not None:
            ms = ops.shape(mask)
            if len(ms) < 2:
                raise ValueError(
                    "The `mask` passed to the `TimeDistributed` layer must be at least 2D (e.g., "
                    f"`(batch_size, timesteps)`), but it has {len(ms)} dimension(s) with shape {ms}."
                )
            if ms[0] != shp[0] or ms[1] != shp[1]:
                raise ValueError(
                    f"The `mask` passed to the `TimeDistributed` layer has a shape {ms} that is "
                    f"incompatible with the input shape {shp}."
                )
        sub = self.layer
        outs = []
        for t in range(shp[1]):
            kw: dict = {}
            if sub._call_has_mask and mask is not None:
                kw["mask"] = ops.get_item(mask, (slice(None), t))
            if sub._call_has_training:
                kw["training"] = training
            outs.append(sub.call(ops.get_item(inputs, (slice(None), t)), **kw))
        return ops.stack(outs, axis=1)

    def get_config(self) -> dict:
        from ..._serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["layer"] = serialize_keras_object(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "TimeDistributed":
        from .rnn import _deserialize

        cfg = dict(config)
        layer = _deserialize(cfg.pop("layer"), custom_objects)
        if isinstance(cfg.get("dtype"), dict):
            from .. import dtype_policy as _policy

            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(layer, **cfg)


def _spec(shape: tuple, dtype: str) -> Any:
    from ..._symbolic import KerasTensor

    return KerasTensor(tuple(shape), dtype)
