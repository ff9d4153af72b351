"""Losses and metrics that come from layers: kernel/activity regularizers, add_loss() in a custom
layer, and a metric updated inside a layer's call(); all show up in fit()'s logs."""
import numpy as np

import keras
from keras import layers, ops, regularizers

keras.utils.set_random_seed(6)


class ActivityMonitor(layers.Layer):
    """Passes its input through, penalises large activations and tracks their mean."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.mean_activation = keras.metrics.Mean(name="mean_activation")

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        self.mean_activation.update_state(ops.mean(ops.abs(inputs)))
        return inputs


inputs = keras.Input(shape=(10,))
x = layers.Dense(32, activation="relu", kernel_regularizer=regularizers.l2(1e-3))(inputs)
x = ActivityMonitor()(x)
x = layers.ActivityRegularization(l1=1e-3)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)

rng = np.random.default_rng(7)
data = rng.normal(size=(128, 10)).astype("float32")
target = data[:, :2].sum(axis=1, keepdims=True).astype("float32")

model(data[:4])
assert len(model.losses) == 3, model.losses          # kernel regularizer, add_loss, activity regularizer

model.compile(optimizer="adam", loss="mse")
history = model.fit(data, target, epochs=4, batch_size=32, verbose=0)
print(history.history)
assert "mean_activation" in history.history and history.history["mean_activation"][0] > 0
assert history.history["loss"][-1] < history.history["loss"][0]

# the reported loss includes the layer losses: it exceeds the plain mse
mse = float(np.mean((model.predict(data, verbose=0) - target) ** 2))
evaluated = model.evaluate(data, target, verbose=0, return_dict=True)
assert evaluated["loss"] > mse, (evaluated, mse)
