"""Text classification from raw strings: TextVectorization inside the model, adapted on the
training text (Keras' "text classification from scratch" shape, tiny; no TensorFlow)."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(1)
good, bad, filler = ["great", "lovely", "superb"], ["awful", "boring", "dull"], ["the", "film", "was", "a", "plot"]


def review(label):
    words = list(rng.choice(filler, size=6)) + list(rng.choice(good if label else bad, size=2))
    rng.shuffle(words)
    return " ".join(words).capitalize() + "!"


y = rng.integers(0, 2, size=200)
text = np.array([review(label) for label in y])

vectorize = layers.TextVectorization(max_tokens=20, output_mode="int", output_sequence_length=10)
vectorize.adapt(text[:150])
vocab = vectorize.get_vocabulary()
assert vocab[:2] == ["", "[UNK]"] and "great" in vocab, vocab

inputs = keras.Input(shape=(1,), dtype="string")
x = vectorize(inputs)
x = layers.Embedding(len(vocab), 8)(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(5e-2), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(text[:150, None], y[:150], epochs=10, batch_size=25, verbose=0)
loss, acc = model.evaluate(text[150:, None], y[150:], verbose=0)
print("held-out accuracy", acc)
assert acc > 0.9, acc
