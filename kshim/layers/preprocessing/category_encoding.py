"""``CategoryEncoding`` and the categorical encoders the lookup, hashing and discretization layers share.

Two encoders with one meaning: :func:`encode_categorical` runs on the active backend through
``kshim.ops`` (so ``CategoryEncoding`` and ``Discretization`` trace under ``jax.jit`` like any layer),
and :func:`encode_categorical_numpy` runs on the host for the string layers, which compute in NumPy
anyway (a bincount, so a long token sequence never becomes a ``(tokens, vocabulary)`` one-hot).

Semantics (Keras'): ``one_hot`` encodes every element (a trailing axis of size 1 is replaced by the
encoding); ``multi_hot`` and ``count`` treat the last axis as the sample (``(..., k) -> (..., depth)``,
a rank-1 input is one sample). Indices outside ``[0, depth)`` are dropped (they encode to zeros).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ops
from .data_layer import DataLayer

__all__ = ["CategoryEncoding", "encode_categorical", "encode_categorical_numpy"]

_MODES = ("one_hot", "multi_hot", "count")


def encode_categorical(inputs: Any, output_mode: str, depth: int, dtype: str, count_weights: Any = None) -> Any:
    """Encode integer indices on the active backend (``kshim.ops``).

    Args:
        inputs: Integer tensor of indices.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        depth: Size of the encoding axis.
        dtype: Output dtype (for ``count`` with ``count_weights``: their dtype).
        count_weights: Optional weights, same shape as ``inputs`` (``count`` only).

    Returns:
        The encoded tensor.
    """
    x = ops.convert_to_tensor(inputs)
    if output_mode == "int":
        return ops.cast(x, dtype)
    shape = tuple(ops.shape(x))
    if len(shape) == 0:
        x = ops.expand_dims(x, -1)
        shape = (1,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            x = ops.squeeze(x, axis=-1)
        return ops.one_hot(x, depth, dtype=dtype)
    if count_weights is not None:
        dtype = ops.dtype(count_weights)
    hot = ops.one_hot(x, depth, dtype=dtype)
    axis = -2
    if output_mode == "multi_hot":
        return ops.max(hot, axis=axis)
    if count_weights is not None:
        hot = ops.multiply(hot, ops.expand_dims(ops.convert_to_tensor(count_weights), -1))
    return ops.sum(hot, axis=axis)


def encode_categorical_numpy(
    indices: np.ndarray, output_mode: str, depth: int, dtype: str, count_weights: np.ndarray | None = None
) -> np.ndarray:
    """The host (NumPy) twin of :func:`encode_categorical`, computed as a bincount."""
    idx = np.asarray(indices)
    if output_mode == "int":
        return idx.astype(dtype)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if output_mode == "one_hot":
        if idx.ndim > 1 and idx.shape[-1] == 1:
            idx = idx[..., 0]
        lead, samples = idx.shape, idx.reshape(-1, 1)
        weights = None
    else:
        lead, samples = idx.shape[:-1], idx.reshape(-1, idx.shape[-1])
        weights = None if count_weights is None else np.asarray(count_weights).reshape(samples.shape)
        if weights is not None:
            dtype = weights.dtype.name
    rows = samples.shape[0]
    out = np.zeros((rows, depth), dtype=np.float64 if weights is not None else np.int64)
    valid = (samples >= 0) & (samples < depth)
    r = np.broadcast_to(np.arange(rows)[:, None], samples.shape)[valid]
    c = samples[valid].astype(np.int64)
    if output_mode == "count":
        np.add.at(out, (r, c), 1 if weights is None else weights[valid])
    else:
        out[r, c] = 1
    return out.reshape(tuple(lead) + (depth,)).astype(dtype)


class CategoryEncoding(DataLayer):
    """Encodes integer features as one-hot, multi-hot or count vectors (``keras.layers.CategoryEncoding``).

    Args:
        num_tokens: Total number of tokens the layer supports; inputs must lie in ``[0, num_tokens)``
            (values outside it encode to zeros, as on Keras' JAX backend).
        output_mode: ``"one_hot"``, ``"multi_hot"`` (default; ``"binary"`` is accepted) or ``"count"``.
        sparse: Must be False: kshim has no sparse tensors.
        **kwargs: Base layer arguments (``name``, ``dtype``: the output dtype, default ``floatx``).

    Call arguments:
        inputs: Integer indices.
        count_weights: Optional weights of the same shape as ``inputs`` (``count`` mode only).

    Raises:
        ValueError: Invalid ``output_mode``, missing or non-positive ``num_tokens``, ``sparse=True``.
    """

    def __init__(
        self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False, **kwargs: Any
    ):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not known "
                "beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("`sparse=True` is not supported by kshim (it has no sparse tensors); use sparse=False.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = ops.cast(ops.convert_to_tensor(count_weights), self.compute_dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return input_shape + (self.num_tokens,)
            return input_shape[:-1] + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def compute_output_spec(self, inputs: Any, count_weights: Any = None) -> Any:
        from ..._symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return cfg
