"""Functional subclassing: a Model subclass whose __init__ builds a graph and calls
super().__init__(inputs, outputs); get_config makes it savable; plus a subclass without call()."""
import os
import tempfile

import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(8)


@keras.saving.register_keras_serializable(package="examples")
class ResidualRegressor(keras.Model):
    def __init__(self, width=16, **kwargs):
        inputs = keras.Input(shape=(5,), name="features")
        h = layers.Dense(width, activation="relu")(inputs)
        h = layers.add([h, layers.Dense(width, activation="relu")(h)])
        outputs = layers.Dense(1, name="target")(h)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.width = width

    def get_config(self):
        return {"width": self.width, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="examples")
class Annotated(keras.Model):
    """No __init__ and no call: built as Annotated(inputs=..., outputs=...), adds helpers."""

    def num_dense(self):
        return sum(isinstance(layer, layers.Dense) for layer in self.layers)


rng = np.random.default_rng(9)
x = rng.normal(size=(160, 5)).astype("float32")
y = (np.tanh(x[:, :2]).sum(axis=1, keepdims=True) + 0.1 * x[:, 2:3]).astype("float32")

model = ResidualRegressor(width=24, name="residual")
model.summary()
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit(x, y, epochs=6, batch_size=32, verbose=0)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

inp = keras.Input(shape=(5,))
annotated = Annotated(inputs=inp, outputs=layers.Dense(3)(layers.Dense(4)(inp)), name="annotated")
assert annotated.num_dense() == 2

with tempfile.TemporaryDirectory() as tmp:
    for m in (model, annotated):
        path = os.path.join(tmp, m.name + ".keras")
        m.save(path)
        restored = keras.models.load_model(path)
        assert type(restored) is type(m), type(restored)
        np.testing.assert_allclose(restored.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert restored.num_dense() == 2
    assert keras.models.load_model(os.path.join(tmp, "residual.keras")).width == 24
