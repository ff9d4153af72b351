"""The functional API: a model as a graph of layers, with a residual connection and named layers."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(7)

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 10)).astype("float32")
w = rng.normal(size=(10, 1)).astype("float32")
y = (x @ w + 0.5 * np.sin(x[:, :1])).astype("float32")

inputs = keras.Input(shape=(10,), name="features")
h = layers.Dense(32, activation="relu", name="dense_1")(inputs)
h2 = layers.Dense(32, activation="relu", name="dense_2")(h)
h = layers.add([h, h2])                       # residual connection
h = layers.LayerNormalization()(h)
outputs = layers.Dense(1, name="prediction")(h)
model = keras.Model(inputs=inputs, outputs=outputs, name="regressor")
model.summary()

assert model.get_layer("dense_2").output.shape == (None, 32)
assert [t.shape for t in model.inputs] == [(None, 10)]

model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="mse", metrics=["mae"])
before = model.evaluate(x, y, verbose=0, return_dict=True)
model.fit(x, y, batch_size=32, epochs=8, verbose=0)
after = model.evaluate(x, y, verbose=0, return_dict=True)
print("before", before, "after", after)
assert after["loss"] < 0.25 * before["loss"], (before, after)

# A feature extractor sharing the trained layers
extractor = keras.Model(inputs=model.inputs, outputs=model.get_layer("dense_1").output)
assert extractor.predict(x[:4], verbose=0).shape == (4, 32)
