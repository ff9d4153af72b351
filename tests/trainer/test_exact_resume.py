"""BackupAndRestore resumes exactly (issue 22, item 7): a run interrupted at any batch and restarted
ends with weights bitwise equal to the uninterrupted run, with shuffle=True, dropout, Adam and
save_freq=N or "epoch", on every backend (Keras only guarantees epoch boundaries without shuffling)."""
import numpy as np
import pytest

import kshim as keras
from kshim import callbacks, layers


class Interrupted(Exception):
    pass


class KillAt(callbacks.Callback):
    """Stands in for a SIGKILL after (epoch, batch): fit never reaches on_train_end."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise Interrupted


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype("float32")  # 8 batches of 8: the last one partial
    return x, (x[:, :1] * 2 - x[:, 1:2]).astype("float32")


def _run(backup, kill=None, save_freq=3):
    """What one process of a user's script does: seed, build, compile, fit with a backup."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(16, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    cbs = [callbacks.BackupAndRestore(backup, save_freq=save_freq)] + ([KillAt(*kill)] if kill else [])
    x, y = _data()
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=True, callbacks=cbs, verbose=0)
    return model.get_weights(), history.history


@pytest.mark.parametrize("save_freq,kill", [(3, (0, 4)), (3, (1, 7)), (2, (2, 1)), ("epoch", (1, 3)),
                                            (1, (0, 7))])
def test_interrupted_run_resumes_bitwise(backend, tmp_path, save_freq, kill):
    ref_weights, ref_hist = _run(tmp_path / "ref", save_freq=save_freq)
    backup = tmp_path / "backup"
    with pytest.raises(Interrupted):
        _run(backup, kill=kill, save_freq=save_freq)
    assert (backup / "latest.weights.h5").exists()
    weights, hist = _run(backup, save_freq=save_freq)  # "restart the script"
    for a, b in zip(ref_weights, weights):
        np.testing.assert_array_equal(a, b)
    # The epoch resumed mid-way reports the same metrics as the uninterrupted one did.
    resumed = len(hist["loss"])
    np.testing.assert_allclose(hist["loss"], ref_hist["loss"][-resumed:], rtol=1e-6)
    assert not backup.exists()  # removed after the completed run
