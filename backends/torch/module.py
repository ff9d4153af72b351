"""kshim layers as ``torch.nn.Module``s (the torch backend's ``layer_module_base``).

A layer created while the torch backend is active becomes an instance of a subclass of its own class
and :class:`TorchLayerModule` (``backends/_native_module.py`` makes that subclass; the layer's class
is unchanged for every other backend, so a model built under NumPy is not a module). torch reads a
module's state from three dicts, which here are *views* computed from kshim's tracking on every
access, never a second copy of it:

- ``_parameters``: the layer's own trainable variables (``v.trainable`` and the layer trainable),
  by variable name, in Keras' weight order; ``parameters()`` of a model is therefore its
  ``trainable_weights``, in that order;
- ``_buffers``: its own non-trainable variables and seed-generator states (``buffers()`` /
  ``state_dict`` hold them; torch optimizers do not see them);
- ``_modules``: its direct sub-layers, by layer name.

The first time a trainable variable appears in a view, its value moves into a stable
``torch.nn.Parameter`` (``requires_grad``) that kshim then updates *in place* (``Variable`` becomes a
``StableVariable``): a torch optimizer holding ``model.parameters()``, ``loss.backward()``,
``load_state_dict`` and ``.to(dtype)`` all act on the very tensors ``fit``/``predict`` read, and
``fit`` writes its results into them. Non-trainable variables (buffers) keep replace-on-assign
storage (torch's own buffers are updated in place, but kshim code reads a state and then assigns
its successor, e.g. seed generators), detached from any graph; ``load_state_dict`` and ``.to``
still reach them. Variables that never appear in a view keep kshim's usual
storage (a new tensor per update), so kshim's own training is as fast as before.

``train()`` / ``eval()`` set the ``training`` value a direct call ``model(x)`` uses when it is not
given (for the module and every sub-layer); until one of them is called, a layer keeps Keras'
default (the ``training`` default of its ``call`` signature: inference for most layers).
"""

from __future__ import annotations

from typing import Any

import torch

from .._native_module import kshim_class, rebuild_native


def _flag(layer: Any) -> bool:
    return bool(getattr(layer, "_trainable", True))


def _is_torch(backend: Any) -> bool:
    return getattr(backend, "layer_module_base", None) is TorchLayerModule


def _torch_vars(layer: Any, variables: list) -> list:
    """Variables of ``layer``; weights of another backend are an error."""
    out = []
    for v in variables:
        if not _is_torch(v.backend):
            raise TypeError(
                f"Layer {layer.name!r}: variable {v.path!r} belongs to the {v.backend.name!r} "
                f"backend, so it cannot be a torch parameter. Create and build the layer under "
                f"the torch backend (KSHIM_BACKEND=torch or kshim.backend.use('torch'))."
            )
        out.append(v)
    return out


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n.replace(".", "_") or "variable"
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k}")
    return out


class _VariableView(dict):
    """A ``name -> tensor`` dict over variables; torch's writes (``_apply``, ``.to``) go to the variable."""

    def __init__(self, owner: Any, variables: list, trainable: bool) -> None:
        self._owner = owner
        self._vars = dict(zip(_unique([v.name for v in variables]), variables))
        super().__init__((k, stable_storage(v._stable_storage(), trainable)) for k, v in self._vars.items())

    def __setitem__(self, key: str, value: Any) -> None:
        var = self._vars.get(key)
        if var is None:
            raise TypeError(
                f"Layer {self._owner.name!r}: kshim layers create weights with add_weight(...) "
                f"(register_parameter/register_buffer({key!r}) cannot add one)."
            )
        if value is None:
            raise TypeError(f"Layer {self._owner.name!r}: weight {var.path!r} cannot be set to None.")
        var._replace_storage(value)
        super().__setitem__(key, var._stable_storage())

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"Layer {self._owner.name!r}: kshim weights cannot be removed from the module.")


class _LayerView(dict):
    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError(
            f"kshim layers track sub-layers by attribute: assign it (`self.{key} = layer`); "
            f"a plain torch module assigned so is wrapped in a TorchModuleWrapper."
        )


