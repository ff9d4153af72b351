"""Exporting a model's inference call as a standalone artifact, without TensorFlow (``model.export``).

Formats kshim writes (``SUPPORTED_FORMATS``):

- ``"onnx"``: an ONNX model, traced through ``torch.export`` and converted by ``torch.onnx`` (needs
  ``torch``, ``onnx`` and ``onnxscript``: ``pip install 'kshim[export]'``); load it with
  ``onnxruntime.InferenceSession(path)``. Keras traces it on the TensorFlow/JAX/torch backend it
  runs on; kshim always traces a torch program.
- ``"torch"``: a ``torch.export`` ``ExportedProgram`` saved as ``.pt2`` (Keras' format of that name);
  load it with ``torch.export.load(path).module()``.
- ``"jax_export"`` (a kshim extension, not a Keras format): the serialized ``jax.export.Exported`` of
  the call; load it with ``jax.export.deserialize(open(path, "rb").read()).call(x)``.

A model built under another backend than the format's (numpy or jax for ``"onnx"``/``"torch"``;
numpy or torch for ``"jax_export"``) is rebuilt under that backend from its config and weights for
the export (see :mod:`kshim.export.rebuild`); the model itself is not changed. Keras instead refuses
``format="torch"`` off the torch backend. Every ``None`` dim of the input signature (the batch size,
at least) stays dynamic in the artifact; Keras exports ONNX on torch with every ``None`` set to 1.
Where the model's code reads a dynamic size as a Python int, torch cannot keep it symbolic and the
export raises ``ValueError`` asking for a fully defined ``input_signature``; ``jax_export`` then
exports the call one sample at a time under ``jax.vmap`` (checked to equal the batched call).

``"tf_saved_model"`` (Keras' default format), ``"openvino"`` and ``"litert"`` need TensorFlow or
OpenVINO, which kshim does not use: they raise ``ImportError`` (Keras' error for a missing
TensorFlow) naming what they need and the formats kshim writes. ``keras.export.ExportArchive``
builds TensorFlow SavedModels and is left out.
"""

from __future__ import annotations

import os
from typing import Any

from .rebuild import model_backend, on_backend
from .signature import get_input_signature, make_input_spec

__all__ = [
    "export_model",
    "get_input_signature",
    "make_input_spec",
    "model_backend",
    "on_backend",
    "KERAS_FORMATS",
    "SUPPORTED_FORMATS",
]

KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
"""The formats Keras 3's ``Model.export`` takes."""

SUPPORTED_FORMATS = ("onnx", "torch", "jax_export")
"""The formats kshim writes."""

_NEEDS = {
    "tf_saved_model": "writes a TensorFlow SavedModel, which needs TensorFlow",
    "openvino": "writes an OpenVINO IR model through OpenVINO's TensorFlow-free converter, which kshim does not "
    "integrate (OpenVINO reads ONNX files directly)",
    "litert": "writes a LiteRT (TensorFlow Lite) flatbuffer, which needs TensorFlow (or litert-torch)",
}
_BACKEND_OF = {"onnx": "torch", "torch": "torch", "jax_export": "jax"}


def _unavailable(fmt: str) -> ImportError:
    return ImportError(
        f"format={fmt!r} {_NEEDS[fmt]}; kshim runs without TensorFlow and OpenVINO and cannot write it. "
        f"Formats kshim exports: 'onnx' (loaded by onnxruntime and by OpenVINO), 'torch' (a torch.export .pt2 "
        f"program) and 'jax_export' (a serialized jax.export program), e.g. model.export('model.onnx', "
        f"format='onnx')."
    )


def export_model(
    model: Any,
    filepath: Any,
    format: str = "tf_saved_model",
    verbose: bool | None = None,  # noqa: A002
    input_signature: Any = None,
    **kwargs: Any,
) -> None:
    """Export ``model``'s inference call (``model(x, training=False)``) as an artifact.

    Args:
        model: A built kshim model (or layer).
        filepath: Where to write the artifact (``format="torch"``: a path ending in ``.pt2``).
        format: ``"onnx"``, ``"torch"`` or ``"jax_export"``. The default is Keras' default,
            ``"tf_saved_model"``, which needs TensorFlow and raises ``ImportError`` here: pass a
            format.
        verbose: Print where the artifact went (default ``True``, as Keras).
        input_signature: The inputs' shapes and dtypes: a structure of ``keras.InputSpec``,
            ``KerasTensor`` or tensors, one entry per positional argument of the call (Keras' forms; a
            single leaf, or one leaf per input of a multi-input functional model, also works).
            Default: the model's inputs (a subclassed model: the shapes of its first call).
        **kwargs: ``"onnx"``: ``opset_version``. ``"torch"``: ``torch.export.export`` arguments
            (``strict``, ``dynamic_shapes``, ...). ``"jax_export"``: ``platforms``.

    Raises:
        ValueError: an unknown format, a ``.pt2`` path missing, an unbuilt model, an unsupported
            keyword argument, or dynamic dims the model's code turns into constants (the message says
            to pass a fully defined ``input_signature``).
        ImportError: ``"tf_saved_model"``, ``"openvino"``, ``"litert"``, or a format whose framework
            (torch, jax, onnx/onnxscript) is not installed.
        TypeError: ``model`` is not a kshim layer or model, or an unsupported signature leaf.
    """
    from ..layers.layer import Layer

    if format not in KERAS_FORMATS + SUPPORTED_FORMATS:
        raise ValueError(
            f"Unrecognized format={format}. Supported formats are: "
            f"{list(dict.fromkeys(KERAS_FORMATS + SUPPORTED_FORMATS))}."
        )
    if format in _NEEDS:
        raise _unavailable(format)
    if not isinstance(model, Layer):
        raise TypeError(f"The model must be a `keras.Model`. Received: model={model} of the type {type(model)}")
    path = os.fspath(filepath)
    if format == "torch" and not path.endswith(".pt2"):
        raise ValueError(f"The PyTorch export requires the filepath to end with '.pt2'. Got: {path}")
    verbose = True if verbose is None else bool(verbose)
    signature = get_input_signature(model, input_signature)
    if format == "onnx":
        unknown = sorted(set(kwargs) - {"opset_version"})
        if unknown:
            raise ValueError(
                f'Unsupported arguments for `format="onnx"`: {", ".join(unknown)}. Supported '
                f"arguments are: opset_version."
            )
        _require("onnx", "onnxscript")
    elif format == "jax_export":
        unknown = sorted(set(kwargs) - {"platforms"})
        if unknown:
            raise ValueError(
                f'Unsupported arguments for `format="jax_export"`: {", ".join(unknown)}. Supported '
                f"arguments are: platforms."
            )
    target = on_backend(model, _BACKEND_OF[format])
    if format == "jax_export":
        from .jax_export import export_jax

        export_jax(target, path, signature, verbose, **kwargs)
    elif format == "torch":
        from .torch_export import export_torch

        export_torch(target, path, signature, verbose, **kwargs)
    else:
        from .torch_export import export_onnx

        export_onnx(target, path, signature, verbose, **kwargs)


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"format='onnx' needs {', '.join(missing)} (and torch): pip install 'kshim[export]'.")
