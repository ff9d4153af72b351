"""``kshim.StatelessScope`` (``keras.StatelessScope``): the same program gives the same values and
errors as real Keras 3, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import kshim


def _run(lib):
    lib.utils.set_random_seed(0)
    layer = lib.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    layer(x)
    with lib.StatelessScope([(layer.kernel, np.full((3, 2), 2.0, "float32"))]) as scope:
        out = layer(x)
        layer.bias.assign([1.0, 1.0])
        inside = layer.bias.value
        scope.add_update((layer.kernel, np.zeros((3, 2), "float32")))
    return {
        "out": np.asarray(out),  # the mapped kernel is used
        "inside": np.asarray(inside),  # an assignment is visible inside the scope
        "bias_after": np.asarray(layer.bias.value),  # ... and not applied to the variable
        "bias_current": np.asarray(scope.get_current_value(layer.bias)),
        "kernel_current": np.asarray(scope.get_current_value(layer.kernel)),
        "kernel_after": np.asarray(layer.kernel.value),
        "unmapped": scope.get_current_value(lib.Variable(1.0)),
    }


def test_matches_keras(backend):
    keras = pytest.importorskip("keras")
    ours, theirs = _run(kshim), _run(keras)
    assert ours.keys() == theirs.keys()
    for k in ours:
        if ours[k] is None or theirs[k] is None:
            assert ours[k] is theirs[k] is None, k
        else:
            np.testing.assert_array_equal(ours[k], theirs[k], err_msg=k)


class _Penalty(kshim.layers.Layer):
    def call(self, x):
        self.add_loss(kshim.ops.sum(x))
        return x


def test_collects_losses_when_asked(backend):
    with kshim.StatelessScope(collect_losses=True) as scope:
        _Penalty()(np.ones((2, 2), "float32"))
    assert len(scope.losses) == 1 and float(kshim.ops.convert_to_numpy(scope.losses[0])) == 4.0
    scope.add_loss(kshim.ops.convert_to_tensor(1.0))
    assert len(scope.losses) == 2


def test_refuses_what_keras_refuses(backend):
    keras = pytest.importorskip("keras")
    for lib in (kshim, keras):
        v = lib.Variable(np.zeros(2, "float32"))
        with pytest.raises(ValueError, match="Invalid reference variable"):
            lib.StatelessScope([(1, 2)])
        with pytest.raises(ValueError, match="Invalid variable value"):
            lib.StatelessScope([(v, np.zeros(3, "float32"))])
