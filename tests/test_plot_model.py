"""``kshim.utils.plotting.model_to_dot`` / ``plot_model`` against real Keras 3's on the same models.

The DOT text is compared whole after renaming node ids (``str(id(layer))`` in both) to their order
of appearance, so nodes, labels (names, shapes, dtypes, activations, trainable cells), edges, graph
attributes and nested clusters must all be Keras'. Building a graph needs pydot only; rendering
needs graphviz's ``dot`` (not installed here): its absence is simulated with an empty ``PATH``.
"""
from __future__ import annotations

import os
import re
import shutil
import sys

import numpy as np
import pytest

pydot = pytest.importorskip("pydot")
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import kshim  # noqa: E402
from kshim.utils.plotting import model_to_dot, plot_model  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def normalized(dot) -> str:
    """DOT text with node ids replaced by N0, N1, ... in order of first definition."""
    text = dot.to_string()
    ids = re.findall(r"^(\d+) \[", text, re.M)
    for i, node_id in enumerate(ids):
        text = re.sub(rf"\b{node_id}\b", f"N{i}", text)
    return text


def branch(K):
    a = K.Input((3,), name="x")
    h = K.layers.Dense(4, activation="relu", name="h")(a)
    b1 = K.layers.Dense(2, name="b1")(h)
    b2 = K.layers.Dense(2, name="b2", trainable=False)(h)
    c = K.layers.Concatenate(name="cat")([b1, b2])
    return K.Model(a, K.layers.Dense(1, activation="sigmoid", name="y")(c), name="branchy")


def two_inputs(K):
    a, b = K.Input((3,), name="a"), K.Input((3,), name="b", dtype="float32")
    return K.Model([a, b], K.layers.Add(name="add")([K.layers.Dense(3, name="da")(a), b]), name="two")


def sequential(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(3, name="s1"), K.layers.Dropout(0.5, name="drop"),
                         K.layers.Dense(2, name="s2")], name="seq")


def nested(K):
    inner_f = K.Model(*_inner(K), name="inner_f")
    inner_s = K.Sequential([K.Input((4,)), K.layers.Dense(4, name="is1"), K.layers.Dense(2, name="is2")],
                           name="inner_s")
    x = K.Input((3,), name="outer_in")
    h = K.layers.Dense(4, name="pre")(x)
    return K.Model(x, K.layers.Dense(1, name="post")(inner_s(inner_f(h))), name="outer")


def _inner(K):
    i = K.Input((4,), name="inner_in")
    return i, K.layers.Dense(4, activation="tanh", name="inner_d")(i)


ALL = dict(show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True)


@pytest.mark.parametrize("build", [branch, two_inputs, sequential, nested])
@pytest.mark.parametrize("kw", [{}, ALL, dict(show_layer_names=False, rankdir="LR", dpi=96, splines="line"),
                                dict(expand_nested=True, **ALL)])
def test_dot_equals_keras(backend, build, kw):
    key = (build.__name__, tuple(sorted(kw.items())))
    if key not in _KERAS_DOT:  # the Keras side does not depend on the kshim backend: built once
        _KERAS_DOT[key] = normalized(keras.utils.model_to_dot(build(keras), **kw))
    assert normalized(model_to_dot(build(kshim), **kw)) == _KERAS_DOT[key]


_KERAS_DOT: dict = {}


def test_branch_content(backend):
    """The branch, spelled out: 6 boxes, the fork h -> b1, b2 and the join into cat."""
    dot = model_to_dot(branch(kshim), show_shapes=True)
    names = {n.get_name(): re.search(r"<b>(\w+)</b> \((\w+)\)", n.get("label")).groups() for n in dot.get_nodes()
             if n.get_name().isdigit()}
    assert sorted(names.values()) == sorted([("x", "InputLayer"), ("h", "Dense"), ("b1", "Dense"),
                                             ("b2", "Dense"), ("cat", "Concatenate"), ("y", "Dense")])
    edges = {(names[e.get_source()][0], names[e.get_destination()][0]) for e in dot.get_edges()}
    assert edges == {("x", "h"), ("h", "b1"), ("h", "b2"), ("b1", "cat"), ("b2", "cat"), ("cat", "y")}
    cat = next(n for n in dot.get_nodes() if "<b>cat</b>" in (n.get("label") or ""))
    assert "Input shape: <b>[(None, 2), (None, 2)]</b>" in cat.get("label")
    assert "Output shape: <b>(None, 4)</b>" in cat.get("label")


def test_expand_nested_clusters(backend):
    dot = model_to_dot(nested(kshim), expand_nested=True)
    clusters = {g.get_name(): g for g in dot.get_subgraphs()}
    assert set(clusters) == {"cluster_inner_f", "cluster_inner_s"}
    assert clusters["cluster_inner_f"].get("label") == "inner_f"
    assert len(clusters["cluster_inner_s"].get_nodes()) == 2  # a Sequential's InputLayer has no box


def test_subclassed_model_is_one_box(backend):
    class Sub(kshim.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d = kshim.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = Sub()
    m(np.zeros((1, 3), "float32"))
    dot = model_to_dot(m)
    (node,) = [n for n in dot.get_nodes() if n.get_name().isdigit()]
    assert "<b>sub</b> (Sub)" in node.get("label") and not dot.get_edges()


def test_errors(backend):
    unbuilt = kshim.Sequential([kshim.layers.Dense(2)])
    for fn in (model_to_dot, plot_model):
        with pytest.raises(ValueError, match="has not yet been built"):
            fn(unbuilt)
    with pytest.raises(ValueError, match="layer_range"):
        model_to_dot(branch(kshim), layer_range=["h", "y"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model_to_dot(branch(kshim), show_weights=True)


def test_plot_model_dot_file_needs_no_graphviz(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program reachable
    model = branch(kshim)
    path = tmp_path / "model.dot"
    assert plot_model(model, to_file=path, show_shapes=True) is None
    text = path.read_text()
    graph = pydot.graph_from_dot_data(text)[0]
    assert len([n for n in graph.get_nodes() if n.get_name().isdigit()]) == 6 and len(graph.get_edges()) == 6
    # plot_model's own default: show_layer_names=False (class names only), as in Keras
    assert "<b>Concatenate</b>" in text and "<b>cat</b>" not in text
    assert text == model_to_dot(model, show_shapes=True, show_layer_names=False).to_string()


def test_plot_model_image_without_graphviz_raises(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="You must install graphviz"):
        plot_model(branch(kshim), to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def test_missing_pydot_raises_import_error(backend, tmp_path, monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install pydot.*kshim\[data\]"):
        model_to_dot(branch(kshim))
    with pytest.raises(ImportError, match="You must install pydot"):
        plot_model(branch(kshim), to_file=tmp_path / "m.dot")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed")
def test_plot_model_png_with_graphviz(backend, tmp_path):
    plot_model(branch(kshim), to_file=tmp_path / "model.png")
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
