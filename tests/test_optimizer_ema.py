"""Optimizer ``use_ema`` (moving averages of the weights) against real Keras 3 on the same weights.

Same data, unshuffled batches, same initial weights: after ``fit`` the model holds the averages
(Keras' ``finalize_variable_values``), and with ``ema_overwrite_frequency`` the weights are replaced
by their averages every N steps. float32 training over 8 steps: rtol 1e-5 / atol 1e-6 (the same
order as the trainer oracle tests; differences are summation order in the matmul gradients).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import kshim  # noqa: E402

X = np.random.default_rng(0).standard_normal((32, 5)).astype("float32")
Y = np.random.default_rng(1).standard_normal((32, 2)).astype("float32")


def _train(K, opt_kwargs, weights=None):
    model = K.Sequential([K.Input((5,)), K.layers.Dense(4, activation="tanh"), K.layers.Dense(2)])
    if weights is not None:
        model.set_weights(weights)
    opt = K.optimizers.Adam(learning_rate=0.05, **opt_kwargs)
    model.compile(optimizer=opt, loss="mse")
    model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model, opt


@pytest.mark.parametrize("opt_kwargs", [dict(use_ema=True), dict(use_ema=True, ema_momentum=0.5),
                                        dict(use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3)])
def test_fit_with_ema_matches_keras(backend, opt_kwargs):
    kmodel, kopt = _train(keras, opt_kwargs)
    init = [np.asarray(w) for w in keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)]).get_weights()]
    kmodel, kopt = _train(keras, opt_kwargs, init)
    smodel, sopt = _train(kshim, opt_kwargs, init)
    for s, k in zip(smodel.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(s, k, rtol=1e-5, atol=1e-6)
    # same variables in the same order (names carry model/layer counters, which differ per process)
    assert [v.name.rsplit("_", 2)[-2:] for v in sopt.variables] == [v.name.rsplit("_", 2)[-2:] for v in kopt.variables]
    for s, k in zip(sopt.variables, kopt.variables):
        np.testing.assert_allclose(np.asarray(s.numpy()), np.asarray(k), rtol=1e-5, atol=1e-6)


def test_ema_changes_the_result(backend):
    init = kshim.Sequential([kshim.Input((5,)), kshim.layers.Dense(4, activation="tanh"),
                             kshim.layers.Dense(2)]).get_weights()
    plain, _ = _train(kshim, {}, init)
    ema, _ = _train(kshim, dict(use_ema=True), init)
    assert not np.allclose(plain.get_weights()[0], ema.get_weights()[0])


@pytest.mark.parametrize("kw,match", [(dict(ema_momentum=1.5), "ema_momentum"),
                                      (dict(ema_overwrite_frequency=0.5), "ema_overwrite_frequency")])
def test_ema_argument_errors_match_keras(kw, match):
    with pytest.raises(ValueError, match=match):
        keras.optimizers.Adam(use_ema=True, **kw)
    with pytest.raises(ValueError, match=match):
        kshim.optimizers.Adam(use_ema=True, **kw)
