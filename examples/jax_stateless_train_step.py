"""The JAX form of a custom train_step (keras.io "customizing fit, JAX"): a stateless
train_step(self, state, data) with stateless_call, jax.value_and_grad and stateless_apply.
JAX backend only."""
import sys

import numpy as np

import keras
from keras import layers

if keras.backend.backend() != "jax":
    print(f"skipped: this example needs the jax backend (running on {keras.backend.backend()})")
    sys.exit(0)

import jax  # noqa: E402


class CustomModel(keras.Model):
    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training)
        loss = self.compute_loss(x, y, y_pred)
        return loss, (y_pred, non_trainable_variables)

    def train_step(self, state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y, training=True)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)

        new_metrics_vars, logs = [], {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[len(new_metrics_vars): len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars

        state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
        return logs, state


def build(cls):
    keras.utils.set_random_seed(5)
    inputs = keras.Input(shape=(32,))
    outputs = layers.Dense(1)(layers.BatchNormalization()(layers.Dense(8, activation="relu")(inputs)))
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
np.testing.assert_allclose(history.history["mae"], ref.history["mae"], rtol=1e-5)
# non-trainable state (BatchNormalization moving statistics) was carried through the state too
for a, b in zip(model.get_weights(), reference.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
