"""``MultiHeadAttention`` (Keras 3 semantics, weights, config and saved-weights layout).

The projections are ``EinsumDense`` sub-layers named ``query``, ``key``, (``gate``), ``value`` and
``attention_output``, so ``get_weights()`` is ordered as in Keras: each kernel followed by its bias.
They are stored as private attributes (``_query_dense`` ...) exposed through the public properties
``query_dense``, ``key_dense``, ``value_dense`` and ``output_dense``; the ``.weights.h5`` groups use
those public names, plus ``_softmax``, ``_dropout_layer`` and ``_gate_dense``, exactly as Keras
writes them.

Masks. In a functional model the runner hands the masks of all tensor arguments to ``__call__`` as
one list (``mask=``); they are matched back to ``query``/``value``/``key`` here and become
``query_mask``/``value_mask``/``key_mask``. As in Keras, the query mask always comes from the
query tensor's propagated mask: an explicit ``query_mask=`` argument to ``layer(...)`` is ignored
(``value_mask``/``key_mask`` given explicitly win over propagated ones). All masks, the
``attention_mask`` and the causal / sliding-window masks are combined with a logical AND into a
``(B, T, S)`` mask; the output carries the query mask.

Two computation paths, chosen as Keras chooses them (they differ only for fully masked query rows):
``ops.dot_product_attention`` when ``dropout == 0``, no scores are returned and the inputs are
rank 3 (fully masked rows attend uniformly); otherwise explicit einsums with a masked softmax
(fully masked rows get zero weights). The first runs the backend's fused kernel where it has one
(torch ``scaled_dot_product_attention`` in float32/float64, ``jax.nn.dot_product_attention`` in float32
with ``value_dim == key_dim``; see ``kshim.ops.dot_product_attention``), with the combined mask as a
boolean mask or ``is_causal`` for a causal mask alone. A layer with ``dropout > 0`` keeps the einsum path
even at inference, as Keras does: fusing it there would change the fully masked rows.
"""

from __future__ import annotations

import math
import string
from typing import TYPE_CHECKING, Any

import optree

from .. import constraints, initializers, ops, regularizers
from .._validation import optional_positive_int, positive_int
from .activation_layers import Softmax
from .core import EinsumDense
from ..variables import Variable
from .layer import Layer, _shapes_of
from .regularization import Dropout


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


def _letters(i: int) -> str:
    return string.ascii_lowercase[i]


def _proj_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """Einsum equation ``free+bound, bound+out -> free+out`` for a projection, its bias axes and
    the output rank."""
    inp, kern, out, bias = "", "", "", ""
    for i in range(free_dims):
        inp += _letters(i)
        out += _letters(i)
    for i in range(free_dims, free_dims + bound_dims):
        inp += _letters(i)
        kern += _letters(i)
    for i in range(free_dims + bound_dims, free_dims + bound_dims + output_dims):
        kern += _letters(i)
        out += _letters(i)
        bias += _letters(i)
    return f"{inp},{kern}->{out}", bias, len(out)


def _partial_shape(output_rank: int, known_last: list) -> list:
    return [None] * (output_rank - len(known_last)) + list(known_last)


def _attention_equations(rank: int, attn_axes: tuple) -> tuple[str, str, int]:
    """Equations for scores = key . query and output = scores . value on projected tensors of
    ``rank`` laid out as ``(batch, <non-attention>, <attention>, heads, channels)``."""
    target = "".join(_letters(i) for i in range(rank))
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes and i != rank - 1)
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letters(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes] + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class QueryValueKeyLayer(Layer):
    """Base of attention layers called as ``(query, value, key=None)`` (MultiHeadAttention,
    GroupQueryAttention): building from the three shapes, Keras' ``shapes_dict`` build config, and
    the propagated-mask rules (the query's mask becomes ``query_mask``; value/key masks fill in)."""

    # Set by the subclasses' __init__ and build() (sublayers through _add_sublayer).
    _build_shapes_dict: dict | None
    _query_dense: Layer
    _key_dense: Layer
    _value_dense: Layer
    _output_dense: Layer
    _gate_dense: Layer
    _softmax: Layer
    _dropout_layer: Layer

    if TYPE_CHECKING:  # the subclasses build from three shapes, as in Keras (not Layer's one input_shape)

        def build(  # type: ignore[override]
            self,
            query_shape: Any,
            value_shape: Any,
            key_shape: Any = None,
        ) -> None: ...

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        query, value, key = _qvk(args, kwargs)
        self._check_backend()
        self.build(_shapes_of(query), _shapes_of(value), None if key is None else _shapes_of(key))

    def get_build_config(self) -> dict | None:
        if self._build_shapes_dict is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._build_shapes_dict.items()}}

    def build_from_config(self, config: dict) -> None:
        if self.built or not config:
            return
        shapes = config.get("shapes_dict")
        if shapes:
            self.build(**{k: tuple(v) for k, v in shapes.items()})
        elif config.get("input_shape"):
            shp = tuple(config["input_shape"])
            self.build(shp, shp)

    # ---- call -------------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        propagated = kwargs.pop("mask", None)
        self._out_mask_info = None
        from .._symbolic import any_symbolic

        if not any_symbolic(args, kwargs):
            q_m, v_m, k_m = _match_masks(args, kwargs, propagated)
            kwargs["query_mask"] = q_m  # Keras: the query's own (propagated) mask, never an explicit one
            if kwargs.get("value_mask") is None:
                kwargs["value_mask"] = v_m
            if kwargs.get("key_mask") is None and k_m is not None:
                kwargs["key_mask"] = k_m
            if propagated is not None:
                self._out_mask_info = (q_m, bool(kwargs.get("return_attention_scores", False)))
        return super().__call__(*args, **kwargs)


