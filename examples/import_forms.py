"""The import forms Keras tutorials use, and the small utilities they call."""
import numpy as np

import keras
from keras import layers, ops
from keras.layers import Dense, Dropout, Input
from keras.models import Model, Sequential
from keras.preprocessing.sequence import pad_sequences
from keras.utils import to_categorical

print("Keras", keras.__version__, "on", keras.backend.backend())
assert keras.version() == keras.__version__
assert keras.backend.floatx() == "float32"
assert keras.config.image_data_format() == "channels_last"
assert layers.Dense is Dense and keras.models.Sequential is Sequential

keras.utils.set_random_seed(42)

# keras.preprocessing.sequence and keras.utils helpers
seqs = [[3, 1, 4], [1, 5], [9, 2, 6, 5, 3]]
padded = keras.preprocessing.sequence.pad_sequences(seqs, maxlen=4)
assert padded.shape == (3, 4) and padded[1].tolist() == [0, 0, 1, 5]
post = pad_sequences(seqs, maxlen=4, padding="post", truncating="post")
assert post[2].tolist() == [9, 2, 6, 5] and post[1].tolist() == [1, 5, 0, 0]

labels = np.array([0, 2, 1, 2])
onehot = to_categorical(labels, num_classes=3)
assert onehot.shape == (4, 3) and onehot.argmax(axis=1).tolist() == labels.tolist()
assert np.allclose(np.linalg.norm(keras.utils.normalize(np.array([[3.0, 4.0]])), axis=-1), 1.0)

# keras.ops works on NumPy data and returns backend tensors
t = ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(2, 3))
assert ops.shape(ops.transpose(t)) == (3, 2)
assert float(ops.convert_to_numpy(ops.sum(t))) == 15.0
assert keras.backend.standardize_dtype(np.float32) == "float32"

# Both model-building styles from the imported names
x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
y = to_categorical((x[:, 0] > 0).astype("int32"), 2)
seq = Sequential([Input(shape=(8,)), Dense(16, activation="relu"), Dropout(0.1), Dense(2, activation="softmax")])
inp = Input(shape=(8,))
fun = Model(inp, Dense(2, activation="softmax")(Dense(16, activation="relu")(inp)))
for model in (seq, fun):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x[:5], verbose=0).shape == (5, 2)
print("import forms OK")
