"""Overriding compute_loss and compute_metrics: fit() trains on the model's own objective (here a
penalised loss) and reports the model's own extra metric."""
import numpy as np

import keras
from keras import layers, ops


class SmoothModel(keras.Model):
    """Adds an output-magnitude penalty to the compiled loss."""

    def __init__(self, penalty=0.1, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        return loss + self.penalty * ops.mean(ops.square(y_pred))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logs = super().compute_metrics(x, y, y_pred, sample_weight)   # the compiled metrics and loss
        logs["max_error"] = ops.max(ops.abs(y_pred - y))               # and one of our own, per batch
        return logs


rng = np.random.default_rng(3)
x = rng.normal(size=(256, 4)).astype("float32")
y = (3.0 + x[:, :1]).astype("float32")

results = {}
for penalty in (0.0, 1.0):
    keras.utils.set_random_seed(0)
    model = SmoothModel(penalty=penalty)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=12, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "mae", "max_error"}, history.history.keys()
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["max_error"]).all() and history.history["max_error"][-1] > 0
    results[penalty] = float(np.mean(model.predict(x, verbose=0)))
print("mean prediction by penalty", results)
# mse alone fits the mean 3; the penalty pulls predictions towards 0 (optimum near 3 / (1 + 1) = 1.5)
assert abs(results[0.0] - 3.0) < 0.3, results
assert results[1.0] < 2.2, results