class MultiHeadAttention(QueryValueKeyLayer):
    """Multi-head attention (Vaswani et al., 2017) with Keras 3's arguments.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)``.
    ``value_dim`` may differ from ``key_dim``. ``flash_attention`` is accepted and ignored: the
    backend's fused attention kernel runs whenever the configuration allows it (see the module
    docstring), with the same results up to float rounding.

    Args:
        num_heads: Number of attention heads (a positive integer).
        key_dim: Size of each head's query and key projection (a positive integer).
        value_dim: Size of each head's value projection; ``None`` (default) uses ``key_dim``.
        dropout: Dropout rate of the attention weights during training, in ``[0, 1]`` (default ``0.0``).
        use_bias: Whether the query/key/value/output projections have biases (default ``True``).
        output_shape: Last dimension(s) of the output: an int or a tuple; ``None`` (default) gives the query's last
            dimension.
        attention_axes: Axes (of the query, counting the batch axis) over which attention is applied: an int or a
            tuple; ``None`` (default) uses every axis between the batch and the feature axes.
        sliding_window: If a positive int ``w``, query step ``i`` attends only to key steps ``j`` with ``|i - j| <
            w``; ``None`` (default): no window.
        flash_attention: Accepted and ignored (see above).
        kernel_initializer: Initializer of the projection kernels (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the projection biases (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the projection kernels.
        bias_regularizer: Optional regularizer of the projection biases.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the projection kernels.
        bias_constraint: Optional constraint on the projection biases.
        use_gate: If ``True``, multiply each head's attention output by a sigmoid gate computed from the query
            (default ``False``).
        seed: Optional integer seed of the attention dropout.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``num_heads``/``key_dim``/``value_dim``, a ``dropout`` outside
            ``[0, 1]``, or an invalid ``output_shape``, ``attention_axes`` or ``sliding_window``.
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        num_heads = positive_int(num_heads, "num_heads", type(self).__name__)
        key_dim = positive_int(key_dim, "key_dim", type(self).__name__)
        value_dim = optional_positive_int(value_dim, "value_dim", type(self).__name__)
        super().__init__(**kwargs)
        self.supports_masking = True
        # the functional runner passes the masks of all tensor arguments as `mask=`; __call__ sorts them out
        self._call_has_mask = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiHeadAttention: `dropout` must be in [0, 1], got {dropout}.")
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                    "should be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f"`attention_axes` must be an int, list, or tuple.Received: attention_axes={attention_axes}"
            )
        self._attention_axes = attention_axes
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                f"`sliding_window` must be `None` or a positive integer. Received: sliding_window={sliding_window}"
            )
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._build_shapes_dict: dict | None = None
        self._out_mask_info: tuple | None = None

    # ---- read-only views (Keras exposes these as properties) -----------------------------------
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self.__dict__.get("_query_dense"))
    key_dense = property(lambda self: self.__dict__.get("_key_dense"))
    value_dense = property(lambda self: self.__dict__.get("_value_dense"))
    output_dense = property(lambda self: self.__dict__.get("_output_dense"))

    def _add_sublayer(self, attr: str, layer: Layer, saved_as: str) -> Layer:
        """Keep ``layer`` in the private ``attr``, track it (weight order = creation order) and save
        it in the h5 file under ``saved_as`` (Keras' group name)."""
        object.__setattr__(self, attr, layer)
        self._track(layer)
        self.__dict__.setdefault("_tracked_attrs", {})[saved_as] = True
        return layer

    def _common_kwargs(self) -> dict:
        return dict(
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy,
            # fresh copies, as Keras: a seeded initializer gives each projection the same draw
            kernel_initializer=type(self._kernel_initializer).from_config(self._kernel_initializer.get_config()),
            bias_initializer=type(self._bias_initializer).from_config(self._bias_initializer.get_config()),
        )

    def _projection(self, rank: int, last: list, name: str, activation: Any = None) -> EinsumDense:
        eq, bias_axes, out_rank = _proj_equation(rank - 1, 1, 2)
        return EinsumDense(
            eq,
            output_shape=_partial_shape(out_rank - 1, last),
            activation=activation,
            bias_axes=bias_axes if self._use_bias else None,
            name=name,
            **self._common_kwargs(),
        )

    # ---- build ------------------------------------------------------------------------------------
    def build(  # type: ignore[override]  # Keras': three shapes
        self,
        query_shape: Any,
        value_shape: Any,
        key_shape: Any = None,
    ) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_given = key_shape is not None
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        self._check_backend()
        q_rank, v_rank, k_rank = len(query_shape), len(value_shape), len(key_shape)
        heads = self._num_heads
        q = self._add_sublayer("_query_dense", self._projection(q_rank, [heads, self._key_dim], "query"), "query_dense")
        q.build(query_shape)
        k = self._add_sublayer("_key_dense", self._projection(k_rank, [heads, self._key_dim], "key"), "key_dense")
        k.build(key_shape)
        if self._use_gate:
            g = self._add_sublayer(
                "_gate_dense",
                self._projection(q_rank, [heads, self._value_dim], "gate", activation="sigmoid"),
                "_gate_dense",
            )
            g.build(query_shape)
        v = self._add_sublayer(
            "_value_dense", self._projection(v_rank, [heads, self._value_dim], "value"), "value_dense"
        )
        v.build(value_shape)
        self._build_attention(v_rank + 1)
        out_last = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        eq, bias_axes, out_rank = _proj_equation(q_rank - 1, 2, len(out_last))
        o = self._add_sublayer(
            "_output_dense",
            EinsumDense(
                eq,
                output_shape=_partial_shape(out_rank - 1, out_last),
                bias_axes=bias_axes if self._use_bias else None,
                name="attention_output",
                **self._common_kwargs(),
            ),
            "output_dense",
        )
        o.build(tuple(query_shape[:-1]) + (heads, self._value_dim))
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes_dict["key_shape"] = key_shape
        self.built = True

    def _build_attention(self, rank: int) -> None:
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes
        )
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._add_sublayer("_softmax", Softmax(axis=norm_axes, dtype=self.dtype_policy), "_softmax")
        self._add_sublayer(
            "_dropout_layer", Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed), "_dropout_layer"
        )

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
            and self._sliding_window is None
            and type(self)._compute_attention is MultiHeadAttention._compute_attention
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
        gate = self._gate_dense(query) if self._use_gate else None
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(q, k, v, attention_mask, training, return_attention_scores, **extra)
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def _tensor(self, x: Any) -> Any:
        if isinstance(x, Variable):
            x = x.value
        if not ops.is_tensor(x):
            x = ops.convert_to_tensor(x)
        dt = ops.dtype(x)
        if self.autocast and dt.startswith(("float", "bfloat")) and dt != self.compute_dtype:
            x = ops.cast(x, self.compute_dtype)
        return x

    def _masked_softmax(self, scores: Any, attention_mask: Any = None) -> Any:
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(ops.shape(scores)) - len(ops.shape(attention_mask))):
                attention_mask = ops.expand_dims(attention_mask, axis=axis)
        return self._softmax(scores, mask=attention_mask)

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
        """Attention on projected ``query (B, T, N, key_dim)``, ``key (B, S, N, key_dim)``,
        ``value (B, S, N, value_dim)``; returns ``(output, scores or None)``."""
        fused = not (self._dropout > 0.0 or return_attention_scores or len(ops.shape(query)) != 4)
        if fused:
            if attention_mask is not None:
                axis = -len(self._attention_axes) * 2 - 1
                for _ in range(4 - len(ops.shape(attention_mask))):
                    attention_mask = ops.expand_dims(attention_mask, axis=axis)
                attention_mask = ops.cast(attention_mask, "bool")
            out = ops.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_key_dim, is_causal=use_causal_mask
            )
            return out, None
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = (
                causal if attention_mask is None else ops.logical_and(ops.cast(attention_mask, "bool"), causal)
            )
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, ops.dtype(query)))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        final = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        out = ops.einsum(self._combine_equation, final, value)
        return out, scores

    def _compute_attention_mask(
        self,
        query: Any,
        value: Any,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        """AND of ``query_mask[:, :, None]``, ``value_mask[:, None, :]``, ``key_mask[:, None, :]``,
        the causal and sliding-window masks ``(1, T, S)`` and ``attention_mask``."""
        auto = None

        def conj(a, m):
            return m if a is None else ops.logical_and(a, m)

        if query_mask is not None:
            auto = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
        if value_mask is not None:
            auto = conj(auto, ops.expand_dims(ops.cast(value_mask, "bool"), -2))
        if key_mask is not None:
            auto = conj(auto, ops.expand_dims(ops.cast(key_mask, "bool"), -2))
        if use_causal_mask:
            auto = conj(auto, self._compute_causal_mask(query, value))
        if self._sliding_window is not None:
            auto = conj(auto, self._compute_sliding_window_mask(query, value))
        if attention_mask is not None:
            attention_mask = ops.cast(attention_mask, "bool")
        if auto is not None:
            attention_mask = auto if attention_mask is None else ops.logical_and(attention_mask, auto)
        return attention_mask

    def _compute_causal_mask(self, query: Any, value: Any = None) -> Any:
        t = ops.shape(query)[1]
        s = t if value is None else ops.shape(value)[1]
        rows = ops.reshape(ops.arange(t, dtype="int32"), (1, t, 1))
        cols = ops.reshape(ops.arange(s, dtype="int32"), (1, 1, s))
        return ops.greater_equal(rows, cols)

    def _compute_sliding_window_mask(self, query: Any, value: Any = None) -> Any:
        t = ops.shape(query)[1]
        s = t if value is None else ops.shape(value)[1]
        rows = ops.reshape(ops.arange(t, dtype="int32"), (1, t, 1))
        cols = ops.reshape(ops.arange(s, dtype="int32"), (1, 1, s))
        return ops.less(ops.abs(ops.subtract(rows, cols)), self._sliding_window)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output keeps the query's mask (the attention scores, if returned, have none)."""
        info, self._out_mask_info = self._out_mask_info, None
        if mask is None:
            return None
        if info is None:  # not called through __call__ just before: the query is the first input
            return mask[0] if isinstance(mask, (list, tuple)) else mask
        q_m, with_scores = info
        return [q_m, None] if with_scores else q_m

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> Any:
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(
                    "All dimensions of `value` and `key`, except the last one, must be equal. "
                    f"Received: value_shape={value_shape} and key_shape={key_shape}"
                )
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    # ---- config -----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "num_heads": self._num_heads,
                "key_dim": self._key_dim,
                "value_dim": self._value_dim,
                "dropout": self._dropout,
                "use_bias": self._use_bias,
                "use_gate": self._use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": _ser(regularizers, self._kernel_regularizer),
                "bias_regularizer": _ser(regularizers, self._bias_regularizer),
                "activity_regularizer": _ser(regularizers, self._activity_regularizer),
                "kernel_constraint": _ser(constraints, self._kernel_constraint),
                "bias_constraint": _ser(constraints, self._bias_constraint),
                "seed": self.seed,
            }
        )
        return cfg


