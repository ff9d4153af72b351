"""``RNN``: the generic recurrent wrapper over a cell, built on ``ops.scan`` (or a Python loop
when ``unroll=True``), plus ``DropoutRNNCell`` (dropout masks fixed across time steps).

Semantics follow Keras 3 (its JAX backend is the oracle):

* the loop runs time-major; ``go_backwards`` processes the sequence last-to-first and returns
  the outputs in processing order (i.e. reversed), as Keras does;
* with a mask, a masked step keeps the previous states; its output is the previous output
  (``states[0]`` of the previous step on the scan path, the previous step's output -- zeros
  before the first one -- when unrolled), or zeros when ``zero_output_for_mask``;
* built-in cells (``SimpleRNNCell``/``LSTMCell``/``GRUCell``) expose ``_project`` (the input
  half of the step, applied to the whole sequence in one matmul before the loop where the backend
  says that is faster -- ``rnn_hoist_input_projection()``; inside each step otherwise) and
  ``_recurrent`` (the per-step half); custom cells are called step by step through ``__call__``.
"""

from __future__ import annotations

from typing import Any

import optree

from ... import ops
from ... import random as _random
from ...backend import current
from ...variables import Variable
from ..layer import Layer


def _leaves(x: Any) -> list:
    return optree.tree_leaves(x, none_is_leaf=False, namespace="kshim")


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _map(fn: Any, *trees: Any) -> Any:
    """Map over (nested lists/tuples of) tensors, keeping list structure."""
    if _is_nested(trees[0]):
        return [_map(fn, *xs) for xs in zip(*trees)]
    return fn(*trees)


def _expand_to(m: Any, x: Any) -> Any:
    """Reshape a (B, 1) mask to broadcast against ``x`` of any rank."""
    r = len(ops.shape(x))
    return m if r == 2 else ops.reshape(m, (ops.shape(m)[0],) + (1,) * (r - 1))


def _where_keep(m: Any, new: Any, old: Any) -> Any:
    return _map(lambda n, o: ops.where(_expand_to(m, n), n, o), new, old)


def _prev_output(states: Any) -> Any:
    first = states[0]
    if _is_nested(first):  # stacked cells: the last cell's first state
        return _leaves(states[-1])[0]
    return first


def rnn_loop(
    step: Any,
    xs: Any,
    states: list,
    mask: Any = None,
    unroll: bool = False,
    zero_output_for_mask: bool = False,
    return_all_outputs: bool = True,
) -> tuple:
    """Run ``step(x_t, states) -> (output_t, new_states)`` over time-major ``xs`` (T, B, ...).

    ``mask``: time-major bool (T, B, 1) or None. Returns ``(last_output, outputs (T, B, ...),
    final_states)``; ``outputs`` is None when not ``return_all_outputs``.
    """

    def masked(x, m, st, prev):
        out, new = step(x, st)
        if m is None:
            return out, new
        if zero_output_for_mask or (unroll and prev is None):
            prev = ops.zeros_like(out)
        elif prev is None:
            prev = _prev_output(st)
        return ops.where(_expand_to(m, out), out, prev), _where_keep(m, new, st)

    if unroll:
        outs, prev = [], None
        for t in range(ops.shape(xs)[0]):
            out, states = masked(_at(xs, t), None if mask is None else _at(mask, t), states, prev)
            prev = out
            if return_all_outputs:
                outs.append(out)
        return prev, (ops.stack(outs, axis=0) if return_all_outputs else None), states

    def body(carry, inp):
        x, m = (inp, None) if mask is None else inp
        out, new = masked(x, m, carry, None)
        return new, out

    states, outputs = ops.scan(body, states, xs if mask is None else (xs, mask))
    return _at(outputs, -1), outputs, states


def _at(x: Any, i: int) -> Any:
    return ops.get_item(x, i)


