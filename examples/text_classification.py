"""Text classification: integer sequences, pad_sequences, Embedding and pooling (IMDB-style, synthetic)."""
import numpy as np

import keras
from keras import layers
from keras.preprocessing.sequence import pad_sequences

keras.utils.set_random_seed(21)

vocab_size, maxlen = 50, 20
rng = np.random.default_rng(3)
positive_words, negative_words = np.arange(2, 7), np.arange(7, 12)


def make_review(label):
    n = rng.integers(5, 30)
    words = rng.integers(12, vocab_size, size=n)
    k = max(1, n // 4)
    pos = rng.choice(n, size=k, replace=False)
    words[pos] = rng.choice(positive_words if label else negative_words, size=k)
    return words.tolist()


y = rng.integers(0, 2, size=384)
reviews = [make_review(label) for label in y]
x = pad_sequences(reviews, maxlen=maxlen)          # pre-padding and pre-truncation, as Keras
assert x.shape == (384, maxlen) and x.dtype == np.int32

model = keras.Sequential(
    [
        keras.Input(shape=(maxlen,), dtype="int32"),
        layers.Embedding(vocab_size, 16, mask_zero=True),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x[:256], y[:256], validation_data=(x[256:], y[256:]), epochs=6, batch_size=64, verbose=0)
loss, acc = model.evaluate(x[256:], y[256:], verbose=0)
print("validation accuracy", acc)
assert acc > 0.85, acc

# A bidirectional GRU reads the same sequences
rnn = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab_size, 8),
    layers.Bidirectional(layers.GRU(8)),
    layers.Dense(1, activation="sigmoid"),
])
rnn.compile(optimizer="adam", loss="binary_crossentropy")
h = rnn.fit(x[:128], y[:128], epochs=2, batch_size=64, verbose=0)
assert rnn.output_shape == (None, 1) and np.isfinite(h.history["loss"]).all()
