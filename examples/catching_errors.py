"""Mistakes a Keras user catches with `except ValueError`: the exception types are Keras' own."""
import numpy as np

import keras
from keras import layers


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        print(f"{exc_type.__name__}: {str(e).splitlines()[0][:100]}")
        return e
    raise AssertionError(f"{fn} did not raise {exc_type.__name__}")


x = np.zeros((8, 4), "float32")
y = np.zeros((8, 1), "float32")
model = keras.Sequential([keras.Input((4,)), layers.Dense(1, name="out")])

raises(ValueError, model.fit, x, y, verbose=0)                            # fit before compile
raises(ValueError, layers.Dense, -1)                                      # invalid units
raises(ValueError, layers.Dense, 2, activation="no_such_activation")
raises(ValueError, model.compile, optimizer="no_such_optimizer", loss="mse")
raises(ValueError, model.get_layer, "no_such_layer")
raises(ValueError, model.set_weights, [np.zeros((3, 1))])                 # wrong number of arrays

model.compile(optimizer="sgd", loss="mse")
raises(ValueError, model.predict, np.zeros((8, 5), "float32"), verbose=0)  # wrong feature size

# a target/prediction mismatch in a loss says which loss and both shapes
classifier = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
classifier.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
err = raises(ValueError, classifier.fit, x, np.zeros((8, 2), "float32"), verbose=0)
assert "(8, 2)" in str(err) or "(None, 2)" in str(err), err

# with the mistakes fixed, training works
classifier.fit(x, np.zeros((8,), "int32"), epochs=1, verbose=0)
assert classifier.predict(x, verbose=0).shape == (8, 3)
