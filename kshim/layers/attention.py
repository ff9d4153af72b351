"""``Attention`` (Luong, dot/concat scores) and ``AdditiveAttention`` (Bahdanau), Keras 3 semantics.

Both are called on ``[query, value]`` or ``[query, value, key]`` with an optional
``mask=[query_mask, value_mask]``. Value-masked (and, with ``use_causal_mask``, future) positions
get ``score - 1e9`` (``- 65504`` in float16) before the softmax, as Keras does; the output is zero
at query-masked positions and keeps the query mask. ``MultiHeadAttention`` lives in
``multi_head_attention.py`` and is re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ops
from .. import random as _random
from .layer import Layer
from .multi_head_attention import MultiHeadAttention  # noqa: F401

if TYPE_CHECKING:
    from ..variables import Variable


class Attention(Layer):
    """Dot-product attention: ``scores = query @ key^T`` (times a learned scalar ``scale`` when
    ``use_scale``), or for ``score_mode="concat"`` ``concat_score_weight * sum(tanh(scale * (q + k)))``;
    ``output = softmax(scores) @ value``.

    Called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to ``value``), with
    ``query`` of shape ``(batch, Tq, dim)`` and ``value``/``key`` of shape ``(batch, Tv, dim)``; the
    output has shape ``(batch, Tq, dim)``. ``mask=[query_mask, value_mask]`` hides padded value steps
    and zeroes padded query steps; ``use_causal_mask=True`` lets step ``i`` see only value steps
    ``<= i``; ``return_attention_scores=True`` also returns the ``(batch, Tq, Tv)`` attention weights.

    Args:
        use_scale: If ``True``, learn a scalar ``scale`` multiplying the scores (default ``False``).
        score_mode: ``"dot"`` (default) or ``"concat"``, as above.
        dropout: Fraction of the attention weights to drop during training (default ``0.0``).
        seed: Optional integer seed of the dropout.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For another ``score_mode``; when called, for inputs or masks that are not lists of
            length 2 or 3.
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = _random.SeedGenerator(seed=seed)
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        self.scale: Variable | None = None
        self.concat_score_weight: Variable | None = None

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", dtype=self.dtype)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones", dtype=self.dtype
            )
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        """``(batch, Tq, Tv)`` scores from ``query (batch, Tq, dim)`` and ``key (batch, Tv, dim)``."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        q = ops.expand_dims(query, axis=-2)
        k = ops.expand_dims(key, axis=-3)
        s = ops.add(q, k)
        if self.scale is not None:
            s = ops.multiply(self.scale, s)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(s), axis=-1))

    def _apply_scores(self, scores: Any, value: Any, scores_mask: Any = None, training: Any = False) -> tuple:
        """``(softmax(scores) @ value, softmax(scores))`` with masked scores lowered by 1e9."""
        if scores_mask is not None:
            padding = ops.logical_not(ops.cast(scores_mask, "bool"))
            max_value = 65504.0 if ops.dtype(scores) == "float16" else 1.0e9
            if len(ops.shape(padding)) == 2:
                padding = ops.expand_dims(padding, axis=-2)
            scores = ops.where(padding, ops.subtract(scores, max_value), scores)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _random.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    def _calculate_score_mask(self, scores: Any, v_mask: Any, use_causal_mask: bool) -> Any:
        if not use_causal_mask:
            return v_mask
        shp = ops.shape(scores)
        tq, tv = shp[-2], shp[-1]
        rows = ops.reshape(ops.arange(tq, dtype="int32"), (1, tq, 1))
        cols = ops.reshape(ops.arange(tv, dtype="int32"), (1, 1, tv))
        causal = ops.greater_equal(rows, cols)
        if v_mask is not None:
            return ops.logical_and(ops.expand_dims(ops.cast(v_mask, "bool"), axis=-2), causal)
        return causal

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(query=q, key=k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        out, weights = self._apply_scores(scores=scores, value=v, scores_mask=scores_mask, training=training)
        if q_mask is not None:
            qm = ops.expand_dims(ops.cast(q_mask, "bool"), axis=-1)
            out = ops.where(qm, out, ops.zeros((), dtype=ops.dtype(out)))
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or (inputs and isinstance(inputs[0], (int, type(None)))):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs}."
            )
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. Received: mask={mask}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(
                    f"{name} layer accepts mask list of length 2 or 3. Received: inputs={inputs}, mask={mask}."
                )

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {"use_scale": self.use_scale, "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}
        )
        return cfg


class AdditiveAttention(Attention):
    """Bahdanau-style attention: ``scores = sum(scale * tanh(query[:, :, None] + key[:, None]), -1)``
    with a learned ``scale`` of shape ``(dim,)`` when ``use_scale``.

    Called like :class:`Attention` (inputs ``[query, value]`` or ``[query, value, key]``, the same
    ``mask``, ``use_causal_mask`` and ``return_attention_scores``).

    Args:
        use_scale: If ``True`` (default), learn the ``(dim,)`` ``scale`` vector; else the scale is 1.
        dropout: Fraction of the attention weights to drop during training (default ``0.0``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform", dtype=self.dtype)
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        q = ops.expand_dims(query, axis=-2)
        k = ops.expand_dims(key, axis=-3)
        t = ops.tanh(ops.add(q, k))
        if self.use_scale:
            t = ops.multiply(self.scale, t)
        return ops.sum(t, axis=-1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["score_mode"]
        return cfg
