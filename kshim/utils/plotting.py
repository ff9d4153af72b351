"""``model_to_dot`` and ``plot_model`` (``keras.utils``): a model's layer graph as a pydot graph or an image.

pydot (pure Python, ``pip install pydot`` or ``kshim[data]``) builds the graph; rendering an image needs
the graphviz ``dot`` program. Both are imported/checked only when these functions are called.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_PYDOT_HINT = "(`pip install pydot`, or the kshim extra: `pip install kshim[data]`)"


def _pydot() -> Any:
    """The pydot module (or one of its older forks, as Keras accepts), else ``None``."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def check_pydot() -> bool:
    """Whether pydot is importable."""
    return _pydot() is not None


def check_graphviz() -> bool:
    """Whether pydot and the graphviz ``dot`` program are both available (renders an empty graph)."""
    pydot = _pydot()
    if pydot is None:
        return False
    errors: tuple = (OSError,)
    if isinstance(getattr(pydot, "PydotException", None), type):
        errors += (pydot.PydotException,)
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except errors:
        return False


# ---- labels ------------------------------------------------------------------------------------
def _activation_name(layer: Any) -> str:
    act = layer.activation
    if hasattr(act, "name"):
        return act.name
    if hasattr(act, "__name__"):
        return act.__name__
    return str(act)


def _structure_map(fn: Any, struct: Any) -> Any:
    if isinstance(struct, dict):
        return {k: _structure_map(fn, v) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_structure_map(fn, v) for v in struct)
    return fn(struct)


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{k}: {v}" for k, v in shape.items())
    else:
        text = f"{shape}"
    return text.replace("}", "").replace("{", "")


def _cell(text: str) -> str:
    return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'


