"""``ConvLSTM1D/2D/3D``: LSTM whose input and recurrent transforms are convolutions (``ops.conv``),
run over time by the generic ``RNN`` loop (``ops.scan``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import _config, activations, constraints, initializers, ops, regularizers
from ... import random as _random
from ..._validation import positive_int, standardize_tuple
from ..layer import Layer
from .cell_base import CellLayerConfig, _ser
from .rnn import RNN, DropoutRNNCell

if TYPE_CHECKING:
    from ...variables import Variable


_CELL_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
)


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One ConvLSTM step; states ``[h, c]`` of the conv output's shape; four dropout masks."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.rank = rank
        self.filters = positive_int(filters, "filters", type(self).__name__)
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.padding = padding.lower()
        self.data_format = data_format or _config.image_data_format()
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.dropout_mask_count = 4
        self.state_size = -1  # the states' shape depends on the input (see get_initial_state)

    def build(self, inputs_shape: Any, states_shape: Any = None) -> None:
        cf = self.data_format == "channels_first"
        self.spatial_dims = tuple(inputs_shape[2:] if cf else inputs_shape[1:-1])
        if None in self.spatial_dims:
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={inputs_shape}"
            )
        self.input_dim = inputs_shape[1 if cf else -1]
        f = self.filters
        self.kernel = self.add_weight(
            self.kernel_size + (self.input_dim, 4 * f),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            self.kernel_size + (f, 4 * f),
            self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:

                def bias_init(shape, dtype=None):
                    return ops.concatenate(
                        [init((f,), dtype), initializers.get("ones")((f,), dtype), init((2 * f,), dtype)], axis=0
                    )
            else:
                bias_init = init
            self.bias: Variable | None = self.add_weight(
                (4 * f,), bias_init, name="bias", regularizer=self.bias_regularizer, constraint=self.bias_constraint
            )
        else:
            self.bias = None
        self.built = True

    def _conv(self, x: Any, w: Any, b: Any = None, recurrent: bool = False) -> Any:
        out = ops.conv(
            x,
            w,
            strides=1 if recurrent else self.strides,
            padding="same" if recurrent else self.padding,
            data_format=self.data_format,
            dilation_rate=1 if recurrent else self.dilation_rate,
        )
        if b is not None:
            shape = (
                (1,) * (self.rank + 1) + (self.filters,)
                if self.data_format == "channels_last"
                else (1, self.filters) + (1,) * self.rank
            )
            out = ops.add(out, ops.reshape(b, shape))
        return out

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        h, c = states[0], states[1]
        xs = [inputs] * 4
        hs = [h] * 4
        if training and 0.0 < self.dropout < 1.0:
            xs = [ops.multiply(inputs, m) for m in self.get_dropout_mask(inputs)]
        if training and 0.0 < self.recurrent_dropout < 1.0:
            hs = [ops.multiply(h, m) for m in self.get_recurrent_dropout_mask(h)]
        ks = ops.split(self.kernel, 4, axis=self.rank + 1)
        rks = ops.split(self.recurrent_kernel, 4, axis=self.rank + 1)
        bs = ops.split(self.bias, 4) if self.use_bias else [None] * 4
        z = [
            ops.add(self._conv(x, k, b), self._conv(hh, rk, recurrent=True))
            for x, k, b, hh, rk in zip(xs, ks, bs, hs, rks)
        ]
        ra, act = self.recurrent_activation, self.activation
        i, f, o = ra(z[0]), ra(z[1]), ra(z[3])
        c = ops.add(ops.multiply(f, c), ops.multiply(i, act(z[2])))
        h = ops.multiply(o, act(c))
        return h, [h, c]

    def get_initial_state(self, batch_size: int | None = None) -> list:
        cf = self.data_format == "channels_first"
        x = ops.zeros(
            (1, self.input_dim) + self.spatial_dims if cf else (1,) + self.spatial_dims + (self.input_dim,),
            dtype=self.compute_dtype,
        )
        k = ops.zeros(self.kernel_size + (self.input_dim, self.filters), dtype=self.compute_dtype)
        shape = (batch_size,) + tuple(ops.shape(self._conv(x, k)))[1:]
        return [ops.zeros(shape, dtype=self.compute_dtype), ops.zeros(shape, dtype=self.compute_dtype)]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
                "recurrent_regularizer": _ser(regularizers, self.recurrent_regularizer),
                "bias_regularizer": _ser(regularizers, self.bias_regularizer),
                "kernel_constraint": _ser(constraints, self.kernel_constraint),
                "recurrent_constraint": _ser(constraints, self.recurrent_constraint),
                "bias_constraint": _ser(constraints, self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        return cfg


class ConvLSTM(CellLayerConfig, RNN):
    """Base of ConvLSTM1D/2D/3D: a ``ConvLSTMCell`` of ``rank`` run over (batch, time, ...) inputs."""

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ):
        loc = locals()
        cell = ConvLSTMCell(
            self.rank, **{k: loc[k] for k in _CELL_KEYS}, name="conv_lstm_cell", dtype=kwargs.get("dtype")
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )


class ConvLSTM1D(ConvLSTM):
    """``keras.layers.ConvLSTM1D``: inputs (batch, time, steps, channels).

    An LSTM whose input and recurrent transforms are 1D convolutions; the states and outputs are
    feature maps with ``filters`` channels.

    Args:
        filters: Number of output channels of the convolutions (a positive int).
        kernel_size: Size of the convolution window: an int or a tuple of 1 int.
        strides: Strides of the input convolution: an int or a tuple of 1 int (default ``1``).
        padding: ``"valid"`` (default) or ``"same"``, for the input convolution (the recurrent one always uses
            ``"same"``).
        data_format: ``"channels_last"`` (inputs ``(batch, time, steps, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the input convolution: an int or a tuple of 1 int (default ``1``).
        activation: Activation of the candidate state and the output (default ``"tanh"``); ``None``: linear.
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to use a bias vector (default ``True``).
        kernel_initializer: Initializer of the input kernel (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of the recurrent kernel (default ``"orthogonal"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        unit_forget_bias: If ``True`` (default), the forget gate's block of the bias starts at 1 (the other blocks
            use ``bias_initializer``).
        kernel_regularizer: Optional regularizer of the input kernel.
        recurrent_regularizer: Optional regularizer of the recurrent kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the input kernel.
        recurrent_constraint: Optional constraint on the recurrent kernel.
        bias_constraint: Optional constraint on the bias.
        dropout: Fraction of the inputs dropped during training, one mask for all steps (clipped to ``[0, 1]``;
            default ``0.0``).
        recurrent_dropout: Fraction of the recurrent state dropped during training, one mask for all steps (clipped
            to ``[0, 1]``; default ``0.0``).
        seed: Optional integer seed of the dropout masks.
        return_sequences: If ``True``, return the output of every step, ``(batch, time, ...)``; else only the last
            step's (default ``False``).
        return_state: If ``True``, return ``[output, *final_states]`` instead of ``output`` (default ``False``).
        go_backwards: If ``True``, process the sequence from its last step to its first (default ``False``).
        stateful: If ``True``, each batch's final states are the next batch's initial states (needs a fixed batch
            size; ``reset_state()`` clears them; default ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``filters`` is not a positive int or a size argument is invalid; when built, for
            spatial dimensions of unknown size.
    """

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """``keras.layers.ConvLSTM2D``: inputs (batch, time, rows, cols, channels).

    An LSTM whose input and recurrent transforms are 2D convolutions; the states and outputs are
    feature maps with ``filters`` channels.

    Args:
        filters: Number of output channels of the convolutions (a positive int).
        kernel_size: Size of the convolution window: an int or a tuple of 2 ints.
        strides: Strides of the input convolution: an int or a tuple of 2 ints (default ``1``).
        padding: ``"valid"`` (default) or ``"same"``, for the input convolution (the recurrent one always uses
            ``"same"``).
        data_format: ``"channels_last"`` (inputs ``(batch, time, rows, cols, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the input convolution: an int or a tuple of 2 ints (default ``1``).
        activation: Activation of the candidate state and the output (default ``"tanh"``); ``None``: linear.
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to use a bias vector (default ``True``).
        kernel_initializer: Initializer of the input kernel (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of the recurrent kernel (default ``"orthogonal"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        unit_forget_bias: If ``True`` (default), the forget gate's block of the bias starts at 1 (the other blocks
            use ``bias_initializer``).
        kernel_regularizer: Optional regularizer of the input kernel.
        recurrent_regularizer: Optional regularizer of the recurrent kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the input kernel.
        recurrent_constraint: Optional constraint on the recurrent kernel.
        bias_constraint: Optional constraint on the bias.
        dropout: Fraction of the inputs dropped during training, one mask for all steps (clipped to ``[0, 1]``;
            default ``0.0``).
        recurrent_dropout: Fraction of the recurrent state dropped during training, one mask for all steps (clipped
            to ``[0, 1]``; default ``0.0``).
        seed: Optional integer seed of the dropout masks.
        return_sequences: If ``True``, return the output of every step, ``(batch, time, ...)``; else only the last
            step's (default ``False``).
        return_state: If ``True``, return ``[output, *final_states]`` instead of ``output`` (default ``False``).
        go_backwards: If ``True``, process the sequence from its last step to its first (default ``False``).
        stateful: If ``True``, each batch's final states are the next batch's initial states (needs a fixed batch
            size; ``reset_state()`` clears them; default ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``filters`` is not a positive int or a size argument is invalid; when built, for
            spatial dimensions of unknown size.
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """``keras.layers.ConvLSTM3D``: inputs (batch, time, d1, d2, d3, channels).

    An LSTM whose input and recurrent transforms are 3D convolutions; the states and outputs are
    feature maps with ``filters`` channels.

    Args:
        filters: Number of output channels of the convolutions (a positive int).
        kernel_size: Size of the convolution window: an int or a tuple of 3 ints.
        strides: Strides of the input convolution: an int or a tuple of 3 ints (default ``1``).
        padding: ``"valid"`` (default) or ``"same"``, for the input convolution (the recurrent one always uses
            ``"same"``).
        data_format: ``"channels_last"`` (inputs ``(batch, time, d1, d2, d3, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the input convolution: an int or a tuple of 3 ints (default ``1``).
        activation: Activation of the candidate state and the output (default ``"tanh"``); ``None``: linear.
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to use a bias vector (default ``True``).
        kernel_initializer: Initializer of the input kernel (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of the recurrent kernel (default ``"orthogonal"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        unit_forget_bias: If ``True`` (default), the forget gate's block of the bias starts at 1 (the other blocks
            use ``bias_initializer``).
        kernel_regularizer: Optional regularizer of the input kernel.
        recurrent_regularizer: Optional regularizer of the recurrent kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the input kernel.
        recurrent_constraint: Optional constraint on the recurrent kernel.
        bias_constraint: Optional constraint on the bias.
        dropout: Fraction of the inputs dropped during training, one mask for all steps (clipped to ``[0, 1]``;
            default ``0.0``).
        recurrent_dropout: Fraction of the recurrent state dropped during training, one mask for all steps (clipped
            to ``[0, 1]``; default ``0.0``).
        seed: Optional integer seed of the dropout masks.
        return_sequences: If ``True``, return the output of every step, ``(batch, time, ...)``; else only the last
            step's (default ``False``).
        return_state: If ``True``, return ``[output, *final_states]`` instead of ``output`` (default ``False``).
        go_backwards: If ``True``, process the sequence from its last step to its first (default ``False``).
        stateful: If ``True``, each batch's final states are the next batch's initial states (needs a fixed batch
            size; ``reset_state()`` clears them; default ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``filters`` is not a positive int or a size argument is invalid; when built, for
            spatial dimensions of unknown size.
    """

    rank = 3
