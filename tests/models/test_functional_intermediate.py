"""Functional models that start at intermediate tensors (``Model(encoded, predictions)``, as Keras'
structured-data tutorial builds them), and layers shared with other models, save and load.

References are exact: the tail model must compute what the full model computes after the head
(same float32 ops in the same order: rtol 1e-6)."""
from __future__ import annotations

import numpy as np

import kshim
from kshim import layers

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def _graph():
    inp = kshim.Input((4,))
    h = layers.Dense(3, name="h")(inp)
    out = layers.Dense(2, name="o")(layers.Dense(5, name="m")(h))
    return inp, h, out


def test_model_from_an_intermediate_tensor_equals_the_full_graph(backend, tmp_path):
    inp, h, out = _graph()
    full, head, tail = kshim.Model(inp, out), kshim.Model(inp, h), kshim.Model(h, out)
    hv = head.predict(X, verbose=0)
    np.testing.assert_allclose(tail.predict(hv, verbose=0), full.predict(X, verbose=0), rtol=1e-6)
    assert [l.name for l in tail.layers][1:] == ["m", "o"]
    assert tuple(tail.inputs[0].shape) == (None, 3)
    path = str(tmp_path / "tail.keras")
    tail.save(path)
    again = kshim.saving.load_model(path)
    np.testing.assert_allclose(again.predict(hv, verbose=0), tail.predict(hv, verbose=0), rtol=1e-6)
    tail.compile("sgd", "mse")
    before = tail.get_weights()[0].copy()
    tail.fit(hv, np.zeros((6, 2), "float32"), verbose=0)
    assert not np.allclose(before, tail.get_weights()[0])
    np.testing.assert_allclose(full.get_weights()[2], tail.get_weights()[0])  # the layers are shared


def test_layer_called_before_in_another_model_saves_with_model_relative_node_indices(backend, tmp_path):
    shared = layers.Dense(3, name="shared")
    a_in = kshim.Input((4,))
    kshim.Model(a_in, shared(a_in))  # node 0 of `shared` belongs to this other model
    b_in = kshim.Input((4,))
    b = kshim.Model(b_in, layers.Dense(1, name="top")(shared(b_in)))
    cfg = b.get_config()
    refs = [n["args"][0]["config"]["keras_history"] for l in cfg["layers"] if l["name"] == "top"
            for n in l["inbound_nodes"]]
    assert refs == [["shared", 0, 0]]  # numbered among b's own nodes, as Keras numbers them
    path = str(tmp_path / "b.keras")
    b.save(path)
    np.testing.assert_allclose(kshim.saving.load_model(path).predict(X, verbose=0), b.predict(X, verbose=0),
                               rtol=1e-6)
