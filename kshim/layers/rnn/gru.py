"""``GRUCell`` / ``GRU`` (gate blocks z, r, h; ``reset_after=True`` gives a (2, 3u) bias)."""

from __future__ import annotations

from typing import Any

from ... import activations, ops
from .cell_base import BaseCell, BuiltinRNN


class GRUCell(BaseCell):
    """Gated recurrent unit cell (``keras.layers.GRUCell``); one state ``h``.

    One step for an ``RNN`` layer: ``call(inputs, h)`` maps ``(batch, features)`` inputs to a
    ``(batch, units)`` output, which is also the new state.

    Args:
        units: Dimensionality of the output and of each state (a positive int).
        activation: Activation of the candidate state and the output (default ``"tanh"``); ``None``: linear.
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
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
        reset_after: If ``True`` (default), apply the reset gate after the recurrent matrix product (the
            cuDNN-compatible form, with a ``(2, 3 * units)`` bias); ``False`` applies it before.
        seed: Optional integer seed of the dropout masks.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ...); ``implementation`` (1 or 2) is accepted as in
            Keras.

    Raises:
        ValueError: If ``units`` is not a positive int.
    """

    n_gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
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
        self.reset_after = reset_after

    def build(self, input_shape: Any) -> None:
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_kernels(input_shape, shape, self.bias_initializer)

    def _input_bias(self) -> Any:
        if not self.use_bias:
            return None
        return ops.get_item(self.bias, 0) if self.reset_after else self.bias

    def _recurrent(self, xp: Any, states: Any, training: Any = False) -> tuple:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        U = self.recurrent_kernel
        rm = self._rec_mask(training)
        hz, hr, hh_in = (h, h, h) if not isinstance(rm, (list, tuple)) else [ops.multiply(h, m) for m in rm]
        if rm is not None and not isinstance(rm, (list, tuple)):
            hz = hr = hh_in = ops.multiply(h, rm)
        xz, xr, xh = ops.split(xp, 3, axis=-1)
        Uz, Ur, Uh = ops.split(U, 3, axis=1)
        ra, act = self.recurrent_activation, self.activation
        if self.reset_after:
            if isinstance(rm, (list, tuple)):
                inner = ops.concatenate([ops.matmul(hz, Uz), ops.matmul(hr, Ur), ops.matmul(hh_in, Uh)], axis=-1)
            else:
                inner = ops.matmul(hz, U)
            if self.use_bias:
                inner = ops.add(inner, ops.get_item(self.bias, 1))
            iz, ir, ih = ops.split(inner, 3, axis=-1)
            z = ra(ops.add(xz, iz))
            r = ra(ops.add(xr, ir))
            hh = act(ops.add(xh, ops.multiply(r, ih)))
        else:
            if isinstance(rm, (list, tuple)):
                iz, ir = ops.matmul(hz, Uz), ops.matmul(hr, Ur)
            else:
                iz, ir = ops.split(ops.matmul(hz, ops.concatenate([Uz, Ur], axis=1)), 2, axis=-1)
            z = ra(ops.add(xz, iz))
            r = ra(ops.add(xr, ir))
            hh = act(ops.add(xh, ops.matmul(ops.multiply(r, hh_in), Uh)))
        h = ops.add(ops.multiply(z, h), ops.multiply(ops.subtract(1.0, z), hh))
        return h, ([h] if nested else h)

    def get_config(self) -> dict:
        return self._cell_config(
            {"recurrent_activation": activations.serialize(self.recurrent_activation), "reset_after": self.reset_after}
        )


class GRU(BuiltinRNN):
    """Gated recurrent unit layer (``keras.layers.GRU``); weights live in ``self.cell``.

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
        reset_after: If ``True`` (default), apply the reset gate after the recurrent matrix product (the
            cuDNN-compatible form, with a ``(2, 3 * units)`` bias); ``False`` applies it before.
        use_cudnn: ``"auto"`` (default), ``True`` or ``False``. kshim has no cuDNN switch: unless ``False``, it runs
            the backend's fused LSTM/GRU kernel when the configuration allows it (the results are the same).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``units`` is not a positive int, or ``use_cudnn`` is not ``"auto"``/``True``/``False``;
            when built with ``stateful=True``, for an unknown batch size.
    """

    cell_class = GRUCell
    cell_name = "gru_cell"

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
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
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        reset_after: bool = True,
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
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            reset_after=reset_after,
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
