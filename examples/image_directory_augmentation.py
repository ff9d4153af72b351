"""Image classification from a directory of PNG files, with augmentation layers in the model
(Keras' "image classification from scratch" shape, tiny and synthetic; no TensorFlow)."""
import os
import tempfile

import numpy as np
from PIL import Image

import keras
from keras import layers

keras.utils.set_random_seed(5)
root = tempfile.mkdtemp()
rng = np.random.default_rng(0)
for label, name in enumerate(["horizontal", "vertical"]):
    os.makedirs(os.path.join(root, name))
    for i in range(24):
        img = rng.integers(0, 40, size=(16, 16, 3)).astype("uint8")
        stripe = slice(6, 10)
        if label == 0:
            img[stripe, :, :] = 255
        else:
            img[:, stripe, :] = 255
        Image.fromarray(img).save(os.path.join(root, name, f"{i}.png"))

train_ds, val_ds = keras.utils.image_dataset_from_directory(
    root, validation_split=0.25, subset="both", seed=1, image_size=(16, 16), batch_size=8)
assert train_ds.class_names == ["horizontal", "vertical"]

augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.05, 0.05)])
inputs = keras.Input((16, 16, 3))
x = augment(inputs)
x = layers.Rescaling(1.0 / 255)(x)
x = layers.Conv2D(8, 3, activation="relu")(x)
x = layers.GlobalMaxPooling2D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(3e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=8, verbose=0)
loss, acc = model.evaluate(val_ds, verbose=0)
print("validation accuracy", acc)
assert acc >= 0.75, acc

# the same augmentation as a data-pipeline function on NumPy batches
batch = next(iter(train_ds))[0]
out = augment(batch, training=True)
assert tuple(out.shape) == tuple(batch.shape)
