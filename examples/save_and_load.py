"""Saving a model with a custom layer to `.keras`, reloading it, and weights-only checkpoints."""
import os
import tempfile

import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(5)


@keras.saving.register_keras_serializable(package="examples")
class ScaledDense(layers.Layer):
    """A custom layer with its own weights and config."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return self.scale * (ops.matmul(inputs, self.w) + self.b)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale": self.scale})
        return config


inputs = keras.Input(shape=(6,))
x = ScaledDense(16, scale=0.5)(inputs)
x = layers.Activation("tanh")(x)
x = layers.BatchNormalization()(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

rng = np.random.default_rng(2)
data = rng.normal(size=(96, 6)).astype("float32")
labels = rng.integers(0, 3, size=96)
model.fit(data, labels, epochs=2, batch_size=32, verbose=0)
expected = model.predict(data, verbose=0)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "my_model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored.layers[1], ScaledDense) and restored.layers[1].scale == 0.5
    np.testing.assert_allclose(restored.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # the optimizer state came back too: training continues identically
    model.fit(data, labels, epochs=1, batch_size=32, shuffle=False, verbose=0)
    restored.fit(data, labels, epochs=1, batch_size=32, shuffle=False, verbose=0)
    np.testing.assert_allclose(restored.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-4, atol=1e-5)

    # weights only
    wpath = os.path.join(tmp, "ckpt.weights.h5")
    model.save_weights(wpath)
    clone = keras.models.clone_model(model)
    clone.load_weights(wpath)
    np.testing.assert_allclose(clone.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)

    # architecture only, through JSON
    from_json = keras.models.model_from_json(model.to_json())
    from_json.set_weights(model.get_weights())
    np.testing.assert_allclose(from_json.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)

    # an unregistered custom layer is supplied at load time
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return self.factor * x

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    small = keras.Sequential([keras.Input((6,)), layers.Dense(2), Scale(3.0)])
    small.save(os.path.join(tmp, "small.keras"))
    with keras.utils.custom_object_scope({"Scale": Scale}):
        reloaded = keras.models.load_model(os.path.join(tmp, "small.keras"))
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), small.predict(data, verbose=0), rtol=1e-6)
    reloaded = keras.models.load_model(os.path.join(tmp, "small.keras"), custom_objects={"Scale": Scale})
    assert isinstance(reloaded.layers[-1], Scale) and reloaded.layers[-1].factor == 3.0
print("save/load OK")
