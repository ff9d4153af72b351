"""A small convnet on the 8x8 digits (channels_last images), as in the MNIST convnet tutorial."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(0)

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
# a subset in whole batches keeps the example fast
x_train = np.expand_dims(x_train[:1280].astype("float32") / 16.0, -1)
x_test = np.expand_dims(x_test[:320].astype("float32") / 16.0, -1)
y_train = keras.utils.to_categorical(y_train[:1280], 10)
y_test = keras.utils.to_categorical(y_test[:320], 10)
print("x_train shape:", x_train.shape)

model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dropout(0.25),
        layers.Dense(10, activation="softmax"),
    ]
)
model.summary()
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=5, verbose=0)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", acc)
assert acc > 0.8, acc
assert model.layers[0].output.shape == (None, 8, 8, 16)
