"""``GroupedQueryAttention`` (``keras.layers.GroupQueryAttention``; Ainslie et al., 2023).

``num_key_value_heads`` key/value heads are shared by groups of the ``num_query_heads`` query
heads: the projected keys and values are repeated ``num_query_heads // num_key_value_heads`` times
along the head axis, then attention runs as in :class:`MultiHeadAttention` (whose mask handling it
shares: propagated query/value/key masks, ``attention_mask``, causal and sliding-window masks, all
combined with a logical AND; the output keeps the query's mask).

Weights, in Keras' order: the ``query``, ``key``, (``gate``), ``value`` and ``attention_output``
``EinsumDense`` projections, each kernel followed by its bias. They are saved under Keras' groups
``_query_dense``, ``_key_dense``, ``_gate_dense``, ``_value_dense``, ``_output_dense``.

Naming. Keras' class is ``GroupedQueryAttention`` (that is the default layer name and the weights
group, ``grouped_query_attention``) exported as ``GroupQueryAttention`` (the ``class_name`` Keras
writes in configs). kshim exports both names; ``_keras_class_name`` records the exported one.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .. import _config, constraints, initializers, ops, regularizers
from .._symbolic import KerasTensor
from .activation_layers import Softmax
from .core import EinsumDense
from .layer import Layer
from .multi_head_attention import MultiHeadAttention, QueryValueKeyLayer
from .regularization import Dropout

__all__ = ["GroupedQueryAttention", "GroupQueryAttention"]


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


class GroupedQueryAttention(QueryValueKeyLayer):
    """Grouped-query attention.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)`` on
    ``(batch, seq, feature)`` tensors; returns ``(batch, target_seq, feature)`` (and the scores
    ``(batch, num_query_heads, target_seq, source_seq)`` when asked). ``flash_attention`` is
    accepted and only checked as Keras checks it (kshim has no flash kernel; results are the same).

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key/value heads (divides ``num_query_heads``).
        dropout: Dropout rate on the attention probabilities.
        use_bias: Whether the projections have biases.
        sliding_window: Optional positive int: each query attends to keys within ``sliding_window - 1``.
        flash_attention: Accepted for compatibility (see above).
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Regularizer of the kernels.
        bias_regularizer: Regularizer of the biases.
        activity_regularizer: Regularizer of the projections' and the layer's outputs.
        kernel_constraint: Constraint of the kernels.
        bias_constraint: Constraint of the biases.
        use_gate: Gate the attention output with ``sigmoid(query @ W_gate)``.
        seed: Seed of the dropout.
        **kwargs: Base layer keyword arguments.

    Raises:
        ValueError: If ``num_query_heads`` is not divisible by ``num_key_value_heads``, for a bad
            ``sliding_window``, or for dropout with flash attention.
    """

    _keras_class_name = "GroupQueryAttention"

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self._call_has_mask = True  # the functional runner's masks are sorted out in __call__, as in MHA
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                f"`sliding_window` must be `None` or a positive integer. Received: sliding_window={sliding_window}"
            )
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention or _config.is_flash_attention_enabled()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        self._build_shapes_dict: dict | None = None
        self._out_mask_info: tuple | None = None
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                "to use flash attention."
            )

    # the names MultiHeadAttention's shared mask helpers read
    _attention_axes = (1,)
    _sliding_window = property(lambda self: self.sliding_window)
    # (typed as plain callables: their ``self`` is annotated as MultiHeadAttention, but they only
    # read the names above, which this class has too)
    _compute_attention_mask: Callable[..., Any] = MultiHeadAttention._compute_attention_mask
    _compute_causal_mask: Callable[..., Any] = MultiHeadAttention._compute_causal_mask
    _compute_sliding_window_mask: Callable[..., Any] = MultiHeadAttention._compute_sliding_window_mask
    _masked_softmax: Callable[..., Any] = MultiHeadAttention._masked_softmax
    _tensor: Callable[..., Any] = MultiHeadAttention._tensor
    compute_mask = MultiHeadAttention.compute_mask

    # ---- build ------------------------------------------------------------------------------------
    def _add_sublayer(self, attr: str, layer: Layer) -> Layer:
        object.__setattr__(self, attr, layer)
        self._track(layer)  # weight order = creation order
        self.__dict__.setdefault("_tracked_attrs", {})[attr] = True  # saved under Keras' group name
        return layer

    def _common_kwargs(self) -> dict:
        return dict(
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
            # fresh copies, as Keras: a seeded initializer gives each projection the same draw
            kernel_initializer=type(self.kernel_initializer).from_config(self.kernel_initializer.get_config()),
            bias_initializer=type(self.bias_initializer).from_config(self.bias_initializer.get_config()),
        )

    def _dense(self, equation: str, output_shape: tuple, bias_axes: str, name: str, activation: Any = None) -> Any:
        return EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            activation=activation,
            name=name,
            **self._common_kwargs(),
        )

    def build(  # type: ignore[override]  # Keras': three shapes
        self,
        query_shape: Any,
        value_shape: Any,
        key_shape: Any = None,
    ) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_given = key_shape is not None
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_backend()
        self.feature_dim = query_shape[-1]
        uq, vk, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._add_sublayer("_query_dense", self._dense("bqm,muh->bquh", (None, uq, h), "uh", "query")).build(
            query_shape
        )
        self._add_sublayer("_key_dense", self._dense("bkm,mvh->bkvh", (None, vk, h), "vh", "key")).build(key_shape)
        if self.use_gate:
            self._add_sublayer(
                "_gate_dense", self._dense("bqm,muh->bquh", (None, uq, h), "uh", "gate", activation="sigmoid")
            ).build(query_shape)
        self._add_sublayer("_value_dense", self._dense("bkm,mvh->bkvh", (None, vk, h), "vh", "value")).build(
            value_shape
        )
        self._add_sublayer("_softmax", Softmax(axis=-1, dtype=self.dtype_policy))
        self._add_sublayer("_dropout_layer", Dropout(rate=self.dropout, dtype=self.dtype_policy, seed=self.seed))
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._add_sublayer(
            "_output_dense", self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output")
        ).build((None, None, uq, h))
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes_dict["key_shape"] = key_shape
        self.built = True

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        query, value = self._tensor(query), self._tensor(value)
        key = value if key is None else self._tensor(key)
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self.sliding_window is None
            and type(self)._compute_attention is GroupedQueryAttention._compute_attention
        )
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(
                query,
                value,
                query_mask=query_mask,
                value_mask=value_mask,
                key_mask=key_mask,
                attention_mask=attention_mask,
                use_causal_mask=use_causal_mask,
            )
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(
            q,
            k,
            v,
            attention_mask=attention_mask,
            training=training,
            return_attention_scores=return_attention_scores,
            **extra,
        )
        out = self._output_dense(ops.multiply(out, gate) if gate is not None else out)
        if return_attention_scores:
            return out, scores
        return out

    def _compute_attention(
        self,
        query: Any,
        key: Any,
        value: Any,
        attention_mask: Any = None,
        training: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> tuple:
        """Attention on projected ``(B, T, heads, head_dim)`` tensors; returns ``(output, scores or None)``."""
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. Please "
                "disable flash attention to access attention scores."
            )
        fused = not (self.dropout > 0.0 or return_attention_scores or len(ops.shape(query)) != 4)
        if fused:
            if attention_mask is not None:
                for _ in range(4 - len(ops.shape(attention_mask))):
                    attention_mask = ops.expand_dims(attention_mask, axis=-3)
                attention_mask = ops.cast(attention_mask, "bool")
            out = ops.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_head_dim, is_causal=use_causal_mask
            )
            return out, None
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = (
                causal if attention_mask is None else ops.logical_and(ops.cast(attention_mask, "bool"), causal)
            )
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_head_dim, ops.dtype(query)))
        scores = ops.einsum(self._dot_product_equation, query, key)
        scores = self._masked_softmax(scores, attention_mask)
        final = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
        return ops.einsum(self._combine_equation, final, value), scores

    # ---- shapes -----------------------------------------------------------------------------------
    def compute_output_shape(  # type: ignore[override]  # Keras' signature
        self,
        query_shape: Any,
        value_shape: Any,
        key_shape: Any = None,
    ) -> Any:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                f"value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def compute_output_spec(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
        **kwargs: Any,
    ) -> Any:
        out = KerasTensor(
            self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape), self.compute_dtype
        )
        if return_attention_scores:
            kv_len = value.shape[1] if key is None else key.shape[1]
            return out, KerasTensor((query.shape[0], self.num_query_heads, query.shape[1], kv_len), self.compute_dtype)
        return out

    # ---- config -----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "sliding_window": self.sliding_window,
                "dropout": self.dropout,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers, self.bias_regularizer),
                "activity_regularizer": _ser(regularizers, self.activity_regularizer),
                "kernel_constraint": _ser(constraints, self.kernel_constraint),
                "bias_constraint": _ser(constraints, self.bias_constraint),
                "seed": self.seed,
            }
        )
        return cfg


GroupQueryAttention = GroupedQueryAttention
