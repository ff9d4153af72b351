"""A subclassed Model: layers created in __init__, forward pass in call(), `training` honoured."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(3)


class MLP(keras.Model):
    def __init__(self, hidden=32, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.hidden(inputs)
        x = self.dropout(x, training=training)
        return self.classifier(x)


rng = np.random.default_rng(1)
centers = np.array([[2, 0], [-2, 0], [0, 2.5]], "float32")
y = rng.integers(0, 3, size=320)
x = (centers[y] + rng.normal(scale=0.6, size=(320, 2))).astype("float32")

model = MLP()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-2),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
history = model.fit(x, y, batch_size=64, epochs=8, verbose=0)
model.summary()
assert len(model.trainable_weights) == 4

logits = model(x[:8], training=False)
again = model(x[:8], training=False)
assert np.allclose(ops.convert_to_numpy(logits), ops.convert_to_numpy(again))  # no dropout at inference
noisy = model(x[:8], training=True)
assert not np.allclose(ops.convert_to_numpy(logits), ops.convert_to_numpy(noisy))  # dropout in training

acc = model.evaluate(x, y, verbose=0, return_dict=True)["acc"]
print("accuracy", acc, "loss history", history.history["loss"])
assert acc > 0.9, acc
