"""A Sequential classifier on the bundled 8x8 digits, with summary() and evaluate()."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(1337)

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
# a subset in whole batches keeps the example fast
x_train, y_train = x_train[:1280].reshape(-1, 64).astype("float32") / 16.0, y_train[:1280]
x_test, y_test = x_test[:320].reshape(-1, 64).astype("float32") / 16.0, y_test[:320]
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
              metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(3, name="top3")])
history = model.fit(x_train, y_train, batch_size=128, epochs=6, validation_split=0.2, verbose=2)
assert set(history.history) == {"accuracy", "loss", "top3", "val_accuracy", "val_loss", "val_top3"}

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0], "Test accuracy:", score[1])
assert score[1] > 0.85 and score[2] >= score[1], score
probs = model.predict(x_test[:10], verbose=0)
assert probs.shape == (10, num_classes) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
