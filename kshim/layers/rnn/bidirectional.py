"""``Bidirectional``: runs a recurrent layer forwards and a copy backwards, then merges."""

from __future__ import annotations

import copy
from typing import Any

from ... import ops
from ..layer import Layer
from . import fused

_MODES = ("sum", "mul", "ave", "concat", None)


def _removeprefix(s: str, p: str) -> str:
    return s[len(p) :] if s.startswith(p) else s


class Bidirectional(Layer):
    """``keras.layers.Bidirectional``: ``forward_layer`` and ``backward_layer`` are rebuilt from the
    given layer's config (names ``forward_<name>`` / ``backward_<name>``); weights are the forward
    layer's then the backward layer's. The backward outputs are flipped back into input order when
    returning sequences.

    Args:
        layer: The recurrent layer to wrap (an ``RNN``, ``LSTM``, ``GRU``, ...); it is copied, not used itself.
        merge_mode: How the forward and backward outputs are combined: ``"concat"`` (default), ``"sum"``, ``"mul"``,
            ``"ave"`` (mean), or ``None`` (return both, as a tuple ``(forward, backward)``).
        weights: Optional list of initial weights (forward then backward), set when the layer is built.
        backward_layer: Optional layer to use for the backward direction (its ``go_backwards`` must differ from
            ``layer``'s, and ``stateful``/``return_sequences``/``return_state`` must match); ``None`` (default)
            derives it from ``layer`` with ``go_backwards=True``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``layer`` or ``backward_layer`` is not a layer, ``merge_mode`` is unknown, or the two
            directions' settings do not fit as described above.
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ):
        from ..._serialization import serialize_keras_object
        from .rnn import _deserialize

        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. Received: {layer}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. Received: {backward_layer}")
        if merge_mode not in _MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        cfg = serialize_keras_object(layer)
        cfg["config"]["name"] = f"forward_{_removeprefix(layer.name, 'forward_')}"
        self.forward_layer = _deserialize(cfg)
        if backward_layer is None:
            cfg = serialize_keras_object(layer)
            cfg["config"]["go_backwards"] = True
            cfg["config"]["name"] = f"backward_{_removeprefix(layer.name, 'backward_')}"
            self.backward_layer = _deserialize(cfg)
        else:
            self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        rnn: Any = layer  # an RNN, or a Layer with the RNN attributes (as Keras requires)
        self.stateful = rnn.stateful
        self.return_sequences = rnn.return_sequences
        self.return_state = rnn.return_state
        self.supports_masking = True

    def _verify_layer_config(self) -> None:
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards {f.go_backwards}, "
                f"backward_layer.go_backwards={b.go_backwards}"
            )
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(f, a) != getattr(b, a):
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{a}", got "{getattr(f, a)}" for forward layer and '
                    f'"{getattr(b, a)}" for backward layer'
                )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._check_backend()
                sub.build(sequences_shape)
                sub._build_input_shape = sequences_shape
                sub.built = True
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False) -> Any:
        kw: dict = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        fstate: list | None
        bstate: list | None
        if initial_state is not None:
            half = len(initial_state) // 2
            fstate, bstate = list(initial_state[:half]), list(initial_state[half:])
        else:
            fstate = bstate = None
        with fused.paired(self.forward_layer, self.backward_layer, sequences, fstate, bstate, mask, training) as (
            fstate,
            bstate,
        ):
            y = self.forward_layer(sequences, initial_state=fstate, **kw)
            y_rev = self.backward_layer(sequences, initial_state=bstate, **kw)
        states: tuple = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y = ops.cast(y, self.compute_dtype)
        y_rev = ops.cast(y_rev, self.compute_dtype)
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            out = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = ops.add(y, y_rev)
        elif self.merge_mode == "ave":
            out = ops.divide(ops.add(y, y_rev), 2)
        elif self.merge_mode == "mul":
            out = ops.multiply(y, y_rev)
        else:
            out = (y, y_rev)
        if self.return_state:
            return (out + states) if self.merge_mode is None else (out,) + states
        return out

    def reset_states(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    @property
    def states(self) -> tuple | None:
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out_mask = (mask, mask) if not self.merge_mode else mask
        else:
            out_mask = (None, None) if not self.merge_mode else None
        if self.return_state:
            n = len(self.forward_layer.state_size) * 2
            head = list(out_mask) if isinstance(out_mask, tuple) else [out_mask]
            return head + [None] * n
        return out_mask

    def get_config(self) -> dict:
        from ..._serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["merge_mode"] = self.merge_mode
        cfg["layer"] = serialize_keras_object(self.forward_layer)
        cfg["backward_layer"] = serialize_keras_object(self.backward_layer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Bidirectional":
        from .rnn import _deserialize

        cfg = copy.deepcopy(config)
        cfg["layer"] = _deserialize(cfg["layer"], custom_objects)
        b = cfg.pop("backward_layer", None)
        if b is not None:
            cfg["backward_layer"] = _deserialize(b, custom_objects)
        if isinstance(cfg.get("dtype"), dict):
            from .. import dtype_policy as _policy

            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(**cfg)
