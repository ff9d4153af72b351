"""The PyTorch form of a custom train_step (keras.io "customizing fit, torch"): zero_grad,
loss.backward() and optimizer.apply on the gradients. PyTorch backend only."""
import sys

import numpy as np

import keras
from keras import layers

if keras.backend.backend() != "torch":
    print(f"skipped: this example needs the torch backend (running on {keras.backend.backend()})")
    sys.exit(0)

import torch  # noqa: E402


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        # Call torch.nn.Module.zero_grad() to clear the leftover gradients for the weights from the previous train step.
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build(cls):
    keras.utils.set_random_seed(5)
    inputs = keras.Input(shape=(32,))
    outputs = layers.Dense(1)(layers.Dense(8, activation="relu")(inputs))
    model = cls(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


rng = np.random.default_rng(0)
x = rng.random((128, 32)).astype("float32")
y = x[:, :3].sum(axis=1, keepdims=True).astype("float32")
model = build(CustomModel)
history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
reference = build(keras.Model)
ref = reference.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
print(history.history)
assert history.history["loss"][-1] < history.history["loss"][0]
np.testing.assert_allclose(history.history["loss"], ref.history["loss"], rtol=1e-5)
np.testing.assert_allclose(history.history["mae"], ref.history["mae"], rtol=1e-5)
