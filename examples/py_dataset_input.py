"""Feeding fit() from a keras.utils.PyDataset and from a Python generator, with a validation set."""
import math

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(12)


class NoisyLineDataset(keras.utils.PyDataset):
    """Batches of (x, y) made on the fly, like a loader reading files."""

    def __init__(self, n, batch_size, seed, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(seed)
        self.x = rng.uniform(-1, 1, size=(n, 1)).astype("float32")
        self.y = (2 * self.x - 1 + 0.05 * rng.normal(size=(n, 1))).astype("float32")
        self.batch_size = batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        lo = idx * self.batch_size
        hi = min(lo + self.batch_size, len(self.x))
        return self.x[lo:hi], self.y[lo:hi]


train = NoisyLineDataset(256, 32, seed=0)
val = NoisyLineDataset(64, 32, seed=1)
assert len(train) == 8

model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
history = model.fit(train, validation_data=val, epochs=8, verbose=0)
assert "val_loss" in history.history
kernel, bias = model.layers[0].get_weights()
print("learned", kernel.ravel(), bias)
assert abs(kernel[0, 0] - 2.0) < 0.2 and abs(bias[0] + 1.0) < 0.1


def batches():
    rng = np.random.default_rng(2)
    while True:
        x = rng.uniform(-1, 1, size=(32, 1)).astype("float32")
        yield x, 2 * x - 1


history = model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
assert len(history.history["loss"]) == 2 and history.history["loss"][-1] < 0.05
assert model.predict(val, verbose=0).shape == (64, 1)
# plain 1-D data for an Input of shape (1,): the trailing axis is added, as Keras does
assert model.predict(np.linspace(-1, 1, 32, dtype="float32"), verbose=0).shape == (32, 1)
