"""Loss-based metrics (crossentropies, hinges, KL, Poisson, log-cosh, cosine) against real Keras 3."""
import os

import numpy as np
import pytest

import kshim

NAMES = ["BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge",
         "KLDivergence", "Poisson", "LogCoshError", "CosineSimilarity", "SparseCategoricalCrossentropy"]


@pytest.mark.oracle
@pytest.mark.parametrize("name", NAMES)
def test_matches_keras_with_sample_weights(backend, name):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    r = np.random.RandomState(0)
    yp = r.dirichlet(np.ones(3), size=6).astype("float32")
    yt = np.eye(3, dtype="float32")[r.randint(0, 3, 6)]
    if name == "SparseCategoricalCrossentropy":
        yt = yt.argmax(-1)
    sw = r.rand(6).astype("float32")
    ref, got = getattr(keras.metrics, name)(), getattr(kshim.metrics, name)()
    for half in (slice(0, 3), slice(3, 6)):
        ref.update_state(yt[half], yp[half], sample_weight=sw[half])
        got.update_state(yt[half], yp[half], sample_weight=sw[half])
    np.testing.assert_allclose(float(kshim.ops.convert_to_numpy(got.result())), float(ref.result()), rtol=1e-5)
    assert got.name == ref.name


def test_crossentropy_alias_in_compile(backend):
    m = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["crossentropy"])
    h = m.fit(np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]), verbose=0)
    np.testing.assert_allclose(h.history["crossentropy"], h.history["loss"], rtol=1e-6)
