"""Time-series classification with Conv1D (the keras.io FordA recipe, on synthetic signals)."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(8)

rng = np.random.default_rng(4)
n, length = 256, 64
t = np.linspace(0, 1, length, dtype="float32")
y = rng.integers(0, 2, size=n)
freq = np.where(y == 1, 8.0, 3.0)[:, None]
x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, size=(n, 1))) + 0.3 * rng.normal(size=(n, length))
x = x.astype("float32")[..., np.newaxis]


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)
    conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization(momentum=0.9)(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization(momentum=0.9)(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    gap = keras.layers.GlobalAveragePooling1D()(conv2)
    output_layer = keras.layers.Dense(2, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x.shape[1:])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-4)]
history = model.fit(x[:192], y[:192], batch_size=32, epochs=6, validation_split=1 / 6, callbacks=callbacks, verbose=0)
loss, acc = model.evaluate(x[192:], y[192:], verbose=0)
print("test accuracy", acc)
assert acc > 0.9, acc
assert history.history["loss"][-1] < history.history["loss"][0]
