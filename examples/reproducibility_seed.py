"""keras.utils.set_random_seed makes a program repeatable: weights, dropout, shuffling, keras.random."""
import numpy as np

import keras
from keras import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(96, 6)).astype("float32")
y = (x[:, :1] > 0).astype("float32")


def run(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.3),
        layers.GaussianNoise(0.1),
        layers.Dense(1, activation="sigmoid"),
    ])
    initial = [w.copy() for w in model.get_weights()]
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=True, verbose=0)
    draws = keras.ops.convert_to_numpy(keras.random.uniform((3,)))
    return initial, model.get_weights(), history.history["loss"], draws


first, second, other = run(1337), run(1337), run(7)
for a, b in zip(first[0], second[0]):
    np.testing.assert_array_equal(a, b)                       # identical initial weights
for a, b in zip(first[1], second[1]):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)   # identical training (dropout, shuffling)
assert first[2] == second[2]
np.testing.assert_array_equal(first[3], second[3])
assert not np.allclose(first[0][0], other[0][0])              # another seed, other weights

# explicit seeds and SeedGenerator
gen_a, gen_b = keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)
a1, a2 = keras.random.normal((4,), seed=gen_a), keras.random.normal((4,), seed=gen_a)
b1 = keras.random.normal((4,), seed=gen_b)
assert np.allclose(keras.ops.convert_to_numpy(a1), keras.ops.convert_to_numpy(b1))
assert not np.allclose(keras.ops.convert_to_numpy(a1), keras.ops.convert_to_numpy(a2))
assert np.allclose(keras.ops.convert_to_numpy(keras.random.uniform((2,), seed=5)),
                   keras.ops.convert_to_numpy(keras.random.uniform((2,), seed=5)))
