"""``format="torch"`` (a ``torch.export`` ``.pt2`` program) and ``format="onnx"`` (through ``torch.onnx``).

Both trace one torch module, :class:`ExportModule`: the model's variables are its buffers (named after
the variables' paths) and its ``forward`` runs ``model.stateless_call`` on them under the torch
backend, inference mode. Every ``None`` dim of the signature stays symbolic in the program (one
``"batch"`` dim shared by dim 0 of every input).
"""

from __future__ import annotations

import inspect
import re
import warnings
from typing import Any

from .. import backend as _backend
from . import signature as sig

_DYNAMIC_HELP = (
    "kshim could not keep the dynamic dims {dims} of the input signature symbolic: the traced code turned "
    "them into constants ({error}). Export with a fully defined `input_signature` instead (e.g. "
    "`input_signature=[keras.InputSpec(shape=(1, ...), dtype='float32')]`); the program then accepts that "
    "shape only."
)


def _torch():
    import torch

    return torch


def _buffer_name(i: int, path: str | None) -> str:
    return f"v{i}_" + re.sub(r"[^0-9A-Za-z_]", "_", path or "var")


def make_module(model: Any, signature: list) -> Any:
    """A ``torch.nn.Module`` whose ``forward(*args)`` is the model's inference call on args shaped
    like ``signature``, with the model's variable values as (persistent) buffers."""
    import torch

    class ExportModule(torch.nn.Module):
        """The traced program: ``forward(*args)`` = ``model(*args, training=False)``."""

        _kshim_model: Any  # in __dict__ (not a registered submodule), so torch's __getattr__ types do not apply

        def __init__(self) -> None:
            super().__init__()
            self.__dict__["_kshim_model"] = model  # not registered: a model may itself be a torch module
            self._n_trainable = len(model.trainable_variables)
            self._names = []
            for i, v in enumerate(list(model.trainable_variables) + list(model.non_trainable_variables)):
                name = _buffer_name(i, getattr(v, "path", None) or getattr(v, "name", ""))
                self.register_buffer(name, v.value.detach())  # shares storage: nothing is copied
                self._names.append(name)

        def forward(self, *args: Any) -> Any:
            values = [getattr(self, n) for n in self._names]
            with _backend.use("torch"):
                out, _ = self._kshim_model.stateless_call(
                    values[: self._n_trainable], values[self._n_trainable :], *args, training=False
                )
            return out

    return ExportModule().eval()


def sample_args(signature: list) -> tuple:
    """Torch sample inputs (on the torch backend's device), one per positional argument."""
    b = _backend.get("torch")
    flat = [b.convert_to_tensor(a, str(a.dtype)) for a in sig.sample_inputs(signature)]
    return tuple(sig.pack_as(signature, flat))


def dynamic_shapes(signature: list) -> tuple | None:
    """``torch.export`` dynamic shapes for ``forward(*args)``: ``None`` dims as ``Dim`` objects."""
    torch = _torch()
    per_leaf = sig.dynamic_dims(signature)
    if not any(per_leaf):
        return None
    dims: dict[str, Any] = {}

    def dim(name: str) -> Any:
        if name not in dims:
            dims[name] = torch.export.Dim(name)
        return dims[name]

    flat = [{d: dim(n) for d, n in leaf.items()} or None for leaf in per_leaf]
    return (tuple(sig.pack_as(signature, flat)),)  # forward(*args): one entry, the args tuple


def _specialized(e: Exception) -> bool:
    msg = str(e)
    return "specialized" in msg or "Constraints violated" in msg


def _export_program(module: Any, args: tuple, export_kwargs: dict, signature: list) -> Any:
    torch = _torch()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not properly registered as a submodule.*")
        try:
            return torch.export.export(module, args, **export_kwargs)
        except Exception as e:  # noqa: BLE001 - torch raises many types; re-raised with the cause
            if _specialized(e) and export_kwargs.get("dynamic_shapes") is not None:
                names = sorted({n for leaf in sig.dynamic_dims(signature) for n in leaf.values()})
                raise ValueError(_DYNAMIC_HELP.format(dims=names, error=str(e).splitlines()[0])) from e
            raise RuntimeError(
                "Failed to export model to PyTorch format. Common causes: unsupported operations, "
                f"data-dependent control flow, or shape constraints not satisfied. Original error: "
                f"{e}"
            ) from e


