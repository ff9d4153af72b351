"""``FlaxLayer``: a ``flax.linen.Module`` inside a kshim model (JAX backend), as a ``JaxLayer``.

The module's ``"params"`` collection becomes the trainable variables and every other collection
(``batch_stats``, ...) the non-trainable ones, which ``apply`` may update (``mutable`` is every
collection but ``"params"``, as in Keras). ``flax`` is imported only when a ``FlaxLayer`` is made.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ._util import deserialize_function, deserialize_object, require_backend, serialize_object
from .jax_layer import JaxLayer


class FlaxLayer(JaxLayer):
    """Keras layer wrapping a Flax ``linen`` module (``keras.layers.FlaxLayer``).

    ``method`` (default ``module.__call__``) takes ``inputs`` and optionally ``training``; it is
    used for both ``module.init`` and ``module.apply``. A method not bound to the module takes the
    module as its first argument. RNGs: ``init`` gets ``{"params": key, "dropout": key}`` from
    kshim's global seed generator; a training call gets ``{"dropout": key}`` from this layer's
    generator (``seed``), an inference call no RNG -- as Keras.

    Args:
        module: A ``flax.linen.Module`` instance.
        method: The method to run (a bound method, a function taking the module first, or ``None``
            for ``__call__``).
        variables: Initial variables in ``module.init``'s format (a ``"params"`` key and other
            collections), or ``None`` to initialize at build time.
        **kwargs: ``JaxLayer``/``Layer`` arguments (``seed``, ``name``, ``dtype``, ...).

    Raises:
        ValueError: If the active backend is not JAX.
        ImportError: If flax is not installed (``pip install kshim[interop]``).
    """

    def __init__(self, module: Any, method: Callable | None = None, variables: Any = None, **kwargs: Any):
        require_backend(type(self).__name__, "jax")
        try:
            from flax.linen import DenyList
        except ImportError as e:
            raise ImportError("FlaxLayer needs flax: pip install 'kshim[interop]' (or pip install flax).") from e
        self.module = module
        self.method = method
        mutable = DenyList(["params"])

        def apply_with_training(params, state, rng, inputs, training):
            return self.module.apply(
                self._params_and_state_to_variables(params, state),
                inputs,
                rngs=rng,
                method=self.method,
                mutable=mutable,
                training=training,
            )

        def apply_without_training(params, state, rng, inputs):
            return self.module.apply(
                self._params_and_state_to_variables(params, state),
                inputs,
                rngs=rng,
                method=self.method,
                mutable=mutable,
            )

        def init_with_training(rng, inputs, training):
            return self._variables_to_params_and_state(
                self.module.init(rng, inputs, method=self.method, training=training)
            )

        def init_without_training(rng, inputs):
            return self._variables_to_params_and_state(self.module.init(rng, inputs, method=self.method))

        call_fn: Callable[..., Any]
        init_fn: Callable[..., Any]
        if "training" in inspect.signature(method or module.__call__).parameters:
            call_fn, init_fn = apply_with_training, init_with_training
        else:
            call_fn, init_fn = apply_without_training, init_without_training
        params, state = self._variables_to_params_and_state(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    @staticmethod
    def _params_and_state_to_variables(params: Any, state: Any) -> dict:
        if params:
            return {**params, **state} if state else params
        return state if state else {}

    @staticmethod
    def _variables_to_params_and_state(variables: Any) -> tuple:
        if variables is None:
            return None, None
        if "params" not in variables:
            return {}, variables
        if len(variables) == 1:
            return variables, {}
        return {"params": variables["params"]}, {k: v for k, v in variables.items() if k != "params"}

    def _get_init_rng(self) -> dict:
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training: Any) -> dict:
        return {"dropout": self._get_call_seed()} if training else {}

    def get_config(self) -> dict:
        """Base config plus ``module`` (its own config: the module class needs ``get_config``, and
        registering for loading) and ``method`` (a method bound to the module is saved by name)."""
        method: Any = self.method  # saved as its name when bound to the module
        if method is not None and hasattr(method, "__self__") and method.__self__ == self.module:
            method = method.__name__
        elif method is not None:
            from ._util import serialize_function

            method = serialize_function(method)
        cfg = super().get_config()
        cfg.pop("call_fn")
        cfg.pop("init_fn")
        return {**cfg, "module": serialize_object(self.module), "method": method}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "FlaxLayer":
        cfg = dict(config)
        module = deserialize_object(cfg["module"], custom_objects)
        method = cfg.get("method")
        if isinstance(method, str):
            method = getattr(module, method)  # a method bound to the module, saved by name
        else:
            method = deserialize_function(method, custom_objects)
        cfg["module"], cfg["method"] = module, method
        if isinstance(cfg.get("dtype"), dict):
            from ..dtype_policy import get as _get_policy

            cfg["dtype"] = _get_policy(cfg["dtype"])
        return cls(**cfg)
