"""Custom test_step and predict_step: evaluate() and predict() run the model's own steps."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(4)


class ClassifierWithConfidence(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body = layers.Dense(16, activation="relu")
        self.head = layers.Dense(3)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.confidence = keras.metrics.Mean(name="confidence")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def call(self, x):
        return self.head(self.body(x))

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        probs = ops.softmax(logits)
        self.loss_tracker.update_state(self.compute_loss(x=x, y=y, y_pred=logits))
        self.confidence.update_state(ops.max(probs, axis=-1))
        self.accuracy.update_state(y, probs)
        return {m.name: m.result() for m in (self.loss_tracker, self.confidence, self.accuracy)}

    def predict_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        probs = ops.softmax(self(x, training=False))
        return {"label": ops.argmax(probs, axis=-1), "probability": ops.max(probs, axis=-1)}


rng = np.random.default_rng(2)
y = rng.integers(0, 3, size=240)
x = (np.eye(3, 5)[y] * 3 + rng.normal(size=(240, 5))).astype("float32")

model = ClassifierWithConfidence()
model.compile(optimizer=keras.optimizers.Adam(0.02),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
before = model.evaluate(x, y, batch_size=60, verbose=0, return_dict=True)
model.fit(x, y, epochs=5, batch_size=30, verbose=0)
after = model.evaluate(x, y, batch_size=60, verbose=0, return_dict=True)
print("before", before, "\nafter", after)
assert set(after) == {"loss", "confidence", "accuracy"}
assert after["loss"] < before["loss"] and after["confidence"] > before["confidence"]
assert after["accuracy"] > 0.9

out = model.predict(x, batch_size=60, verbose=0)
assert set(out) == {"label", "probability"} and out["label"].shape == (240,)
assert np.mean(out["label"] == y) > 0.9
assert np.all((out["probability"] > 1 / 3 - 1e-6) & (out["probability"] <= 1.0 + 1e-6))
