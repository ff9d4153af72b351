"""``compile(loss="crossentropy")`` / ``"ce"``: Keras picks the crossentropy from the first batch's shapes
(binary for one output unit, sparse categorical for integer labels, categorical for one-hot)."""
import numpy as np
import pytest

import kshim as keras


def _history(loss, units, y, x):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)),
                          keras.layers.Dense(units, activation="sigmoid" if units == 1 else "softmax")])
    m.compile("sgd", loss)
    return m.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history["loss"]


@pytest.mark.parametrize("spelling", ["crossentropy", "CE", "ce"])
@pytest.mark.parametrize("case", ["binary", "sparse", "categorical"])
def test_crossentropy_is_chosen_from_shapes(backend, spelling, case):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    labels = rng.integers(0, 3, 32)
    units, y, explicit = {
        "binary": (1, (x[:, :1] > 0).astype("float32"), "binary_crossentropy"),
        "sparse": (3, labels, "sparse_categorical_crossentropy"),
        "categorical": (3, np.eye(3, dtype="float32")[labels], "categorical_crossentropy"),
    }[case]
    # the same program, only the loss spelled differently: identical numbers
    np.testing.assert_array_equal(_history(spelling, units, y, x), _history(explicit, units, y, x))


def test_losses_get_still_refuses_crossentropy():
    with pytest.raises(ValueError):
        keras.losses.get("crossentropy")  # as Keras: only compile resolves it