def make_layer_label(
    layer: Any,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_dtype: bool,
    show_shapes: bool,
    show_trainable: bool,
) -> str:
    """The HTML-like graphviz label of one layer's box, in Keras' layout (a black title row, then
    an activation row and a row of shape/dtype/trainable cells)."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    table += f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>'
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>"
        )
    cols = []
    if show_shapes:
        input_shape = output_shape = None
        try:
            input_shape = _structure_map(lambda t: t.shape, layer.input)
            output_shape = _structure_map(lambda t: t.shape, layer.output)
        except (ValueError, AttributeError):
            pass
        if class_name != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{_format_shape(input_shape)}</b>"))
        cols.append(_cell(f"Output shape: <b>{_format_shape(output_shape)}</b>"))
    if show_dtype:
        dtype = None
        try:
            dtype = _structure_map(lambda t: t.dtype, layer.output)
        except (ValueError, AttributeError):
            pass
        cols.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and hasattr(layer, "trainable") and layer.weights:
        if layer.trainable:
            cols.append('<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>')
        else:
            cols.append('<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>')
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def _make_node(pydot: Any, layer: Any, label_kwargs: dict) -> Any:
    node = pydot.Node(str(id(layer)), label=make_layer_label(layer, **label_kwargs))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _add_edge(pydot: Any, dot: Any, src: Any, dst: Any) -> None:
    src_id, dst_id = str(id(src)), str(id(dst))
    if not dot.get_edge(src_id, dst_id):
        edge = pydot.Edge(src_id, dst_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


# ---- the graph ---------------------------------------------------------------------------------
def _is_model(layer: Any) -> bool:
    from ..models import Functional, Sequential

    return isinstance(layer, (Functional, Sequential))


def _resolve_source(source: Any, output_index: int) -> Any:
    """The innermost real layer producing output ``output_index`` of ``source`` (a model or a layer)."""
    while _is_model(source):
        node, output_index = source.outputs[output_index]._history
        source = node.layer
    return source


def _resolve_destination(destination: Any, input_index: int) -> Any:
    """The innermost real layer receiving input ``input_index`` of ``destination``."""
    from ..models import Functional

    while _is_model(destination):
        if isinstance(destination, Functional):
            destination = destination.inputs[input_index]._history[0].layer
        else:
            destination = destination.layers[0]
    return destination


def _edges(model: Any, expand_nested: bool) -> list:
    """``(source layer, destination layer)`` pairs of ``model``'s graph, resolved into nested models
    when ``expand_nested``."""
    from ..models import Sequential

    pairs = []
    if isinstance(model, Sequential):
        layers = model.layers
        for i in range(len(layers) - 1):
            src, dst = layers[i], layers[i + 1]
            if expand_nested:
                src, dst = _resolve_source(src, 0), _resolve_destination(dst, 0)
            pairs.append((src, dst))
        return pairs
    node_ids = {id(n) for n in model._nodes}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            if id(node) not in node_ids:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                history = tensor._history
                if history is None:
                    continue
                source, destination = history[0].layer, layer
                if expand_nested:
                    source = _resolve_source(source, history[1])
                    destination = _resolve_destination(destination, input_index)
                pairs.append((source, destination))
    return pairs


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """A model's layer graph as a ``pydot.Dot`` (``keras.utils.model_to_dot``).

    One box per layer (named ``str(id(layer))`` as in Keras, labelled with Keras' HTML-like table),
    one edge per connection. A Sequential model's layers are chained; a functional model's edges
    follow its nodes; a subclassed model is one box.

    Args:
        model: A built kshim model.
        show_shapes: Show input and output shapes.
        show_dtype: Show output dtypes.
        show_layer_names: Show layer names (else only class names).
        rankdir: Graphviz ``rankdir``: ``"TB"`` (vertical) or ``"LR"`` (horizontal).
        expand_nested: Draw nested Functional/Sequential models as dashed clusters of their layers.
        dpi: Image resolution in dots per inch.
        subgraph: Return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Show whether each layer with weights is trainable.
        splines: Graphviz ``splines`` (``"ortho"``, ``"curved"``, ``"polyline"``, ``"spline"``, ``"line"``).

    Returns:
        A ``pydot.Dot``, or a ``pydot.Cluster`` with ``subgraph=True``.

    Raises:
        ValueError: The model is not built, ``layer_range`` is passed, or a keyword is unknown.
        ImportError: pydot is not installed.
    """
    from ..models import Functional, Sequential

    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data."
        )
    pydot = _pydot()
    if pydot is None:
        raise ImportError(f"You must install pydot {_PYDOT_HINT} for model_to_dot to work.")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    label_kwargs = dict(
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_dtype=show_dtype,
        show_shapes=show_shapes,
        show_trainable=show_trainable,
    )
    if not isinstance(model, (Functional, Sequential)):
        dot.add_node(_make_node(pydot, model, label_kwargs))
        return dot
    for layer in model.layers:
        if expand_nested and _is_model(layer):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            dot.add_node(_make_node(pydot, layer, label_kwargs))
    for source, destination in _edges(model, expand_nested):
        _add_edge(pydot, dot, source, destination)
    return dot


def plot_model(
    model: Any,
    to_file: Any = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Draw a model's layer graph to a file (``keras.utils.plot_model``).

    The image format is the extension of ``to_file`` (``png`` without one) and is rendered by graphviz.
    Deliberate difference from Keras 3: ``to_file`` ending in ``.dot`` writes the DOT source itself,
    which needs pydot but not graphviz (Keras asks graphviz to re-emit it, so it needs graphviz).

    Args:
        model: A built kshim model.
        to_file: Output path.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi, show_layer_activations,
            show_trainable, splines: As in :func:`model_to_dot` (note ``show_layer_names`` defaults to
            ``False`` here, as in Keras).

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed and the file is an image
        (not ``.pdf``/``.dot``), else ``None``.

    Raises:
        ValueError: The model is not built, ``layer_range`` is passed, or a keyword is unknown.
        ImportError: pydot is not installed, or (for an image) the graphviz ``dot`` program is not. In a
            notebook (IPython running) the message is printed instead, as Keras does.
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data."
        )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    problem = None
    if not check_pydot():
        problem = f"You must install pydot {_PYDOT_HINT} for `plot_model` to work."
    elif extension != "dot" and not check_graphviz():
        problem = (
            "You must install graphviz (see instructions at https://graphviz.gitlab.io/download/) for "
            "`plot_model` to work."
        )
    if problem is not None:
        if "IPython.core.magics.namespace" in sys.modules:
            print(problem)
            return None
        raise ImportError(problem)
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    if extension == "dot":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(dot.to_string())
        return None
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
