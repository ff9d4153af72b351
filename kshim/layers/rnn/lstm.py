"""``LSTMCell`` / ``LSTM`` (gate blocks i, f, c, o in the kernels, as Keras)."""
from __future__ import annotations

from typing import Any

from ... import activations, initializers, ops
from .cell_base import BaseCell, BuiltinRNN


class LSTMCell(BaseCell):
    """Long short-term memory cell (``keras.layers.LSTMCell``); states ``[h, c]``."""

    n_gates = 4

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

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
        return self._cell_config({"recurrent_activation": activations.serialize(self.recurrent_activation),
                                  "unit_forget_bias": self.unit_forget_bias})


class LSTM(BuiltinRNN):
    """Long short-term memory layer (``keras.layers.LSTM``); weights live in ``self.cell``."""

    cell_class = LSTMCell
    cell_name = "lstm_cell"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, use_cudnn: Any = "auto", **kwargs: Any):
        cell_kwargs = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, use_cudnn=use_cudnn, cell_kwargs=cell_kwargs,
                         **kwargs)
