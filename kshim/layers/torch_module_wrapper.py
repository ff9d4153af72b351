"""``TorchModuleWrapper``: a ``torch.nn.Module`` inside a kshim model (torch backend).

The module's parameters become kshim Variables (trainable when ``requires_grad``) and its persistent
buffers non-trainable Variables. Each call runs the module with ``torch.func.functional_call`` on
the *current variable values*, so whatever substitutes values -- ``fit``'s training step,
``stateless_call``, the custom-step API, kshim's torch ``jit`` -- also reaches the module, and
gradients flow to the variables. Buffers the module updates in place (BatchNorm's running
statistics) are written back to their Variables after the call (recorded, inside a stateless scope).

``torch`` is imported inside the functions that need it, so importing kshim does not import torch.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .. import backend as _backend
from .._symbolic import KerasTensor
from ..variables import Variable
from .jax_layer._util import require_backend
from .layer import Layer


class TorchModuleWrapper(Layer):
    """Keras layer wrapping a ``torch.nn.Module`` (``keras.layers.TorchModuleWrapper``).

    The module is moved to the torch backend's device. ``layer.module`` returns the module with
    its parameters and buffers set to the variables' current values (so after ``fit`` it is the
    trained module); the module's own tensors are otherwise not updated by training.

    ``training`` selects ``module.train()`` / ``module.eval()`` for the call. Deliberate
    differences from Keras: a direct call ``layer(x)`` outside ``fit``/``predict`` runs in eval
    mode (kshim resolves ``training=None`` to ``False`` for every layer; Keras runs the module in
    train mode); persistent buffers are also Variables (non-trainable, after the parameters in
    ``weights``), where Keras leaves them out of ``weights`` and saves them through
    ``state_dict``; variables are named by the module's ``state_dict`` keys (``"0.weight"``);
    ``parameters()`` (the wrapper is itself a ``torch.nn.Module``, as every kshim layer on torch)
    yields the wrapper's variables, not the wrapped module's own tensors (Keras yields the module's
    parameters): a torch optimizer on them trains the layer, and ``layer.module`` shows the result.

    The config holds the module pickled by ``torch.save`` (base64), as Keras; ``from_config``
    therefore refuses to run ``torch.load`` unless ``safe_mode=False`` is passed to the loader (or
    ``kshim.config.enable_unsafe_deserialization()`` was called).

    Args:
        module: A ``torch.nn.Module``; a lazy module must have initialized its parameters (e.g.
            by one call) first.
        name: The layer name.
        output_shape: The output shape, for shape inference without running the module.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``).

    Raises:
        ValueError: If the active backend is not torch, or the module is an uninitialized lazy module.
    """

    _from_config_takes_safe_mode = True

    def __init__(self, module: Any, name: str | None = None, output_shape: Any = None, **kwargs: Any):
        require_backend(type(self).__name__, "torch")
        super().__init__(name=name, **kwargs)
        import torch.nn as nn

        if isinstance(module, nn.modules.lazy.LazyModuleMixin) and module.has_uninitialized_params():  # type: ignore[misc]  # torch types self as its _LazyProtocol
            raise ValueError(
                f"LazyModules are not supported unless they are already initialized. Received "
                f"uninitialized LazyModule: module={module}"
            )
        backend = _backend.current()
        self._backend = backend  # its variables are torch tensors: refuse other backends later
        self._module = module.to(backend.device)
        self._track_module_tensors()
        self.output_shape = output_shape

    def _track_module_tensors(self) -> None:
        persistent = set(self._module.state_dict().keys())
        self._param_vars: list[tuple[str, Variable]] = []
        self._buffer_vars: list[tuple[str, Variable]] = []
        for key, param in self._module.named_parameters():
            var = Variable(param.detach().clone(), trainable=param.requires_grad, name=key)
            var.path = f"{self.name}/{key}"
            (self._trainable_variables if var.trainable else self._non_trainable_variables).append(var)
            self._param_vars.append((key, var))
        for key, buf in self._module.named_buffers():
            if key not in persistent:
                continue  # non-persistent buffers stay the module's own (not saved, as in state_dict)
            var = Variable(buf.detach().clone(), trainable=False, name=key)
            var.path = f"{self.name}/{key}"
            self._non_trainable_variables.append(var)
            self._buffer_vars.append((key, var))
        self.built = True

    @property
    def module(self) -> Any:
        """The wrapped module, with its parameters and buffers set to the variables' values."""
        import torch

        tensors = dict(self._module.named_parameters())
        tensors.update(dict(self._module.named_buffers()))
        with torch.no_grad():
            for key, var in self._param_vars + self._buffer_vars:
                tensors[key].copy_(var._value)
        return self._module

    def call(self, *args: Any, training: Any = None, **kwargs: Any) -> Any:
        from torch.func import functional_call

        self._module.train(bool(training))
        tensors = {key: var.value for key, var in self._param_vars}
        # Buffers go in as copies: an in-place update (running statistics) must not change the
        # variable's tensor behind the stateless scope's back; the copies are assigned after.
        buffers = {key: var.value.clone() for key, var in self._buffer_vars}
        outputs = functional_call(self._module, {**tensors, **buffers}, args, kwargs)
        for key, var in self._buffer_vars:
            var.assign(buffers[key])
        return outputs

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self.output_shape is None:
            return super().compute_output_spec(*args, **kwargs)
        return KerasTensor(tuple(self.output_shape), self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        return self.output_shape

    # ---- Keras' state_dict based variable I/O ----------------------------------------------------
    def _weights_file_entries(self) -> list:
        """``(state_dict key, variable)`` pairs: weights files name the datasets as Keras does."""
        return list(self._param_vars + self._buffer_vars)

    def save_own_variables(self, store: Any) -> None:
        """Write the module's ``state_dict`` into ``store`` (``{key: numpy array}``), as Keras does."""
        for key, value in self.module.state_dict().items():
            store[key] = value.detach().cpu().numpy()

    def load_own_variables(self, store: Any) -> None:
        """Load a ``state_dict`` written by :meth:`save_own_variables` into the module and variables."""
        import numpy as np
        import torch

        state = {}
        for key in store.keys():
            name = key.decode() if isinstance(key, bytes) else key
            state[name] = torch.as_tensor(np.asarray(store[key]))
        self._module.load_state_dict(state)
        current = self._module.state_dict()
        for key, var in self._param_vars + self._buffer_vars:
            var.assign(current[key].detach().clone())

    # ---- config -------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Base config plus ``module`` (``torch.save`` pickle, base64) and ``output_shape``."""
        import torch

        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        return {
            **super().get_config(),
            "module": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "output_shape": self.output_shape,
        }

    @classmethod
    def from_config(
        cls, config: dict, custom_objects: dict | None = None, safe_mode: bool | None = None
    ) -> "TorchModuleWrapper":
        """Rebuild the layer; unpickling the module needs ``safe_mode=False`` (fails closed, as Keras).

        Raises:
            ValueError: In safe mode (the default, also for a direct call).
        """
        cfg = dict(config)
        require_backend(cls.__name__, "torch")
        if isinstance(cfg.get("module"), str):
            from .._lambda_code import _UNSAFE
            from .._serialization import SAFE_MODE

            safe = SAFE_MODE.get() if safe_mode is None else bool(safe_mode)
            if safe and not _UNSAFE["value"]:
                raise ValueError(
                    "Requested the deserialization of a `torch.nn.Module` object via `torch.load()`. This carries "
                    "a potential risk of arbitrary code execution and thus it is disallowed by default. If you "
                    "trust the source of the artifact, you can override this error by passing `safe_mode=False` "
                    "to the loading function, or calling `keras.config.enable_unsafe_deserialization()."
                )
            import torch

            raw = base64.b64decode(cfg["module"].encode("ascii"))
            cfg["module"] = torch.load(io.BytesIO(raw), weights_only=False, map_location=_backend.current().device)
        if isinstance(cfg.get("output_shape"), list):
            cfg["output_shape"] = tuple(cfg["output_shape"])
        return super().from_config(cfg)
