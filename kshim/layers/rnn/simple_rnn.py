"""``SimpleRNNCell`` / ``SimpleRNN``: ``h_t = activation(x_t @ W + b + h_{t-1} @ U)``."""

from __future__ import annotations

from typing import Any

from ... import ops
from .cell_base import BaseCell, BuiltinRNN


class SimpleRNNCell(BaseCell):
    """Fully-connected recurrent cell (``keras.layers.SimpleRNNCell``); one state of size ``units``.

    One step: ``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``.

    Args:
        units: Dimensionality of the output and of each state (a positive int).
        activation: Activation of the output (default ``"tanh"``); ``None``: linear.
        use_bias: Whether to use a bias vector (default ``True``).
        kernel_initializer: Initializer of the input kernel (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of the recurrent kernel (default ``"orthogonal"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
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

    def build(self, input_shape: Any) -> None:
        self._add_kernels(input_shape, (self.units,), self.bias_initializer)

    def _recurrent(self, xp: Any, states: Any, training: Any = False) -> tuple:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        rm = self._rec_mask(training)
        if rm is not None:
            h = ops.multiply(h, rm)
        out = ops.add(xp, ops.matmul(h, self.recurrent_kernel))
        if self.activation is not None:
            out = self.activation(out)
        return out, ([out] if nested else out)

    def _active(self, rate: float, training: Any) -> bool:
        # SimpleRNNCell applies its masks whenever they exist (rate > 0), including rate 1.
        return bool(training) and rate > 0.0

    def get_config(self) -> dict:
        return self._cell_config({})


class SimpleRNN(BuiltinRNN):
    """Fully-connected RNN whose output is fed back as input (``keras.layers.SimpleRNN``).

    Inputs ``(batch, time, features)`` give ``(batch, units)`` (or ``(batch, time, units)`` with
    ``return_sequences``).

    Args:
        units: Dimensionality of the output and of each state (a positive int).
        activation: Activation of the output (default ``"tanh"``); ``None``: linear.
        use_bias: Whether to use a bias vector (default ``True``).
        kernel_initializer: Initializer of the input kernel (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of the recurrent kernel (default ``"orthogonal"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
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
        return_sequences: If ``True``, return the output of every step, ``(batch, time, ...)``; else only the last
            step's (default ``False``).
        return_state: If ``True``, return ``[output, *final_states]`` instead of ``output`` (default ``False``).
        go_backwards: If ``True``, process the sequence from its last step to its first (default ``False``).
        stateful: If ``True``, each batch's final states are the next batch's initial states (needs a fixed batch
            size; ``reset_state()`` clears them; default ``False``).
        unroll: If ``True``, unroll the loop over time instead of running a loop op (needs a known number of steps;
            default ``False``).
        seed: Optional integer seed of the dropout masks.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``units`` is not a positive int; when built with ``stateful=True``, for an unknown batch
            size.
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ):
        cell_kwargs = dict(
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
        )
        super().__init__(
            units,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            cell_kwargs=cell_kwargs,
            **kwargs,
        )

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("seed", None)  # Keras' SimpleRNN layer config has no seed (its cell config does)
        return cfg
