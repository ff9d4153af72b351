"""``InputLayer`` and ``Input``: the entry points of functional models."""
from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from .._symbolic import KerasTensor
from .._validation import check_shape, is_int, positive_int
from .layer import Layer
from ..ops.node import Node


class InputLayer(Layer):
    """Holds the symbolic input tensor of a functional model."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None, sparse: bool = False,
                 ragged: bool = False, batch_shape: Any = None, input_tensor: Any = None, optional: bool = False,
                 name: str | None = None, **kwargs: Any):
        if ragged:
            raise ValueError("`ragged=True` is not supported by kshim (as in Keras, ragged inputs need the "
                             "TensorFlow backend); pad the sequences to one length instead "
                             "(pad_sequences) and mask the padding (mask_zero=True or a Masking layer).")
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=None if dtype in ("string", str) else dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (without the batch dimension) or `batch_shape`.")
            if is_int(shape):
                shape = (shape,)
            shape = check_shape(shape, "shape", self)
            if batch_size is not None:
                positive_int(batch_size, "batch_size", self, allow_zero=True)
            batch_shape = (batch_size,) + tuple(shape)
        # every declared dim is checked (type, sign, total size) before anything can be allocated
        self.batch_shape = check_shape(batch_shape, "batch_shape", self)
        # "string": raw text for the text layers (a host array of str, never a backend tensor)
        self._dtype_name = "string" if dtype in ("string", str) else _dt.standardize_dtype(dtype)
        self.sparse = sparse
        self.optional = optional
        self.built = True
        tensor = KerasTensor(self.batch_shape, self._dtype_name, name=self.name)
        Node(self, (), {}, tensor)
        self._input_tensor = tensor

    @property
    def dtype(self) -> str:
        return self._dtype_name

    def call(self, inputs: Any) -> Any:
        return inputs

    @property
    def output(self) -> KerasTensor:
        return self._input_tensor

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype_name, "sparse": self.sparse,
                "ragged": False, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "InputLayer":
        return cls(**config)


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None, sparse: bool = False,  # noqa: N802
          ragged: bool = False, batch_shape: Any = None, name: str | None = None, tensor: Any = None,
          optional: bool = False) -> KerasTensor:
    """A symbolic input tensor (``keras.Input``); ``shape`` excludes the batch dimension."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                       batch_shape=batch_shape, name=name, optional=optional)
    return layer.output
