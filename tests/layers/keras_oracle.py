"""Real Keras 3 as the layer tests' oracle, and the shared same-layer-in-both check.

``keras`` here is a lazy stand-in for the real module: the first attribute read imports Keras (on
JAX), and where Keras is not installed it skips *the test that read it* -- not the whole module -- so a
NumPy-only install still runs every layer test that has a NumPy reference (``from .keras_oracle import
keras`` instead of a module-level ``pytest.importorskip("keras")``; tests/structure checks this).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from kshim import ops
from kshim.layers import Input


class _LazyKeras:
    """``keras.<name>`` imports real Keras on first use, or skips the calling test without it."""

    def _module(self) -> ModuleType:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        return pytest.importorskip("keras", reason="real Keras 3 is this test's oracle (install kshim[oracle])")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._module(), name)


keras: Any = _LazyKeras()

RTOL = ATOL = 1e-5
# Keras-only initializer config keys that are ignored when None (older kshim configs lack them).
_IGNORED_INIT_KEYS = ("input_axes", "output_axes")


def _norm_cfg(cfg):
    """Normalize a layer config for comparison: drop the documented Keras-only initializer keys,
    and compare floats inside nested objects at float32 precision (Keras' regularizers store their
    factor as a float32 tensor, so ``L1(0.01).get_config()`` gives ``0.009999999776482582``)."""
    out = {}
    for k, v in cfg.items():
        if isinstance(v, dict) and "class_name" in v and isinstance(v.get("config"), dict):
            v = dict(v, config={ck: (float(np.float32(cv)) if isinstance(cv, float) else cv)
                                for ck, cv in v["config"].items()
                                if not (ck in _IGNORED_INIT_KEYS and cv is None)})
        out[k] = v
    return out


def _tuple_shape(s):
    return tuple(None if d is None else int(d) for d in s)


def check_against_keras(cls_name, kwargs, input_shape, module, seed=0, call_kwargs=None):
    """Build the layer in Keras and kshim, copy weights, compare outputs/shapes/config/symbolic."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape).astype("float32")
    call_kwargs = call_kwargs or {}
    klayer = getattr(keras.layers, cls_name)(**kwargs, name="lyr")
    ky = np.asarray(klayer(x, **call_kwargs))
    # make biases non-zero so the bias path is really compared
    kw = klayer.get_weights()
    kw = [w + rng.standard_normal(w.shape).astype("float32") * 0.1 if w.ndim == 1 else w for w in kw]
    if kw:
        klayer.set_weights(kw)
        ky = np.asarray(klayer(x, **call_kwargs))

    layer = getattr(module, cls_name)(**kwargs, name="lyr")
    layer(x, **call_kwargs)  # builds
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in kw]
    layer.set_weights(kw)
    y = ops.convert_to_numpy(layer(x, **call_kwargs))
    assert y.shape == ky.shape
    np.testing.assert_allclose(y, ky, rtol=RTOL, atol=ATOL)

    # shapes: kshim output vs Keras compute_output_shape, also with an unknown batch
    assert y.shape == _tuple_shape(klayer.compute_output_shape(input_shape))
    kshape_none = _tuple_shape(klayer.compute_output_shape((None,) + tuple(input_shape[1:])))
    sym = getattr(module, cls_name)(**kwargs)(Input(shape=tuple(input_shape[1:]), batch_size=None))
    assert _tuple_shape(sym.shape) == kshape_none

    # config: equal to Keras', and from_config round trip
    cfg = layer.get_config()
    assert _norm_cfg(cfg) == _norm_cfg(klayer.get_config())
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    clone(x, **call_kwargs)
    clone.set_weights(kw)
    np.testing.assert_allclose(ops.convert_to_numpy(clone(x, **call_kwargs)), ky, rtol=RTOL, atol=ATOL)
    return layer
