"""keras.io "customizing fit": own loss tracker and metrics, listed by the `metrics` property.

The trackers are reset at each epoch (and by reset_metrics) because they are in `model.metrics`.
"""
import contextlib
import io

import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(10)

loss_tracker = keras.metrics.Mean(name="loss")
mae_metric = keras.metrics.MeanAbsoluteError(name="mae")


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return ops.mean(ops.square(y_pred - y)), y_pred   # our own loss, no compiled loss

        (loss, y_pred), grads = keras.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        self.optimizer.apply(grads, self.trainable_variables)
        loss_tracker.update_state(loss)
        mae_metric.update_state(y, y_pred)
        return {"loss": loss_tracker.result(), "mae": mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss_tracker.update_state(ops.mean(ops.square(y_pred - y)))
        mae_metric.update_state(y, y_pred)
        return {"loss": loss_tracker.result(), "mae": mae_metric.result()}

    @property
    def metrics(self):
        # listed here, so `reset_states()` runs at the start of each epoch and of evaluate()
        return [loss_tracker, mae_metric]


inputs = keras.Input(shape=(32,))
outputs = layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam")          # no loss, no metrics: the step does it

x = np.random.random((256, 32)).astype("float32")
y = np.random.random((256, 1)).astype("float32")
progress = io.StringIO()
with contextlib.redirect_stdout(progress):
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=2)
print(progress.getvalue())
assert "Epoch 4/4" in progress.getvalue() and " - mae: " in progress.getvalue()   # the bar shows our trackers
print(history.history)
assert model.metrics_names == ["loss", "mae"]
assert history.history["loss"][-1] < history.history["loss"][0]
assert int(loss_tracker.count.numpy()) == 8      # reset at the start of the last epoch: 8 batches

result = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
assert int(loss_tracker.count.numpy()) == 4      # evaluate reset it too
model.reset_metrics()
assert float(loss_tracker.result()) == 0.0 and int(loss_tracker.count.numpy()) == 0
direct = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
assert abs(result["loss"] - direct) < 1e-4, (result, direct)
