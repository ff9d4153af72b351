"""``JaxLayer``: a pure JAX function and its parameters inside a kshim model (JAX backend).

The parameters and state pytrees become kshim Variables (trainable and non-trainable), created in
JAX's pytree flattening order (dict keys sorted), as Keras 3 creates them; each call hands the
*current* variable values to ``call_fn``, so ``fit``, ``stateless_call`` and ``jax.jit`` over
``model.stateless_call`` all see the substituted values and differentiate through them.

``jax`` is imported inside the functions that need it, so importing kshim does not import JAX.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from ... import backend as _backend
from ... import dtypes as _dt
from ...variables import Variable
from ..layer import Layer
from ._util import deserialize_function, require_backend, serialize_function

_CALL_ARGS = {"params", "state", "rng", "inputs", "training"}
_INIT_ARGS = {"rng", "inputs", "training"}


class JaxLayer(Layer):
    """Keras layer wrapping a JAX model given as pure functions (``keras.layers.JaxLayer``).

    ``call_fn`` takes arguments with these exact names (``inputs`` required, the others optional, in
    any order): ``params`` (trainable pytree), ``state`` (non-trainable pytree; then ``call_fn``
    returns ``(outputs, new_state)``), ``rng`` (a raw ``uint32[2]`` JAX key, drawn from this layer's
    ``SeedGenerator`` when ``training`` is true, else ``None``), ``inputs`` and ``training``.
    ``init_fn(rng, inputs[, training])`` returns ``params`` (or ``(params, state)`` when
    ``call_fn`` takes ``state``) and runs at build time on ones of the input shape (unknown
    dimensions set to 1) unless ``params``/``state`` are given.

    Array leaves (and Python ``bool``/``int``/``float`` leaves) of ``params``/``state`` become
    Variables (float ones take the layer's dtype policy); other leaves are kept as configuration.
    ``layer.params`` and ``layer.state`` hold the pytrees of Variables.

    Deliberate differences from Keras: only the JAX backend is supported (Keras also runs the
    function through ``jax2tf`` on TensorFlow, which kshim does not use); the placeholder inputs
    given to ``init_fn`` have the layer's compute dtype (kshim runs JAX with x64 enabled, where
    ``jnp.ones`` would be float64); variables are named ``variable``, ``variable_1``, ... per layer
    (Keras numbers them process-wide).

    Args:
        call_fn: The model function (see above).
        init_fn: The initialization function, or ``None`` when ``params``/``state`` are given.
        params: Initial trainable parameters (a pytree), or ``None``.
        state: Initial non-trainable state (a pytree), or ``None``.
        seed: Seed of the generator for the ``rng`` argument of ``call_fn``.
        native_serialization_platforms: Kept in the config for Keras compatibility (Keras uses it
            only on TensorFlow).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``).

    Raises:
        ValueError: If the active backend is not JAX, if a function has an unsupported or missing
            argument, or if ``init_fn``, ``params`` and ``state`` are all ``None`` while ``call_fn``
            takes ``params`` or ``state``.
    """

    def __init__(
        self,
        call_fn: Callable,
        init_fn: Callable | None = None,
        params: Any = None,
        state: Any = None,
        seed: int | None = None,
        native_serialization_platforms: Any = None,
        **kwargs: Any,
    ):
        require_backend(type(self).__name__, "jax")
        super().__init__(**kwargs)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self._n_created = 0
        self.params = None
        self.state = None
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)
        # Not marked built even with params (as Keras): the first call still records the input
        # shape (build_config) and build() skips init_fn since the variables exist.
        self.call_fn_arguments = _validate_signature(call_fn, "call_fn", _CALL_ARGS, {"inputs"})
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if "rng" in self.call_fn_arguments:
            from ...random import SeedGenerator

            self.seed_generator: SeedGenerator | None = SeedGenerator(seed)
        else:
            self.seed_generator = None
        if init_fn is None and params is None and state is None and (self.call_fn_has_params or self.call_fn_has_state):
            raise ValueError(
                "`init_fn`, `params` and `state` cannot all be `None` when `call_fn` takes a "
                "`params` or a `state` argument."
            )
        if init_fn is not None:
            self.init_fn_arguments = _validate_signature(init_fn, "init_fn", _INIT_ARGS, {"inputs"})
        self.jax2tf_native_serialization_platforms = native_serialization_platforms

    # ---- variables ------------------------------------------------------------------------------
    def _create_variables(self, values: Any, trainable: bool) -> list:
        """Replace the array leaves of ``values`` by Variables; set ``self.params``/``self.state``.

        Returns:
            The flat list of the new Variables, in JAX's pytree order.
        """
        import jax

        def create(value: Any) -> Any:
            dtype: str | None
            if isinstance(value, (np.ndarray, np.generic, jax.Array)) or self._is_backend_tensor(value):
                shape, dtype = tuple(value.shape), _dt.standardize_dtype(str(value.dtype))
            elif isinstance(value, (bool, int, float)):  # Keras: bool, int32, the policy's float
                shape = ()
                dtype = "bool" if isinstance(value, bool) else "int32" if isinstance(value, int) else "float32"
            else:
                return value
            if _dt.is_float(dtype):
                dtype = None  # the layer's dtype policy, as Keras
            name = "variable" if self._n_created == 0 else f"variable_{self._n_created}"
            self._n_created += 1
            return self.add_weight(shape, initializer=_Constant(value), dtype=dtype, trainable=trainable, name=name)

        variables = jax.tree_util.tree_map(create, values)
        if trainable:
            self.params = variables
        else:
            self.state = variables
        return [v for v in jax.tree_util.tree_leaves(variables) if isinstance(v, Variable)]

    @staticmethod
    def _is_backend_tensor(value: Any) -> bool:
        return _backend.current().is_tensor(value)

    # ---- rng ------------------------------------------------------------------------------------
    def _get_init_seed(self) -> Any:
        """One ``uint32[2]`` key from kshim's global seed generator (``keras.utils.set_random_seed``
        makes it reproducible), as Keras draws init keys."""
        from ...random._draw import global_seed_generator

        return _as_jax_key(global_seed_generator().next())

    def _get_init_rng(self) -> Any:
        """The ``rng`` argument of ``init_fn`` (override for another structure)."""
        return self._get_init_seed()

    def _get_call_seed(self) -> Any:
        """One ``uint32[2]`` key from this layer's seed generator (advancing it)."""
        assert self.seed_generator is not None, "call_fn takes no rng"
        return _as_jax_key(self.seed_generator.next())

    def _get_call_rng(self, training: Any) -> Any:
        """The ``rng`` argument of ``call_fn``: a key when training, else ``None``."""
        return self._get_call_seed() if training else None

    # ---- build / call ---------------------------------------------------------------------------
    def _initialize_weights(self, input_shape: Any) -> None:
        import jax.numpy as jnp

        dtype = self.compute_dtype
        inputs = _map_shapes(lambda s: jnp.ones([1 if d is None else d for d in s], dtype=dtype), input_shape)
        args = []
        for name in self.init_fn_arguments:
            if name == "rng":
                args.append(self._get_init_rng())
            elif name == "inputs":
                args.append(inputs)
            else:  # training: always True for init_fn, as Keras
                args.append(True)
        assert self.init_fn is not None  # __init__ refuses no init_fn without params/state
        result = self.init_fn(*args)
        params, state = result if self.call_fn_has_state else (result, None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)

    def build(self, input_shape: Any) -> None:
        """Run ``init_fn`` (when no ``params``/``state`` were given) to create the variables."""
        if self.params is None and self.state is None and (self.call_fn_has_params or self.call_fn_has_state):
            self._initialize_weights(input_shape)
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        import jax

        def unwrap(v: Any) -> Any:
            return v.value if isinstance(v, Variable) else v

        args = []
        for name in self.call_fn_arguments:
            if name == "params":
                args.append(jax.tree_util.tree_map(unwrap, self.params))
            elif name == "state":
                args.append(jax.tree_util.tree_map(unwrap, self.state))
            elif name == "rng":
                args.append(self._get_call_rng(training))
            elif name == "inputs":
                args.append(inputs)
            else:
                args.append(training)
        if not self.call_fn_has_state:
            return self.call_fn(*args)
        outputs, new_state = self.call_fn(*args)

        def assign(value: Any, variable: Any) -> None:
            if not isinstance(variable, Variable):
                raise ValueError(
                    "Structure mismatch: the structure of the state returned by `call` does not "
                    "match the structure of the state at initialization time."
                )
            variable.assign(value)

        jax.tree_util.tree_map(assign, new_state, self.state)
        return outputs

    # ---- config ---------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Base config plus ``call_fn``/``init_fn`` (Keras' function configs) and
        ``native_serialization_platforms``. The parameters are weights, not config."""
        return {
            **super().get_config(),
            "call_fn": serialize_function(self.call_fn),
            "init_fn": serialize_function(self.init_fn),
            "native_serialization_platforms": self.jax2tf_native_serialization_platforms,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "JaxLayer":
        cfg = dict(config)
        cfg["call_fn"] = deserialize_function(cfg["call_fn"], custom_objects)
        cfg["init_fn"] = deserialize_function(cfg.get("init_fn"), custom_objects)
        return super().from_config(cfg)


class _Constant:
    """Initializer returning a given value (the variables of ``params``/``state``)."""

    def __init__(self, value: Any):
        self.value = value

    def __call__(self, shape: tuple, dtype: Any = None) -> Any:
        return self.value  # Variable converts it to its dtype


def _as_jax_key(state: Any) -> Any:
    """A kshim seed state (``int64[2]``, values < 2**32) as a raw ``uint32[2]`` JAX key."""
    import jax.numpy as jnp

    return jnp.asarray(state).astype(jnp.uint32)


def _validate_signature(fn: Callable, fn_name: str, allowed: set, required: set) -> list[str]:
    params = inspect.signature(fn).parameters
    for name in sorted(required):
        if name not in params:
            raise ValueError(f"Missing required argument in `{fn_name}`: `{name}`")
    names = []
    for p in params.values():
        if p.name not in allowed:
            raise ValueError(
                f"Unsupported argument in `{fn_name}`: `{p.name}`, supported arguments are "
                f"`{'`, `'.join(sorted(allowed))}`"
            )
        names.append(p.name)
    return names


def _map_shapes(fn: Callable, shapes: Any) -> Any:
    """``fn`` over every shape (a tuple of ints/None) of a structure of shapes."""
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in shapes):
        return fn(tuple(shapes))
    return type(shapes)(_map_shapes(fn, s) for s in shapes)