def _qvk(args: tuple, kwargs: dict) -> tuple:
    """``(query, value, key)`` from a call's positional/keyword arguments."""
    names = ("query", "value", "key")
    vals = [args[i] if i < len(args) else kwargs.get(n) for i, n in enumerate(names)]
    if vals[0] is None or vals[1] is None:
        raise ValueError(
            "MultiHeadAttention must be called with `query` and `value` tensors, e.g. `layer(query, value)`."
        )
    return tuple(vals)


def _match_masks(args: tuple, kwargs: dict, mask: Any) -> tuple:
    """Split the runner's ``mask`` (one entry per tensor argument, in the order of the flattened
    ``(args, kwargs)``) into the masks of ``query``, ``value`` and ``key``."""
    if mask is None:
        return None, None, None
    query, value, key = _qvk(args, kwargs)
    if not isinstance(mask, (list, tuple)):
        return mask, None, None
    rest = {k: v for k, v in kwargs.items() if k not in ("mask", "training")}
    tree: Any = (args, rest)  # optree's PyTree type cannot infer from a tuple of containers
    leaves = [x for x in optree.tree_leaves(tree, namespace="kshim") if ops.is_tensor(x)]
    if len(leaves) != len(mask):
        return (mask[0] if args else None), None, None

    def find(t):
        if t is None:
            return None
        for x, m in zip(leaves, mask):
            if x is t:
                return m
        return None

    return find(query), find(value), (find(key) if key is not None else None)
