"""A custom train_step in the backend-neutral form: keras.value_and_grad over the forward pass.

The same code trains on NumPy, JAX and PyTorch, and reproduces the built-in fit() exactly.
"""
import numpy as np

import keras
from keras import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            return loss, y_pred

        (loss, y_pred), grads = keras.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        self.optimizer.apply(grads, self.trainable_variables)
        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build(cls):
    keras.utils.set_random_seed(1234)
    inputs = keras.Input(shape=(32,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden)
    model = cls(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


rng = np.random.default_rng(0)
x = rng.random((256, 32)).astype("float32")
y = (x[:, :4].sum(axis=1, keepdims=True) - 2.0).astype("float32")

model = build(CustomModel)
history = model.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0)
print(history.history)
assert set(history.history) == {"loss", "mae"}
assert history.history["loss"][-1] < 0.9 * history.history["loss"][0]

reference = build(keras.Model)
ref_history = reference.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0)
np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"], rtol=1e-4)
for a, b in zip(model.get_weights(), reference.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
