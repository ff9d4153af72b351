"""Same seed => same training trajectory on numpy, jax and torch (CNN with BatchNorm and dropout)."""
import numpy as np
import pytest

import kshim as keras
from kshim import backends, layers

NAMES = [n for n in ("numpy", "jax", "torch") if backends.is_available(n)]


def _train(name, dtype, steps):
    old = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        with keras.backend.use(name):
            (x, y), _ = keras.datasets.digits.load_data()
            x = (x[:steps * 8].astype(dtype) / 16.0)[..., None]
            y = y[:steps * 8]
            keras.utils.set_random_seed(7)
            m = keras.Sequential([
                keras.Input((8, 8, 1)),
                layers.Conv2D(6, 3, padding="same", activation="relu"),
                layers.BatchNormalization(),
                layers.MaxPooling2D(),
                layers.Dropout(0.25),
                layers.Flatten(),
                layers.Dense(10),
            ])
            w0 = m.get_weights()
            m.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            h = m.fit(x, y, batch_size=8, epochs=1, shuffle=True, verbose=0)
            assert int(m.optimizer.iterations.numpy()) == steps
            return w0, h.history["loss"], m.get_weights()
    finally:
        keras.config.set_floatx(old)


@pytest.mark.skipif(len(NAMES) < 2, reason="needs two backends")
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 1e-4)])
def test_cnn_with_dropout_100_steps_same_weights(dtype, rtol):
    # float64: the three backends differ only by summation order (~1e-16 per op), 100 Adam steps
    # amplify that to ~1e-12; 1e-10 leaves margin. float32: ~1e-7 per op grows to ~1e-5 over 100
    # steps through BatchNorm and Adam's division by sqrt(v); 1e-4 relative to the weight scale.
    runs = {n: _train(n, dtype, 100) for n in NAMES}
    ref_w0, ref_loss, ref_w = runs[NAMES[0]]
    for name in NAMES[1:]:
        w0, loss, w = runs[name]
        for a, b in zip(ref_w0, w0):
            np.testing.assert_array_equal(a, b)  # same seed: bit-identical initial weights
        np.testing.assert_allclose(loss, ref_loss, rtol=rtol)
        for a, b in zip(ref_w, w):
            scale = max(np.abs(a).max(), 1e-3)
            assert np.abs(a - b).max() / scale < rtol, (name, np.abs(a - b).max() / scale)


def test_dropout_masks_identical_across_backends():
    masks = {}
    for name in NAMES:
        with keras.backend.use(name):
            gen = keras.random.SeedGenerator(123)
            masks[name] = [keras.ops.convert_to_numpy(keras.random.dropout(np.ones((64, 33), "float32"), 0.3,
                                                                            seed=gen)) for _ in range(3)]
    for name in NAMES[1:]:
        for a, b in zip(masks[NAMES[0]], masks[name]):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(masks[NAMES[0]][0], masks[NAMES[0]][1])


def test_fit_shuffle_order_comes_from_the_seed():
    # Batch order is drawn on the host from the seeded generator, so it is the same for every
    # backend (the CNN test above trains with shuffle=True and gets identical weights).
    from kshim.trainers.data_adapter import DataHandler
    x = np.arange(20, dtype="float32")[:, None]

    def order():
        keras.utils.set_random_seed(5)
        return [v for _, (bx, _, _) in DataHandler(x, x, batch_size=5, shuffle=True).epoch(0) for v in bx[:, 0]]
    first, second = order(), order()
    assert first == second and sorted(first) == list(range(20)) and first != list(range(20))
