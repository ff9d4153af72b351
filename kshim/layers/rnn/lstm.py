"""``LSTMCell`` / ``LSTM`` (gate blocks i, f, c, o in the kernels, as Keras)."""

from __future__ import annotations

from typing import Any

from ... import activations, initializers, ops
from .cell_base import BaseCell, BuiltinRNN


class LSTMCell(BaseCell):
    """Long short-term memory cell (``keras.layers.LSTMCell``); states ``[h, c]``.

    One step for an ``RNN`` layer: ``call(inputs, [h, c])`` maps ``(batch, features)`` inputs to a
    ``(batch, units)`` output and the new ``[h, c]``.

    Args:
        units: Dimensionality of the output and of each state (a positive int).
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
        kernel_constraint: Optional constraint on the input kernel.
        recurrent_constraint: Optional constraint on the recurrent kernel.
        bias_constraint: Optional constraint on the bias.
        dropout: Fraction of the inputs dropped during training, one mask for all steps (clipped to ``[0, 1]``;
            default ``0.0``).
        recurrent_dropout: Fraction of the recurrent state dropped during training, one mask for all steps (clipped
            to ``[0, 1]``; default ``0.0``).
        seed: Optional integer seed of the dropout masks.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ...); ``implementation`` (1 or 2) is accepted as in
            Keras.

    Raises:
        ValueError: If ``units`` is not a positive int.
    """

    n_gates = 4

    def __init__(
        self,
        units: int,
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
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size: list[int] = [units, units]

    def build(self, input_shape: Any) -> None:
        u, init = self.units, self.bias_initializer
        if self.use_bias and self.unit_forget_bias:

            def bias_init(shape, dtype=None):
                ones = initializers.get("ones")
                return ops.concatenate([init((u,), dtype), ones((u,), dtype), init((2 * u,), dtype)], axis=0)
        else:
            bias_init = init
        self._add_kernels(input_shape, (4 * u,), bias_init)

    def _recurrent(self, xp: Any, states: Any, training: Any = False) -> tuple:
        h, c = states[0], states[1]
        z = ops.add(xp, self._masked_matmul(h, self._rec_mask(training), self.recurrent_kernel))
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        ra, act = self.recurrent_activation, self.activation
        c = ops.add(ops.multiply(ra(zf), c), ops.multiply(ra(zi), act(zc)))
        h = ops.multiply(ra(zo), act(c))
        return h, [h, c]

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in self.state_size]

    def get_config(self) -> dict:
        return self._cell_config(
            {
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias,
            }
        )


class LSTM(BuiltinRNN):
    """Long short-term memory layer (``keras.layers.LSTM``); weights live in ``self.cell``.

    Inputs ``(batch, time, features)`` give ``(batch, units)`` (or ``(batch, time, units)`` with
    ``return_sequences``); a mask (e.g. from ``Embedding(mask_zero=True)``) skips padded steps.

    Args:
        units: Dimensionality of the output and of each state (a positive int).
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
        unroll: If ``True``, unroll the loop over time instead of running a loop op (needs a known number of steps;
            default ``False``).
        use_cudnn: ``"auto"`` (default), ``True`` or ``False``. kshim has no cuDNN switch: unless ``False``, it runs
            the backend's fused LSTM/GRU kernel when the configuration allows it (the results are the same).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``units`` is not a positive int, or ``use_cudnn`` is not ``"auto"``/``True``/``False``;
            when built with ``stateful=True``, for an unknown batch size.
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"

    def __init__(
        self,
        units: int,
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
        unroll: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ):
        cell_kwargs = dict(
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
        )
        super().__init__(
            units,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            use_cudnn=use_cudnn,
            cell_kwargs=cell_kwargs,
            **kwargs,
        )
