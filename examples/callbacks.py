"""Callbacks: EarlyStopping, ModelCheckpoint (best only), a LearningRateScheduler and a custom Callback."""
import os
import tempfile

import numpy as np

import keras
from keras import layers
from keras.callbacks import Callback, EarlyStopping, ModelCheckpoint

keras.utils.set_random_seed(11)

rng = np.random.default_rng(0)
x = rng.normal(size=(200, 4)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
x_val, y_val = x[150:], y[150:]
x, y = x[:150], y[:150]


class EpochRecorder(Callback):
    """A user callback: sees every epoch's logs and can read the model."""

    def __init__(self):
        super().__init__()
        self.epochs, self.batches = [], 0

    def on_train_begin(self, logs=None):
        self.start_weights = [w.copy() for w in self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))


def build():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model


with tempfile.TemporaryDirectory() as tmp:
    ckpt = os.path.join(tmp, "best.keras")
    recorder = EpochRecorder()
    lrs = []
    callbacks = [
        ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True),
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5),
        keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: lrs.append(float(model.optimizer.learning_rate))),
        recorder,
    ]
    model = build()
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=6, batch_size=50,
                        callbacks=callbacks, verbose=0)
    assert [e for e, _ in recorder.epochs] == list(range(6))
    assert recorder.batches == 6 * 3
    assert "val_loss" in recorder.epochs[-1][1]
    assert np.allclose(lrs[:3], [0.05, 0.05, 0.025]), lrs
    assert os.path.exists(ckpt)
    best = keras.models.load_model(ckpt)
    best_val = min(history.history["val_loss"])
    reloaded_val = best.evaluate(x_val, y_val, batch_size=50, verbose=0)[0]
    assert abs(reloaded_val - best_val) < 1e-4, (reloaded_val, best_val)

    # EarlyStopping on a metric that cannot improve: stops after `patience` epochs
    keras.utils.set_random_seed(11)
    model = build()
    model.optimizer.learning_rate = 0.0
    stopper = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=50, batch_size=50, callbacks=[stopper], verbose=0)
    print("stopped after", len(history.history["loss"]), "epochs")
    assert len(history.history["loss"]) == 3 and stopper.stopped_epoch == 2