def _normalize_user_dynamic_shapes(user: Any, args: tuple) -> Any:
    """Keras' forms of a user ``dynamic_shapes`` for ``forward(*args)``."""
    if isinstance(user, dict):
        if "args" in user or "kwargs" in user:
            return user
        return [(user,)] if len(args) == 1 else user
    if isinstance(user, (list, tuple)):
        if len(user) == 1 and isinstance(user[0], (list, tuple)):
            return user
        if len(user) == len(args):
            return [tuple(user)]
    return user


def export_torch(model: Any, filepath: str, signature: list, verbose: bool, **kwargs: Any) -> None:
    """Write a ``torch.export`` program (``.pt2``); reload with ``torch.export.load(path).module()``.

    ``kwargs`` go to ``torch.export.export`` (Keras' rule: only its own arguments; ``strict``
    defaults to ``False``). Without ``dynamic_shapes``, kshim makes every ``None`` dim dynamic.
    """
    torch = _torch()
    allowed = {n for n in inspect.signature(torch.export.export).parameters if n not in {"mod", "args", "kwargs"}}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(
            f'Unsupported arguments for `format="torch"`: {", ".join(unknown)}. Supported arguments '
            f"are: {', '.join(sorted(allowed))}."
        )
    export_kwargs = dict(kwargs)
    export_kwargs.setdefault("strict", False)
    module, args = make_module(model, signature), sample_args(signature)
    if "dynamic_shapes" in export_kwargs:
        export_kwargs["dynamic_shapes"] = _normalize_user_dynamic_shapes(export_kwargs["dynamic_shapes"], args)
    else:
        export_kwargs["dynamic_shapes"] = dynamic_shapes(signature)
    program = _export_program(module, args, export_kwargs, signature)
    torch.export.save(program, filepath)
    if verbose:
        from ._messages import print_msg

        print_msg(f"Saved PyTorch ExportedProgram at '{filepath}'.")


def export_onnx(model: Any, filepath: str, signature: list, verbose: bool, opset_version: int | None = None) -> None:
    """Write an ONNX model through ``torch.onnx`` (the ``torch.export``-based exporter).

    Inputs are the flat signature leaves, named as Keras names them (a spec's name, else
    ``input_{i}``); outputs are ``output_0``, ``output_1``, ... (the flattened output structure).
    Dynamic dims are named ``batch`` and ``dim_{input}_{dim}`` in the ONNX graph.
    """
    import torch

    flat_sig = sig.flatten(signature)

    class _Flat(torch.nn.Module):  # ONNX inputs are flat: repack them into the signature's structure
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *flat: Any) -> Any:
            return tuple(sig.flatten(self.inner(*sig.pack_as(signature, list(flat)))))

    module = _Flat(make_module(model, signature)).eval()
    args = tuple(sig.flatten(list(sample_args(signature))))
    names = sig.input_names(signature)
    dyn = dynamic_shapes(flat_sig)
    # Trace with torch.export first (the ONNX exporter would), so that a lost dynamic dim is reported clearly.
    ep = _export_program(module, args, {"strict": False, "dynamic_shapes": dyn}, signature)
    outputs = [f"output_{i}" for i in range(len(ep.graph_signature.user_outputs))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the converter's notes on decompositions and unused torchvision ops
        try:
            program = torch.onnx.export(
                ep,
                args,
                dynamo=True,
                input_names=names,
                output_names=outputs,
                opset_version=opset_version,
                verbose=False,
            )
        except Exception as e:  # noqa: BLE001 - the converter raises many types
            raise RuntimeError(f"Failed to export model to ONNX format. Original error: {e}") from e
    assert program is not None  # dynamo=True always returns the program
    _name_dynamic_dims(program.model, ep, signature)
    program.save(filepath)
    if verbose:
        from ._messages import print_msg

        print_msg(f"Saved artifact at '{filepath}'.")


def _name_dynamic_dims(onnx_model: Any, program: Any, signature: list) -> None:
    """Rename torch's symbols (``s33``) in the ONNX graph to the signature's dim names (``batch``)."""
    import onnx_ir as ir

    user = list(program.graph_signature.user_inputs)
    shapes = {n.name: n.meta["val"].shape for n in program.graph.nodes if n.op == "placeholder"}
    names: dict[str, str] = {}
    for name, dims in zip(user, sig.dynamic_dims(signature)):
        for d, dim_name in dims.items():
            names.setdefault(str(shapes[name][d]), dim_name)
    graph = onnx_model.graph
    values = list(graph.inputs) + list(graph.outputs) + [v for node in graph for v in node.outputs]
    for value in values:
        if value.shape is None:
            continue
        new_dims = [
            ir.SymbolicDim(names[d.value]) if isinstance(d, ir.SymbolicDim) and d.value in names else d
            for d in value.shape
        ]
        value.shape = ir.Shape(new_dims)
