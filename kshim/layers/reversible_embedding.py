"""``ReversibleEmbedding``: an ``Embedding`` that can also project back to the vocabulary."""

from __future__ import annotations

from typing import Any

from .. import ops
from .._symbolic import KerasTensor
from .core import Embedding

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """An embedding layer that can project backwards to ``input_dim`` (``keras.layers.ReversibleEmbedding``).

    ``layer(ids)`` embeds token ids; ``layer(hidden, reverse=True)`` computes the logits
    ``hidden @ embeddings.T`` (tied weights, the default) or ``hidden @ reverse_embeddings``
    (``tie_weights=False``: a separate trainable ``(output_dim, input_dim)`` matrix, created after
    ``embeddings`` so the weights are ordered as in Keras). There are no biases. Quantized modes
    are not supported (kshim has no quantization).

    Args:
        input_dim: Vocabulary size (maximum integer index + 1).
        output_dim: Embedding size.
        tie_weights: Whether the reverse projection uses the transposed ``embeddings``.
        embeddings_initializer: Initializer of the matrices.
        embeddings_regularizer: Regularizer of ``embeddings``.
        embeddings_constraint: Constraint of ``embeddings``.
        mask_zero: Whether id 0 is padding (the forward output carries the mask; reverse has none).
        reverse_dtype: Dtype the reverse matmul computes in (default: the compute dtype).
        logit_soft_cap: If set, reverse logits become ``tanh(logits / cap) * cap``.
        **kwargs: Base layer keyword arguments.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self._last_reverse = False

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                (self.output_dim, self.input_dim),
                self.embeddings_initializer,
                name="reverse_embeddings",
                trainable=True,
            )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._last_reverse = bool(kwargs.get("reverse", False))
        return super().__call__(*args, **kwargs)

    def call(self, inputs: Any, reverse: bool = False) -> Any:
        if not reverse:
            return super().call(inputs)
        table = self.embeddings  # the variable, or with LoRA enabled the merged table (a tensor)
        table = getattr(table, "value", table)
        kernel = ops.transpose(table) if self.tie_weights else self.reverse_embeddings.value
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        elif ops.dtype(kernel) != ops.dtype(inputs) and ops.dtype(inputs).startswith(("float", "bfloat")):
            kernel = ops.cast(kernel, ops.dtype(inputs))
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The forward embedding's padding mask (``mask_zero``); none for the reverse projection."""
        if self._last_reverse:
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape: Any, reverse: bool = False) -> Any:
        out = list(input_shape)
        if reverse:
            out[-1] = self.input_dim
        else:
            out += [self.output_dim]
        return out

    def compute_output_spec(self, inputs: Any, reverse: bool = False, **kwargs: Any) -> Any:
        dtype = self.compute_dtype
        if reverse and self.reverse_dtype is not None:
            dtype = self.reverse_dtype
        return KerasTensor(tuple(self.compute_output_shape(inputs.shape, reverse)), dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        # Keras' Embedding config always has these two keys (kshim's Embedding leaves them out when unset)
        cfg.setdefault("activity_regularizer", None)
        cfg.setdefault("quantization_config", None)
        cfg.update(
            {
                "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
            }
        )
        return cfg
