"""A Sequential classifier on the bundled 8x8 digits, with summary() and evaluate()."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(1337)

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
x_test = x_test.reshape(-1, 64).astype("float32") / 16.0
num_classes = 10

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(num_classes, activation="softmax"),
    ],
    name="digits_mlp",
)
model.summary()

lines = []
model.summary(print_fn=lambda line, **kwargs: lines.append(line))
text = "\n".join(lines)
assert "digits_mlp" in text and "Total params: 4,810" in text, text

model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-2),
              metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=6, validation_split=0.1, verbose=2)
assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0], "Test accuracy:", score[1])
assert score[1] > 0.85, score
probs = model.predict(x_test[:10], verbose=0)
assert probs.shape == (10, num_classes) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
