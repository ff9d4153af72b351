"""Time-series forecasting with an LSTM: windows of a noisy sine predict the next value."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(2)

rng = np.random.default_rng(0)
t = np.arange(600, dtype="float32")
series = np.sin(0.1 * t) + 0.05 * rng.normal(size=t.shape).astype("float32")
window = 12
x = np.stack([series[i:i + window] for i in range(len(series) - window)])[..., None]
y = series[window:][:, None]
split = 448
x_train, y_train, x_val, y_val = x[:split], y[:split], x[split:split + 128], y[split:split + 128]

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(16),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
baseline = float(np.mean((x_val[:, -1, 0] - y_val[:, 0]) ** 2))  # "tomorrow = today"
model.fit(x_train, y_train, epochs=5, batch_size=64, verbose=0)
val_mse = model.evaluate(x_val, y_val, verbose=0)[0]
print("val mse", val_mse, "naive baseline", baseline)
assert val_mse < 0.05, val_mse

# Stacked LSTMs returning sequences, then one per-step prediction
seq2seq = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(8, return_sequences=True),
    layers.LSTM(8, return_sequences=True),
    layers.TimeDistributed(layers.Dense(1)),
])
assert seq2seq.predict(x_val[:3], verbose=0).shape == (3, window, 1)
