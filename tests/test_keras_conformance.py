"""``kshim.compat.keras_conformance``: Keras' own tests run against kshim (a measurement tool).

One small Keras test module (activations) is enough to check the plumbing: the selection runs, the
proxy puts kshim behind the API names (a name kshim lacks fails, Keras' own helpers still resolve),
and the counts come back per module group.
"""
import importlib.util
import types

import pytest

from kshim.compat import keras_conformance as kc
from kshim.compat import keras_conformance_plugin as plugin


def _keras_tests_available() -> bool:
    import os
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return importlib.util.find_spec("keras") is not None and importlib.util.find_spec("absl") is not None


def test_the_proxy_resolves_api_names_to_kshim_and_helpers_to_keras():
    if not _keras_tests_available():
        pytest.skip("real Keras 3 is not installed")
    import keras.src.activations as kact
    import keras.src.ops as kops

    import kshim
    p = plugin._KshimProxy(kact, kshim.activations)
    assert p.relu is kshim.activations.relu
    o = plugin._KshimProxy(kops, kshim.ops)
    assert p.get is kshim.activations.get
    assert o.KerasTensor is kshim.KerasTensor         # the ops tests' symbolic inputs are kshim's
    fake = types.ModuleType("kshim_fake")
    missing = plugin._KshimProxy(kact, fake)
    with pytest.raises(AttributeError, match="kshim has no kshim_fake.relu"):
        missing.relu


def test_a_small_run_counts_per_group(monkeypatch):
    if not _keras_tests_available():
        pytest.skip("real Keras 3 is not installed")
    monkeypatch.setattr(kc, "TEST_MODULES", ("keras.src.activations.activations_test",))
    res = kc.run("kshim", "numpy", timeout=600)
    assert set(res) == {"activations"}
    assert res["activations"]["passed"] >= 40
    assert "| activations |" in kc._table("t", res)
