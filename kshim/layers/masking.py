"""``Masking``: mark timesteps whose features all equal ``mask_value`` as padding."""

from __future__ import annotations

from typing import Any

from .. import ops
from .layer import Layer


class Masking(Layer):
    """Zeroes the timesteps of a ``(batch, time, ...features)`` input where every feature equals
    ``mask_value`` and emits the mask ``(batch, time)`` (``True`` = keep) for downstream layers
    (via ``compute_mask``, which the Sequential/functional runners call).

    Args:
        mask_value: The padding value compared with each feature of the last axis (default ``0.0``);
            it is cast to the input's dtype.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, mask_value: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config", None):
            from .._serialization import deserialize_keras_object

            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def _keep(self, inputs: Any, keepdims: bool) -> Any:
        x = ops.convert_to_tensor(inputs)
        mv = ops.cast(self.mask_value, ops.dtype(x))
        return ops.any(ops.not_equal(x, mv), axis=-1, keepdims=keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return self._keep(inputs, keepdims=False)

    def call(self, inputs: Any) -> Any:
        keep = self._keep(inputs, keepdims=True)
        return ops.where(keep, inputs, ops.zeros((), dtype=ops.dtype(inputs)))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        mv = self.mask_value
        if hasattr(mv, "tolist") and not isinstance(mv, (int, float)):
            mv = mv.tolist()
        cfg["mask_value"] = mv
        return cfg
