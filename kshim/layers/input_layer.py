"""``InputLayer`` and ``Input``: the entry points of functional models."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from .._symbolic import KerasTensor
from .._validation import check_shape, is_int, positive_int
from .layer import Layer
from ..ops.node import Node


class InputLayer(Layer):
    """Holds the symbolic input tensor of a functional model.

    ``layer.output`` is the ``KerasTensor`` of shape ``batch_shape``; usually created through ``Input``.

    Args:
        shape: The shape of one sample, without the batch axis: a tuple of ints (``None`` for unknown sizes) or an
            int for a 1-D sample. Ignored when ``batch_shape`` is given.
        batch_size: Optional fixed batch size (``None``, the default: unknown).
        dtype: The input dtype; ``None`` (default) uses the global policy's dtype (``floatx()``), and ``"string"``
            declares raw text for the text preprocessing layers.
        sparse: Whether the input is declared sparse; kshim records the flag (default ``False``).
        ragged: Must be ``False``: ragged inputs are not supported.
        batch_shape: The full shape including the batch axis; replaces ``shape`` and ``batch_size``.
        input_tensor: Accepted for Keras compatibility and ignored: kshim always creates a new symbolic tensor.
        optional: Whether the input is declared optional (may be ``None``); kshim records the flag (default
            ``False``).
        name: Optional name of the layer and its tensor.
        **kwargs: Base ``Layer`` arguments; ``input_shape`` and ``batch_input_shape`` are accepted as older
            spellings of ``shape`` and ``batch_shape``.

    Raises:
        ValueError: For ``ragged=True``, for neither ``shape`` nor ``batch_shape``, or for an invalid
            (negative, non-integer or too large) dimension.
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        batch_shape: Any = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ):
        if ragged:
            raise ValueError(
                "`ragged=True` is not supported by kshim (as in Keras, ragged inputs need the "
                "TensorFlow backend); pad the sequences to one length instead "
                "(pad_sequences) and mask the padding (mask_zero=True or a Masking layer)."
            )
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
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self._dtype_name,
            "sparse": self.sparse,
            "ragged": False,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict) -> "InputLayer":
        return cls(**config)


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool = False,  # noqa: N802
    ragged: bool = False,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """A symbolic input tensor (``keras.Input``); ``shape`` excludes the batch dimension.

    Args:
        shape: The shape of one sample, without the batch axis: a tuple of ints (``None`` for unknown sizes) or an
            int for a 1-D sample. Ignored when ``batch_shape`` is given.
        batch_size: Optional fixed batch size (``None``, the default: unknown).
        dtype: The input dtype; ``None`` (default) uses the global policy's dtype (``floatx()``), and ``"string"``
            declares raw text for the text preprocessing layers.
        sparse: Whether the input is declared sparse; kshim records the flag (default ``False``).
        ragged: Must be ``False``: ragged inputs are not supported.
        batch_shape: The full shape including the batch axis; replaces ``shape`` and ``batch_size``.
        name: Optional name of the input layer and its tensor.
        tensor: Accepted for Keras compatibility and ignored: kshim always creates a new symbolic tensor.
        optional: Whether the input is declared optional (may be ``None``); kshim records the flag (default
            ``False``).

    Returns:
        A ``KerasTensor`` of shape ``(batch_size, *shape)`` (or ``batch_shape``), to be passed to layers and
        then to ``kshim.Model(inputs, outputs)``.

    Raises:
        ValueError: For ``ragged=True``, for neither ``shape`` nor ``batch_shape``, or for an invalid
            (negative, non-integer or too large) dimension.

    Example:
        >>> x = kshim.Input(shape=(3,))
        >>> x.shape
        (None, 3)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        name=name,
        optional=optional,
    )
    return layer.output
