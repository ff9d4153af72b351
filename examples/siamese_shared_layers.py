"""A siamese network: one embedding tower shared by two inputs, trained on pair similarity."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(13)

(x_train, y_train), _ = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
rng = np.random.default_rng(5)


def make_pairs(x, y, n):
    by_class = [np.where(y == c)[0] for c in range(10)]
    a = rng.integers(0, len(x), size=n)
    same = rng.random(n) < 0.5
    b = np.array([rng.choice(by_class[y[i]]) if s else rng.choice(np.where(y != y[i])[0])
                  for i, s in zip(a, same)])
    return x[a], x[b], same.astype("float32")  # 1: the same digit


xa, xb, labels = make_pairs(x_train, y_train, 1024)

tower = keras.Sequential([keras.Input((64,)), layers.Dense(32, activation="relu"), layers.Dense(16)], name="tower")
input_a = keras.Input((64,), name="left")
input_b = keras.Input((64,), name="right")
emb_a, emb_b = tower(input_a), tower(input_b)      # the same weights for both branches


def euclidean_distance(vects):
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


distance = layers.Lambda(euclidean_distance, output_shape=(1,), name="distance")([emb_a, emb_b])
siamese = keras.Model(inputs=[input_a, input_b], outputs=distance)
siamese.summary()
assert len(siamese.trainable_weights) == 4  # the tower's weights, counted once


def contrastive_loss(y_true, y_pred, margin=1.0):
    """Hadsell et al.: pull similar pairs (label 1) together, push others beyond the margin."""
    y_true = ops.reshape(ops.cast(y_true, y_pred.dtype), ops.shape(y_pred))
    return ops.mean(y_true * ops.square(y_pred) + (1 - y_true) * ops.square(ops.maximum(margin - y_pred, 0.0)))


def pair_accuracy(y_true, y_pred):
    """A metric function: a pair is called similar when its distance is under half the margin."""
    y_true = ops.reshape(ops.cast(y_true, y_pred.dtype), ops.shape(y_pred))
    return ops.mean(ops.cast(ops.equal(y_true, ops.cast(y_pred < 0.5, y_pred.dtype)), "float32"))


siamese.compile(loss=contrastive_loss, optimizer=keras.optimizers.RMSprop(3e-3), metrics=[pair_accuracy])
history = siamese.fit([xa[:768], xb[:768]], labels[:768], batch_size=128, epochs=8, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
acc = siamese.evaluate({"left": xa[768:], "right": xb[768:]}, labels[768:], verbose=0, return_dict=True)["pair_accuracy"]
print("pair accuracy", acc)
assert acc > 0.8, acc

# the tower alone embeds single images; same-digit images land closer than different ones
emb = tower.predict(x_train[:192], verbose=0)
d = np.linalg.norm(emb[:, None] - emb[None], axis=-1)
same = y_train[:192, None] == y_train[None, :192]
assert d[same].mean() < d[~same].mean()