class DropoutRNNCell:
    """Mixin for cells with ``dropout``/``recurrent_dropout``: masks are drawn once (per RNN call
    or until ``reset_dropout_mask``) and reused at every step; ``dropout_mask_count`` > 1 gives one
    mask per gate (Keras' implementation 1, used when ``recurrent_dropout`` > 0)."""

    dropout_mask_count: int | None = None
    # provided by the cell the mixin is part of
    dropout: float
    recurrent_dropout: float
    seed_generator: Any

    def _create_dropout_mask(self, step_input: Any, rate: float) -> Any:
        ones = ops.ones_like(step_input)

        def one():
            if rate >= 1.0:
                return ops.zeros_like(ones)
            return _random.dropout(ones, rate, seed=self.seed_generator)

        if self.dropout_mask_count is None:
            return one()
        return [one() for _ in range(self.dropout_mask_count)]

    def get_dropout_mask(self, step_input: Any) -> Any:
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input: Any) -> Any:
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None


def _rnn_classes() -> dict:
    import kshim.layers.rnn as pkg

    return {n: getattr(pkg, n) for n in pkg.__all__}


def _deserialize(cfg: Any, custom_objects: dict | None = None) -> Any:
    from ..._serialization import deserialize_keras_object

    objs = dict(_rnn_classes())
    objs.update(custom_objects or {})
    return deserialize_keras_object(cfg, custom_objects=objs)


