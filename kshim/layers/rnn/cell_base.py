"""Shared pieces of the built-in cells (SimpleRNNCell, LSTMCell, GRUCell) and their layers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ... import activations, constraints, initializers, ops, regularizers
from ... import random as _random
from ..._validation import positive_int
from ..layer import Layer
from .rnn import RNN, DropoutRNNCell

if TYPE_CHECKING:
    _CellLayerBase = RNN  # the mixin is only ever mixed into RNN subclasses (BuiltinRNN)
else:
    _CellLayerBase = object


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


class BaseCell(Layer, DropoutRNNCell):
    """Weights ``kernel`` (in, g·u), ``recurrent_kernel`` (u, g·u) and ``bias``; ``call`` is
    ``_recurrent(_project(inputs))`` so the RNN layer can hoist ``_project`` out of the loop."""

    _recurrent: Callable[..., tuple]  # each cell defines it: (projected inputs, states, training) -> (out, states)

    n_gates = 1

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        units = positive_int(units, "units", type(self).__name__)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        if self.n_gates > 1:
            if self.recurrent_dropout != 0.0:
                self.implementation = 1
            if self.implementation == 1:
                self.dropout_mask_count = self.n_gates
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.state_size: int | list[int] = units
        self.output_size = units

    def _add_kernels(self, input_shape: Any, bias_shape: tuple | None, bias_init: Any) -> None:
        g, u = self.n_gates, self.units
        self.kernel = self.add_weight(
            (input_shape[-1], g * u),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            (u, g * u),
            self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = (
            self.add_weight(
                bias_shape, bias_init, name="bias", regularizer=self.bias_regularizer, constraint=self.bias_constraint
            )
            if self.use_bias
            else None
        )
        self.built = True

    # ---- dropout helpers --------------------------------------------------------------------
    def _active(self, rate: float, training: Any) -> bool:
        return bool(training) and 0.0 < rate < 1.0

    def _input_mask(self, training: Any) -> Any:
        return getattr(self, "_dropout_mask", None) if self._active(self.dropout, training) else None

    def _rec_mask(self, training: Any) -> Any:
        return (
            getattr(self, "_recurrent_dropout_mask", None) if self._active(self.recurrent_dropout, training) else None
        )

    def _masked_matmul(self, x: Any, mask: Any, w: Any) -> Any:
        """``x @ w`` with dropout: one mask, or one mask per gate block of ``w`` (implementation 1)."""
        if mask is None:
            return ops.matmul(x, w)
        if not isinstance(mask, (list, tuple)):
            return ops.matmul(ops.multiply(x, mask), w)
        blocks = ops.split(w, len(mask), axis=1)
        return ops.concatenate([ops.matmul(ops.multiply(x, m), b) for m, b in zip(mask, blocks)], axis=-1)

    def _project(self, x: Any, training: Any = False) -> Any:
        """Input half of the step for (..., B, in) inputs: ``dropout(x) @ kernel (+ input bias)``."""
        z = self._masked_matmul(x, self._input_mask(training), self.kernel)
        b = self._input_bias()
        return z if b is None else ops.add(z, b)

    def _input_bias(self) -> Any:
        return self.bias if self.use_bias else None

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        if self._active(self.dropout, training):
            self.get_dropout_mask(inputs)
        if self._active(self.recurrent_dropout, training):
            self.get_recurrent_dropout_mask(states[0] if isinstance(states, (list, tuple)) else states)
        return self._recurrent(self._project(inputs, training), states, training)

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def _cell_config(self, extra: dict) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
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
        cfg.update(extra)
        return cfg


CELL_ARGS = (
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
    "reset_after",
    "seed",
)


class CellLayerConfig(_CellLayerBase):
    """Shared by RNN layers that own their cell (LSTM, GRU, SimpleRNN, ConvLSTM*): the layer's config is
    its RNN config plus the cell's arguments, and it is rebuilt by calling the class with them."""

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False) -> Any:
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self) -> dict:
        c = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            c.pop(k, None)
        cfg = self._base_config()
        cfg.update(c)
        cfg["activity_regularizer"] = _ser(regularizers, self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Any:
        cfg = dict(config)
        if isinstance(cfg.get("dtype"), dict):
            from .. import dtype_policy as _policy

            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(**cfg)


class BuiltinRNN(CellLayerConfig, RNN):
    """RNN layer owning a built-in cell: constructor arguments go to the cell, config is flat."""

    cell_class: Any = None
    cell_name = ""

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        activity_regularizer: Any = None,
        use_cudnn: Any = "auto",
        cell_kwargs: dict | None = None,
        **kwargs: Any,
    ):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Invalid valid received for argument `use_cudnn`. Expected one of "
                f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}"
            )
        cell = self.cell_class(
            units,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=self.cell_name,
            implementation=kwargs.pop("implementation", 2),
            **(cell_kwargs or {}),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_cudnn = use_cudnn

    def inner_loop(self, sequences: Any, initial_state: list, mask: Any, training: Any = False) -> tuple:
        """The backend's fused kernel where the configuration matches it exactly (``fused.py``), else
        the cell over ``scan``."""
        from .fused import run_fused

        res = run_fused(self, sequences, initial_state, mask, training)
        if res is not None:
            return res
        return super().inner_loop(sequences, initial_state, mask, training)

    def __getattr__(self, name: str) -> Any:
        if name in CELL_ARGS or name == "units":
            cell = self.__dict__.get("cell")
            if cell is not None and hasattr(cell, name):
                return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
