"""``Layer``: weights, build/call, training flag propagation, symbolic calls, stateless calls."""

from __future__ import annotations

import contextvars
import inspect
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import optree

from .. import backend as _backend
from .. import dtypes as _dt
from .._scope import AutocastScope, StatelessScope, current_scope, zero_init
from .._symbolic import KerasTensor, any_symbolic
from .._foreign import reject_real_keras
from .._validation import check_num_elements, check_shape
from ..backends._native_module import become_native_module
from ..variables import StableVariable, Variable
from . import dtype_policy as _policy
from .._naming import to_snake_case, uniquify

if TYPE_CHECKING:
    from typing_extensions import Self

_CALL_CTX: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kshim_call_ctx", default=None)


def _tree_leaves(x: Any) -> list:
    return optree.tree_leaves(x, none_is_leaf=False, namespace="kshim")


class Layer:
    """Base class of all layers (``keras.layers.Layer``).

    Subclasses create weights in ``build(input_shape)`` with ``add_weight`` and compute in
    ``call(inputs, ...)``; ``call`` may take ``training`` and ``mask`` keyword arguments, which
    are filled in from the enclosing call when not given.

    On the torch backend a layer (and so every model) is also a ``torch.nn.Module``, as in Keras 3 on
    torch: ``parameters()`` are its trainable variables, ``state_dict``/``load_state_dict``,
    ``train()``/``eval()`` and ``.to()`` work on them (``backends/torch/module.py``, docs/interop.md).
    Deliberate difference: the module form is chosen when the layer is created, by making its class a
    torch subclass of the user's class with the same name, so ``type(layer) is MyLayer`` is False there
    (``isinstance`` holds); under numpy and jax layers are plain objects.

    Args:
        activity_regularizer: Regularizer (name, callable or instance) applied to the layer's output;
            its value is added to ``layer.losses`` (default ``None``).
        trainable: Whether the layer's weights are updated by training (default ``True``).
        dtype: The dtype policy: a name (``"float32"``, ``"mixed_float16"``, ...), a ``DTypePolicy``,
            or ``None`` (default) for the global policy.
        autocast: Whether float inputs are cast to the compute dtype (default ``True``).
        name: The layer name; ``None`` (default) derives a unique snake_case name from the class.
        **kwargs: ``input_shape`` / ``input_dim`` and ``batch_size`` (the shape of an implied input,
            used by ``Sequential``); ``input_length`` (accepted and ignored); ``quantization_config``
            (must be ``None``).

    Raises:
        ValueError: For a ``quantization_config`` (kshim has no quantized layers) or an unknown
            keyword argument (the latter is a ``kshim`` ``ArgumentError``, also a ``TypeError``).
    """

    _serializes_build_config = True  # get_build_config() goes into the saved config (kshim._serialization)

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_length", None)
        if kwargs.pop("quantization_config", None) is not None:
            raise ValueError(
                f"{type(self).__name__}: quantized layers are not supported by kshim "
                f"(quantization_config must be None)."
            )
        if kwargs:
            from .._errors import ArgumentError  # ValueError as in Keras, and TypeError as before

            raise ArgumentError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}.")
        # Under the torch backend the layer also becomes a torch.nn.Module (backends/torch/module.py).
        become_native_module(self, _backend.current().layer_module_base)
        object.__setattr__(self, "_tracking", True)
        self._trainable_variables: list[Variable] = []
        self._non_trainable_variables: list[Variable] = []
        self._seed_generators: list[Any] = []
        self._layers: list[Layer] = []
        self._losses: list[Any] = []
        self._regularizers: list[tuple[Variable, Any]] = []
        self._constraints: dict[int, Any] = {}
        self._inbound_nodes: list[Any] = []
        self.built = False
        self._trainable = bool(trainable)
        self.name = name or uniquify(to_snake_case(type(self).__name__))
        self.dtype_policy = _policy.get(dtype)
        self.autocast = autocast
        from .. import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._backend = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._batch_input_shape = None if input_shape is None else (batch_size,) + tuple(input_shape)
        sig = inspect.signature(self.call).parameters
        self._call_has_training = "training" in sig
        # Keras: with no explicit `training` and no outer call, the call signature's default applies
        # (augmentation layers default to True, so calling one directly augments).
        default = sig["training"].default if self._call_has_training else False
        self._call_training_default = default if isinstance(default, bool) else False
        self._call_has_mask = "mask" in sig
        self.supports_masking = getattr(self, "supports_masking", False)

    # ---- attribute tracking ---------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_tracking", False) and not name.startswith("_"):
            reject_real_keras(value, self, name)
            if _is_torch_module(value) and _backend.current().name == "torch":
                # As Keras on torch: a plain torch.nn.Module attribute becomes a TorchModuleWrapper,
                # so its parameters are variables that fit, saving and stateless calls see.
                from .torch_module_wrapper import TorchModuleWrapper

                value = TorchModuleWrapper(value)
            self._track(value)
            if _holds_layers(value):
                self.__dict__.setdefault("_tracked_attrs", {})[name] = True
            elif name in self.__dict__.get("_tracked_attrs", {}):
                del self.__dict__["_tracked_attrs"][name]
        object.__setattr__(self, name, value)

    def _track(self, value: Any) -> None:
        from ..random import SeedGenerator

        if isinstance(value, Layer):
            if value is not self and not any(value is l for l in self._layers):
                self._layers.append(value)
        elif isinstance(value, SeedGenerator):
            if not any(value is s for s in self._seed_generators):
                self._seed_generators.append(value)
        elif getattr(type(value), "_is_metric", False):  # a Metric (class flag: metrics sit above layers)
            tracked = self.__dict__.setdefault("_metrics", [])
            if not any(value is m for m in tracked):
                tracked.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, (Layer, SeedGenerator)):
                    self._track(v)
        elif isinstance(value, dict):
            for v in value.values():
                if isinstance(v, (Layer, SeedGenerator)):
                    self._track(v)

    # ---- properties -------------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self.dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype_policy.variable_dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for v in self._trainable_variables + self._non_trainable_variables:
            if isinstance(v, StableVariable):  # a torch Parameter: requires_grad follows trainable
                v._sync_grad(v.trainable and self._trainable)
        for layer in self._layers:
            layer.trainable = value

    @property
    def layers(self) -> list["Layer"]:
        return list(self._layers)

    def _flatten_layers(self, include_self: bool = True) -> list["Layer"]:
        out, seen, stack = [], set(), [self] if include_self else list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._layers))
        return out

    @property
    def weights(self) -> list[Variable]:
        """Own trainable then non-trainable weights, then those of sub-layers (deduplicated)."""
        out, seen = [], set()
        for layer in self._flatten_layers():
            for v in layer._trainable_variables + layer._non_trainable_variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [v for v, owner in self._weights_with_owner() if v.trainable and owner.trainable]

    def _weights_with_owner(self) -> list[tuple[Variable, "Layer"]]:
        out, seen = [], set()
        for layer in self._flatten_layers():
            for v in layer._trainable_variables + layer._non_trainable_variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append((v, layer))
        return out

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [v for v, owner in self._weights_with_owner() if not (v.trainable and owner.trainable)]

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """Non-trainable weights plus seed-generator states (everything stateful but not trained)."""
        return self.non_trainable_weights + self._seed_states()

    @property
    def variables(self) -> list[Variable]:
        return self.weights + self._seed_states()

    def _seed_states(self) -> list[Variable]:
        out: list[Variable] = []
        for layer in self._flatten_layers():
            out.extend(s.state for s in layer._seed_generators)
        return out

    def get_weights(self) -> list[np.ndarray]:
        """Weight values as NumPy arrays, in Keras' order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: list) -> None:
        """Set weights from a list of arrays (same count, order and shapes as ``get_weights``)."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"Layer {self.name!r} expects {len(params)} weight arrays "
                f"({[tuple(p.shape) for p in params]}), but received {len(weights)}."
            )
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(
                    f"Layer {self.name!r}: weight {p.path!r} has shape {tuple(p.shape)}, "
                    f"but the provided array has shape {tuple(w.shape)}."
                )
        for p, w in zip(params, weights):
            p.assign(np.asarray(w))

    def count_params(self) -> int:
        """Number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built yet; call it on data or call build() first.")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # ---- weights ------------------------------------------------------------------------------
    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        name: str | None = None,
    ) -> Variable:
        """Create a weight Variable owned by this layer (under the active backend)."""
        from .. import constraints, initializers, regularizers

        shape = (
            ()
            if shape is None
            else check_shape(shape, f"shape of weight {name or 'variable'!r}", self, allow_none=False)
        )
        dtype = _dt.standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if _dt.is_float(dtype) else "zeros"
        init = initializers.get("zeros" if zero_init() else initializer)
        self._check_backend()
        try:
            var = Variable(
                init,
                shape=shape,
                dtype=dtype,
                trainable=trainable,
                autocast=autocast,
                aggregation=aggregation,
                name=name or "variable",
            )
        except MemoryError as e:
            n = int(np.prod(shape, dtype=np.int64))
            raise MemoryError(
                f"Layer {self.name!r} ({type(self).__name__}): not enough memory to create weight "
                f"{name or 'variable'!r} of shape {shape} ({n} elements of {dtype}, "
                f"{n * np.dtype(_np_dtype(dtype)).itemsize / 2**30:.1f} GiB). Use smaller "
                f"layer sizes."
            ) from e
        var.path = f"{self.name}/{var.name}"
        (self._trainable_variables if trainable else self._non_trainable_variables).append(var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularizers.append((var, reg))
        con = constraints.get(constraint)
        if con is not None:
            self._constraints[id(var)] = con
            var.constraint = con
        return var

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Variable:
        """``add_weight`` with Keras' positional order for ``add_variable``."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
            **kwargs,
        )

    # Data layers (preprocessing/augmentation) hold no weights and keep one seed generator per
    # backend, so they (and containers of only such layers) may run under any backend.
    _backend_free = False

    def _runs_under_any_backend(self) -> bool:
        if self.weights:
            return False
        return all(l._backend_free or not l._seed_generators for l in self._flatten_layers())

    def _check_backend(self) -> None:
        b = _backend.current()
        if self._backend is None:
            self._backend = b
        elif self._backend is not b and not self._runs_under_any_backend():
            raise TypeError(
                f"Layer {self.name!r} holds variables of the {self._backend.name!r} backend but is being "
                f"used under {b.name!r}. Build a new model under each backend and copy weights with "
                f"get_weights()/set_weights()."
            )

    # ---- losses -----------------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss term (collected by the trainer)."""
        scope = current_scope()
        if scope is not None and scope.collect_losses:
            scope.losses.append(loss)
        else:
            self._losses.append(loss)

    @property
    def losses(self) -> list[Any]:
        """Losses added during the last call plus weight-regularization penalties."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
        out.extend(reg(var.value) for var, reg in self._weight_regularizers())
        return out

    def _weight_regularizers(self) -> list[tuple[Variable, Any]]:
        """``(variable, regularizer)`` for this layer's *trainable* weights (sublayers included), as Keras:
        a frozen layer or a non-trainable variable (a LoRA-frozen kernel) adds no penalty."""
        trainable = {id(v) for v in self.trainable_weights}
        return [
            (var, reg) for layer in self._flatten_layers() for var, reg in layer._regularizers if id(var) in trainable
        ]

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses.clear()

    # ---- build / call -------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create weights; the default does nothing but mark the layer built (Keras' signature)."""
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"Layer {type(self).__name__} must implement call().")

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        self._check_backend()
        shapes = _shapes_of(args[0] if args else next(iter(kwargs.values())))
        self._build_input_shape = shapes
        build_sig = inspect.signature(self.build).parameters
        if len(build_sig) == 0:
            self.build()  # type: ignore[call-arg]  # a subclass's build() may take no shape
        else:
            self.build(shapes)
        self.built = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Layer):
            from .._errors import ArgumentError  # ValueError as in Keras

            raise ArgumentError(
                f"Layer {self.name!r} ({type(self).__name__}) was called on another layer, "
                f"{args[0].name!r} ({type(args[0]).__name__}). Call a layer on a tensor: "
                f"`y = layer(x)` with x = keras.Input(...) or an array."
            )
        if any_symbolic(args, kwargs):
            self._assert_input_compatibility(args, kwargs)
            from ..ops.node import symbolic_layer_call

            return symbolic_layer_call(self, args, kwargs)
        ctx = _CALL_CTX.get()
        outer = ctx is None
        if "training" in kwargs:
            training = kwargs["training"]
            if training is None:
                training = ctx["training"] if ctx is not None else self._call_training_default
        else:
            training = ctx["training"] if ctx is not None else self._call_training_default
        if self._call_has_training:
            kwargs["training"] = bool(training) if not hasattr(training, "shape") else training
        else:
            kwargs.pop("training", None)
        if not self._call_has_mask:
            kwargs.pop("mask", None)
        args = self._convert_inputs(args)
        self._assert_input_compatibility(args, kwargs)  # after the conversion of arrays, as Keras
        if not self.built:
            self._maybe_build(args, kwargs)
            self._assert_input_compatibility(args, kwargs)  # build may have set input_spec (Keras checks again)
        self._check_backend()
        if outer:
            self._clear_losses()
        token = _CALL_CTX.set({"training": training})
        policy = self.dtype_policy
        try:
            if policy.compute_dtype != policy.variable_dtype:
                with AutocastScope(policy.compute_dtype):
                    outputs = self.call(*args, **kwargs)
            else:
                outputs = self.call(*args, **kwargs)
        finally:
            _CALL_CTX.reset(token)
        if self.activity_regularizer is not None:
            from .. import ops

            for o in _tree_leaves(outputs):
                loss = self.activity_regularizer(o)
                if len(ops.shape(o)) > 0:  # Keras normalizes by the batch size
                    loss = ops.divide(loss, ops.cast(ops.shape(o)[0], ops.dtype(loss)))
                self.add_loss(loss)
        return outputs

    #: An ``InputSpec`` (or a structure of them) the first call argument is checked against.
    input_spec: Any = None

    def _assert_input_compatibility(self, args: tuple, kwargs: dict) -> None:
        spec = getattr(self, "input_spec", None)
        if spec:
            from .input_spec import assert_input_compatibility

            first = args[0] if args else next(iter(kwargs.values()), None)
            assert_input_compatibility(spec, first, self.name)

    def _convert_inputs(self, args: tuple) -> tuple:
        if not args:
            return args
        from .. import ops

        b = _backend.current()
        cd = self.compute_dtype

        def conv(x):
            if isinstance(x, np.ndarray) and x.dtype.kind in "USO":
                return x  # strings stay on the host (text layers; Input(dtype="string"))
            if isinstance(x, np.ndarray) or isinstance(x, (float, int)) and not isinstance(x, bool):
                x = ops.convert_to_tensor(x)
            if isinstance(x, Variable):
                x = x.value
            if self.autocast and b.is_tensor(x) and _dt.is_float(b.dtype(x)) and b.dtype(x) != cd:
                x = b.cast(x, cd)
            return x

        head: Any = args[0]  # any structure of tensors (optree's PyTree type cannot say so)
        first = (
            optree.tree_map(conv, cast(Any, head), none_is_leaf=False)
            if isinstance(head, (list, tuple, dict))
            else conv(head)
        )
        return (first,) + tuple(args[1:])

    # ---- stateless ----------------------------------------------------------------------------
    def stateless_call(
        self,
        trainable_variables: list,
        non_trainable_variables: list,
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Run ``__call__`` with the given variable values; returns ``(outputs, new_non_trainable)``
        (plus the list of added losses when ``return_losses``). Nothing is mutated."""
        return self._stateless_call(
            self.trainable_variables,
            self.non_trainable_variables,
            trainable_variables,
            non_trainable_variables,
            args,
            kwargs,
            return_losses,
        )

    def _stateless_call(
        self,
        tv: list,
        ntv: list,
        trainable_values: list,
        non_trainable_values: list,
        args: tuple,
        kwargs: dict,
        return_losses: bool,
    ) -> Any:
        if len(trainable_values) != len(tv) or len(non_trainable_values) != len(ntv):
            raise ValueError(
                f"stateless_call on {self.name!r}: expected {len(tv)} trainable and {len(ntv)} "
                f"non-trainable values, got {len(trainable_values)} and {len(non_trainable_values)}."
            )
        mapping = list(zip(tv, trainable_values)) + list(zip(ntv, non_trainable_values))
        with StatelessScope(mapping, collect_losses=True) as scope:
            outputs = self(*args, **kwargs)
            losses = list(scope.losses)
            if return_losses:
                losses.extend(reg(var.value) for var, reg in self._weight_regularizers())
        new_ntv = [scope.update_for(v, val) for v, val in zip(ntv, non_trainable_values)]
        if return_losses:
            return outputs, new_ntv, losses
        return outputs, new_ntv

    # ---- shapes -------------------------------------------------------------------------------
    #: Set by layers whose ``compute_output_shape`` is a closed-form formula (convolutions, pooling,
    #: Dense): a symbolic call then takes the shape from the formula, which validates the sizes
    #: arithmetically, instead of running ``call`` on probe arrays of the declared size.
    _output_shape_by_formula: bool = False

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Output KerasTensor(s) for KerasTensor inputs.

        Layers with ``_output_shape_by_formula`` use ``compute_output_shape``; the others (and
        those layers on non-float inputs, whose output dtype the formula does not know) run
        ``call`` on small probe arrays (unknown dims tried at two sizes; dims that differ stay
        ``None``), whose total size is capped before anything is allocated.
        """
        if (
            self._output_shape_by_formula
            and len(args) == 1
            and isinstance(args[0], KerasTensor)
            and not any_symbolic((), kwargs)
        ):
            shape = self.compute_output_shape(args[0].shape)
            check_num_elements(
                shape,
                "output shape",
                f"Layer {self.name!r} ({type(self).__name__})",
                fix="Use smaller strides, sizes or inputs.",
            )
            if self.autocast and _dt.is_float(args[0].dtype):
                return KerasTensor(shape, self.compute_dtype)
        from ..ops.node import probe_output_spec

        return probe_output_spec(self, args, kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        spec = self.compute_output_spec(_shape_to_spec(input_shape, self.compute_dtype))
        return optree.tree_map(lambda t: t.shape, spec, namespace="kshim")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Output mask; by default passes ``mask`` through when ``supports_masking``."""
        return mask if self.supports_masking else None

    # ---- config -------------------------------------------------------------------------------
    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": _policy.serialize(self.dtype_policy)}
        if self.activity_regularizer is not None:
            from .. import regularizers

            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> Self:
        cfg = dict(config)
        if isinstance(cfg.get("dtype"), dict):
            cfg["dtype"] = _policy.get(cfg["dtype"])
        return cls(**cfg)

    def get_build_config(self) -> dict | None:
        shp = getattr(self, "_build_input_shape", None)
        return None if shp is None else {"input_shape": shp}

    def build_from_config(self, config: dict) -> None:
        if config and "input_shape" in config and not self.built:
            self._maybe_build((_shape_to_spec(config["input_shape"], self.compute_dtype),), {})

    # ---- misc ---------------------------------------------------------------------------------
    @property
    def input(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a symbolic input.")
        return self._inbound_nodes[0].input_structure

    @property
    def output(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a symbolic input.")
        return self._inbound_nodes[0].outputs_structure

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _np_dtype(dtype: str) -> str:
    return "float16" if dtype == "bfloat16" else dtype


def _holds_layers(value: Any) -> bool:
    if isinstance(value, Layer):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Layer) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, Layer) for v in value.values())
    return False


def _shapes_of(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _shapes_of(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and not (x and isinstance(x[0], (int, type(None)))):
        return [_shapes_of(v) for v in x]
    if isinstance(x, KerasTensor):
        return tuple(x.shape)
    if isinstance(x, Variable):
        return tuple(x.shape)
    b = _backend.current()
    if b.is_tensor(x):
        return tuple(b.shape(x))
    return tuple(np.shape(x))


def _shape_to_spec(shape: Any, dtype: str) -> Any:
    if isinstance(shape, dict):
        return {k: _shape_to_spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_shape_to_spec(s, dtype) for s in shape]
    return KerasTensor(tuple(shape), dtype)


def _is_torch_module(value: Any) -> bool:
    """Whether ``value`` is a ``torch.nn.Module`` (checked by class, so torch is never imported here)."""
    return not isinstance(value, Layer) and any(
        c.__name__ == "Module" and c.__module__ == "torch.nn.modules.module" for c in type(value).__mro__
    )
