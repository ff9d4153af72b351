"""Functional model configs in Keras 3's layout (``layers`` with ``inbound_nodes``, ``input_layers``)."""

from __future__ import annotations

from typing import Any

import optree

from .._symbolic import KerasTensor


# id(node) -> the node's index among its layer's nodes *in the model being saved* (Keras numbers the
# nodes a config refers to that way, so a layer also called outside the model, or a graph started at
# intermediate tensors, still loads); set by functional_config while it writes.
_NODE_INDEX: dict[int, int] = {}


def _tensor_ref(t: KerasTensor) -> list:
    node, idx = t._history
    return [node.layer.name, _NODE_INDEX.get(id(node), 0), idx]


def _ser_arg(x: Any) -> Any:
    if isinstance(x, KerasTensor):
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(x.shape), "dtype": x.dtype, "keras_history": _tensor_ref(x)},
        }
    if isinstance(x, (list, tuple)):
        return [_ser_arg(v) for v in x]
    if isinstance(x, dict):
        return {k: _ser_arg(v) for k, v in x.items()}
    return x


def _struct_refs(struct: Any) -> Any:
    if isinstance(struct, KerasTensor):
        return _tensor_ref(struct)
    if isinstance(struct, dict):
        return {k: _tensor_ref(v) for k, v in struct.items()}
    refs = [_tensor_ref(t) for t in struct]
    return refs


def functional_config(model: Any) -> dict:
    node_ids = {id(n) for n in model._nodes}
    outer = dict(_NODE_INDEX)  # a nested functional model writes its own config in the middle of ours
    _NODE_INDEX.clear()
    for layer in model.layers:
        own = [n for n in layer._inbound_nodes if id(n) in node_ids and n.input_tensors]
        _NODE_INDEX.update({id(n): i for i, n in enumerate(own)})
    mine = dict(_NODE_INDEX)
    try:
        return _functional_config(model, node_ids, mine)
    finally:
        _NODE_INDEX.clear()
        _NODE_INDEX.update(outer)


def _functional_config(model: Any, node_ids: set, mine: dict) -> dict:
    from .._serialization import serialize_keras_object

    layers = []
    for layer in model.layers:
        cfg = serialize_keras_object(layer)
        _NODE_INDEX.clear()
        _NODE_INDEX.update(mine)  # restore ours after a nested model's config
        cfg["name"] = layer.name
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) not in node_ids or not node.input_tensors:
                continue
            kwargs = {k: _ser_arg(v) for k, v in node.kwargs.items() if k not in ("training",)}
            nodes.append({"args": [_ser_arg(a) for a in node.args], "kwargs": kwargs})
        cfg["inbound_nodes"] = nodes
        layers.append(cfg)
    ins, outs = model._inputs_struct, model._outputs_struct
    inputs = (
        _struct_refs(ins)
        if isinstance(ins, (dict, KerasTensor))
        else (_struct_refs(ins) if len(ins) > 1 else _tensor_ref(ins[0]))
    )
    outputs = (
        _struct_refs(outs)
        if isinstance(outs, (dict, KerasTensor))
        else (_struct_refs(outs) if len(outs) > 1 else _tensor_ref(outs[0]))
    )
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": inputs,
        "output_layers": outputs,
    }


def _is_ref(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 3 and isinstance(x[0], str) and isinstance(x[1], int)


def functional_from_config(cls: Any, config: dict, custom_objects: dict | None = None) -> Any:
    """Rebuild the graph: create each layer, then replay its inbound nodes in dependency order."""
    from .._serialization import deserialize_keras_object

    created: dict[str, Any] = {}
    pending: list[tuple[Any, dict]] = []
    for lc in config["layers"]:
        lc = dict(lc)
        name = lc.get("name") or lc["config"].get("name")
        nodes = lc.pop("inbound_nodes", [])
        lc.pop("build_config", None) if lc.get("class_name") != "InputLayer" else None
        layer = deserialize_keras_object(lc, custom_objects=custom_objects)
        created[name] = layer
        for n in nodes:
            pending.append((layer, n))
    outputs_of: dict[str, list] = {}
    for name, layer in created.items():
        if type(layer).__name__ == "InputLayer":
            outputs_of[name] = [[layer.output]]

    def resolve(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            lname, ni, ti = x["config"]["keras_history"]
            nodes = outputs_of.get(lname)
            if nodes is None or ni >= len(nodes):
                raise LookupError(lname)
            return optree.tree_leaves(nodes[ni], namespace="kshim")[ti]
        if isinstance(x, list):
            return [resolve(v) for v in x]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        return x

    progress = True
    while pending and progress:
        progress = False
        rest = []
        for layer, node in pending:
            try:
                args = [resolve(a) for a in node.get("args", [])]
                kwargs = {k: resolve(v) for k, v in node.get("kwargs", {}).items()}
            except LookupError:
                rest.append((layer, node))
                continue
            out = layer(*args, **kwargs)
            outputs_of.setdefault(layer.name, []).append(out)
            progress = True
        pending = rest
    if pending:
        raise ValueError(
            f"Could not rebuild the functional graph: unresolved inputs for layers {[l.name for l, _ in pending]}."
        )

    def lookup(ref):
        lname, ni, ti = ref
        return optree.tree_leaves(outputs_of[lname][ni], namespace="kshim")[ti]

    def struct(spec):
        if _is_ref(spec):
            return lookup(spec)
        if isinstance(spec, dict):
            return {k: lookup(v) for k, v in spec.items()}
        return [lookup(r) for r in spec]

    return cls(
        struct(config["input_layers"]),
        struct(config["output_layers"]),
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )
