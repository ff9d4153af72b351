"""Wrapping the built-in step: train_step calls super().train_step (here it also sees sample weights)."""
import numpy as np

import keras
from keras import layers, ops


class LoggingModel(keras.Sequential):
    """Adds a log entry to what the built-in step returns; training is unchanged."""

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        assert sample_weight is not None
        logs = super().train_step(data)
        logs = dict(logs)
        logs["weight_norm"] = ops.sqrt(sum(ops.sum(ops.square(v)) for v in self.trainable_variables))
        return logs


def build(cls):
    keras.utils.set_random_seed(99)
    model = cls([keras.Input((3,)), layers.Dense(8, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


rng = np.random.default_rng(1)
x = rng.normal(size=(128, 3)).astype("float32")
y = (x[:, :1] * x[:, 1:2] + x[:, 2:]).astype("float32")
sample_weight = np.where(x[:, 0] > 0, 2.0, 0.5).astype("float32")

model = build(LoggingModel)
history = model.fit(x, y, sample_weight=sample_weight, epochs=3, batch_size=32, shuffle=False, verbose=0)
print(history.history)
assert set(history.history) == {"loss", "weight_norm"}
assert all(v > 0 for v in history.history["weight_norm"])

reference = build(keras.Sequential)
ref = reference.fit(x, y, sample_weight=sample_weight, epochs=3, batch_size=32, shuffle=False, verbose=0)
np.testing.assert_allclose(history.history["loss"], ref.history["loss"], rtol=1e-5)
np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