class RNN(Layer):
    """Runs ``cell`` over the time axis of (batch, time, ...) inputs (``keras.layers.RNN``).

    Called as ``layer(sequences, initial_state=None, mask=None, training=None)``; the output is the
    last step's output (or every step's with ``return_sequences``), plus the final states with
    ``return_state``.

    Args:
        cell: The cell: an object with ``call(inputs, states)`` and ``state_size`` (e.g. an ``LSTMCell``), or a list
            of cells, run as ``StackedRNNCells``.
        return_sequences: If ``True``, return the output of every step, ``(batch, time, ...)``; else only the last
            step's (default ``False``).
        return_state: If ``True``, return ``[output, *final_states]`` instead of ``output`` (default ``False``).
        go_backwards: If ``True``, process the sequence from its last step to its first (default ``False``).
        stateful: If ``True``, each batch's final states are the next batch's initial states (needs a fixed batch
            size; ``reset_state()`` clears them; default ``False``).
        unroll: If ``True``, unroll the loop over time instead of running a loop op (needs a known number of steps;
            default ``False``).
        zero_output_for_mask: If ``True``, masked steps output zeros in the returned sequences; else they repeat the
            previous step's output (default ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``cell`` has no ``call`` method or no valid ``state_size``; when built with
            ``stateful=True``, for an unknown batch size; with ``unroll=True``, for an unknown number of
            steps.
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ):
        if isinstance(cell, (list, tuple)):
            from .stacked_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError(
                "The RNN cell should have a `state_size` attribute (single integer or list of "
                f"integers, one integer per RNN state). Received: cell={cell}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self._states: list | None = None
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one for each state tensor).")
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)

    # ---- states -----------------------------------------------------------------------------
    @property
    def states(self) -> list | None:
        """The state Variables of a stateful layer (not part of ``weights``, as in Keras)."""
        return self._states

    def get_initial_state(self, batch_size: int) -> list:
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return [ops.zeros((batch_size, d), dtype=self.cell.compute_dtype) for d in self.state_size]
        init = fn(batch_size=batch_size)
        return list(init) if _is_nested(init) else [init]

    def reset_states(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        if self._states is not None:
            for v in _leaves(self._states):
                v.assign(ops.zeros_like(v.value))

    # ---- build / call -----------------------------------------------------------------------
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._check_backend()
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. Found "
                    f"dynamic batch size: sequence.shape={tuple(sequences_shape)}"
                )
            if self._states is None:
                self._states = _map(
                    lambda z: Variable(
                        ops.convert_to_numpy(z), dtype=self.variable_dtype, trainable=False, name="rnn_state"
                    ),
                    self.get_initial_state(sequences_shape[0]),
                )
            else:
                self.reset_state()
        self.built = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if _is_nested(mask):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None for _ in self.state_size]
        return out

    def _state_dtype(self) -> str:
        from .stacked_cells import StackedRNNCells

        cell = self.cell.cells[-1] if isinstance(self.cell, StackedRNNCells) else self.cell
        return getattr(cell, "compute_dtype", self.compute_dtype)

    def _cell_kwargs(self, training: Any) -> dict:
        if isinstance(self.cell, Layer) and self.cell._call_has_training:
            return {"training": training}
        return {}

    def _config_dropout(self, cell: Any, step_input: Any, states: Any, training: Any) -> None:
        from .stacked_cells import StackedRNNCells

        if isinstance(cell, DropoutRNNCell) and training:
            cell.get_dropout_mask(step_input)
            cell.get_recurrent_dropout_mask(states[0] if _is_nested(states) else states)
        if isinstance(cell, StackedRNNCells):
            for c, s in zip(cell.cells, states):
                self._config_dropout(c, step_input, s, training)
                if _is_nested(s):
                    s = list(s)
                kw = {"training": training} if isinstance(c, Layer) and c._call_has_training else {}
                step_input, _ = c(step_input, s if _is_nested(s) else [s], **kw)

    def _reset_dropout(self, cell: Any) -> None:
        from .stacked_cells import StackedRNNCells

        if isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        if isinstance(cell, StackedRNNCells):
            for c in cell.cells:
                self._reset_dropout(c)

    def inner_loop(self, sequences: Any, initial_state: list, mask: Any, training: Any = False) -> tuple:
        """Time-major loop; returns ``(last_output, outputs (B, T, ...) or None, states)``."""
        rank = len(ops.shape(sequences))
        perm = (1, 0) + tuple(range(2, rank))
        xs = ops.transpose(sequences, perm)
        if mask is not None:
            m = ops.cast(mask, "bool")
            m = ops.expand_dims(ops.transpose(m, (1, 0)), -1)
        else:
            m = None
        if self.go_backwards:
            xs = ops.flip(xs, 0)
            m = None if m is None else ops.flip(m, 0)
        cell = self.cell
        if hasattr(cell, "_project") and getattr(cell, "_fast_path", True):
            hoist = current().rnn_hoist_input_projection()
            if hoist:
                xs = cell._project(xs, training)

            def step(x, st):
                return cell._recurrent(x if hoist else cell._project(x, training), st, training)
        else:
            kw = self._cell_kwargs(training)

            def step(x, st):
                out, new = cell(x, st, **kw)
                return out, (list(new) if _is_nested(new) else [new])

        last, outputs, states = rnn_loop(
            step,
            xs,
            initial_state,
            m,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )
        if outputs is not None:
            outputs = ops.transpose(outputs, perm[: len(ops.shape(outputs))])
        return last, outputs, states

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False) -> Any:
        if self.unroll and ops.shape(sequences)[1] is None:
            raise ValueError("Cannot unroll a RNN if the time dimension is undefined.")
        if _is_nested(mask):
            mask = mask[0]
        if initial_state is None:
            if self.stateful:
                initial_state = _map(lambda v: v.value, self._states)
            else:
                initial_state = self.get_initial_state(ops.shape(sequences)[0])
        if self.stateful:
            exp = ops.shape(_leaves(self._states)[0])[0]
            if ops.shape(sequences)[0] != exp:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the same "
                    f"as the batch size of the initial state.\n- Expected batch size: {exp}\n"
                    f"- Received batch size: {ops.shape(sequences)[0]}"
                )
        if not _is_nested(initial_state):
            initial_state = [initial_state]
        sd = self._state_dtype()
        initial_state = _map(lambda x: ops.convert_to_tensor(x, dtype=sd), list(initial_state))
        self._config_dropout(self.cell, ops.get_item(sequences, (slice(None), 0)), initial_state, training)
        try:
            last, outputs, states = self.inner_loop(sequences, initial_state, mask, training)
        finally:
            self._reset_dropout(self.cell)
        cd = self.compute_dtype
        last = ops.cast(last, cd)
        states = _map(lambda s: ops.cast(s, cd), list(states))
        if self.stateful:
            for var, s in zip(_leaves(self._states), _leaves(states)):
                var.assign(s)
        output = ops.cast(outputs, cd) if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    # ---- config -----------------------------------------------------------------------------
    def _base_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
            }
        )
        return cfg

    def get_config(self) -> dict:
        from ..._serialization import serialize_keras_object

        cfg = self._base_config()
        cfg["cell"] = serialize_keras_object(self.cell)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "RNN":
        cfg = dict(config)
        cell = _deserialize(cfg.pop("cell"), custom_objects)
        if isinstance(cfg.get("dtype"), dict):
            from .. import dtype_policy as _policy

            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(cell, **cfg)