class TorchLayerModule(torch.nn.Module):
    """The ``torch.nn.Module`` half of a kshim layer on the torch backend (see the module docstring)."""

    # kshim's Layer.__setattr__ tracks sub-layers and variables itself; nn.Module's own attribute
    # hooks (which move modules/parameters out of __dict__) must not run.
    __setattr__ = object.__setattr__  # type: ignore[assignment]  # deliberately not nn.Module's hook
    __delattr__ = object.__delattr__
    # nn.Module's __dir__ lists the views (which would turn variables into Parameters on a mere dir());
    # kshim keeps weights and sub-layers as plain attributes, so object's listing already has them.
    __dir__ = object.__dir__

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup failed: repeat it so the original AttributeError (e.g. a
        # property's own message) is what the caller sees, not nn.Module's generic one.
        return object.__getattribute__(self, name)

    @staticmethod
    def init_native(layer: Any) -> None:
        """Give ``layer`` (already of the module subclass) nn.Module's internal state."""
        torch.nn.Module.__init__(layer)

    # ---- the three views torch reads ----------------------------------------------------------
    # Properties: nn.Module.__init__ assigns each an empty dict, which the computed view replaces.
    def _own_variables(self) -> tuple[list, list]:
        """The layer's own variables as (parameters, buffers): trainable ones of a trainable layer first."""
        own = _torch_vars(self, self._trainable_variables + self._non_trainable_variables)
        trainable = _flag(self)
        params = [v for v in own if v.trainable and trainable]
        frozen = [v for v in own if not (v.trainable and trainable)]
        return params, frozen + [s.state for s in self._seed_generators if _is_torch(s.state.backend)]

    def _parameter_view(self) -> dict:
        return _VariableView(self, self._own_variables()[0], True)

    def _buffer_view(self) -> dict:
        return _VariableView(self, self._own_variables()[1], False)

    def _module_view(self) -> dict:
        # A sub-layer held by a public attribute is named by it (as torch names submodules); the others
        # (Sequential/functional layers, lists) by their position, as torch.nn.Sequential: the same
        # architecture built twice gives the same state_dict keys, whatever its layers are called.
        attrs = {id(v): k for k, v in vars(self).items() if not k.startswith("_") and isinstance(v, TorchLayerModule)}
        layers = self._layers
        return _LayerView(zip(_unique([attrs.get(id(layer), str(i)) for i, layer in enumerate(layers)]), layers))

    _parameters = property(_parameter_view, lambda self, value: None)
    _buffers = property(_buffer_view, lambda self, value: None)
    _modules = property(_module_view, lambda self, value: None)

    # ---- behaviour ---------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``module(x)`` and ``torch.compile`` enter here: the kshim call."""
        return type(self).__call__(self, *args, **kwargs)

    def register_parameter(self, name: str, param: Any) -> None:
        raise TypeError(
            f"Layer {self.name!r}: kshim layers create weights with add_weight(...), which makes "
            f"them parameters of the module; register_parameter({name!r}) cannot add one."
        )

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        raise TypeError(
            f"Layer {self.name!r}: kshim layers create state with add_weight(..., trainable=False), "
            f"which makes it a buffer of the module; register_buffer({name!r}) cannot add one."
        )

    def add_module(self, name: str, module: Any) -> None:
        raise TypeError(
            f"Layer {self.name!r}: kshim layers track sub-layers by attribute: assign it "
            f"(`self.{name} = layer`); a plain torch module assigned so is wrapped in a "
            f"TorchModuleWrapper."
        )

    register_module = add_module

    def train(self, mode: bool = True) -> "TorchLayerModule":
        """Set torch's ``training`` flag and the ``training`` a direct call uses, on every sub-layer."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for layer in self._flatten_layers():
            object.__setattr__(layer, "training", mode)
            object.__setattr__(layer, "_call_training_default", mode)
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickle/deepcopy: rebuild the module subclass of the layer's own (importable) class.
        state = self.__dict__.copy()
        return rebuild_native, (kshim_class(self), TorchLayerModule), state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def stable_storage(value: torch.Tensor, trainable: bool) -> torch.Tensor:
    """Storage for a variable listed by a module view: for a trainable one an owned ``Parameter``
    (``requires_grad`` for float tensors), which kshim then updates in place; a non-trainable one (a
    buffer) keeps its tensor, which assignments replace (``StableVariable``), or, if it is a Parameter
    (a frozen layer's weight), that Parameter with ``requires_grad`` off."""
    if isinstance(value, torch.nn.Parameter):
        grad = bool(trainable) and (value.is_floating_point() or value.is_complex())
        if value.requires_grad != grad:
            value.requires_grad_(grad)
        return value
    if not trainable:
        return value.detach() if value.requires_grad else value
    grad = value.is_floating_point() or value.is_complex()
    return torch.nn.Parameter(value.detach().clone(), requires_grad=grad)


def assign_into(storage: torch.nn.Parameter, value: torch.Tensor) -> torch.nn.Parameter:
    """Write ``value`` into ``storage`` in place (same shape and dtype) or swap its data."""
    if value is storage:
        return storage
    with torch.no_grad():
        if value.shape == storage.shape and value.dtype == storage.dtype and value.device == storage.device:
            if value.untyped_storage().data_ptr() == storage.untyped_storage().data_ptr():
                value = value.clone()  # a view of the storage itself (v.assign(transpose(v))): no overlap
            storage.copy_(value)
        else:
            storage.data = value.detach().clone()
    return storage
