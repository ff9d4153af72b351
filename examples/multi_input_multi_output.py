"""Multiple inputs and outputs with dict data (the keras.io "ticket triage" model, synthetic)."""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(17)

num_tags, num_words, num_departments = 6, 200, 3
title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Embedding(num_words, 16)(title_input)
body_features = layers.Embedding(num_words, 16)(body_input)
title_features = layers.LSTM(16)(title_features)
body_features = layers.GlobalAveragePooling1D()(body_features)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)

model = keras.Model(inputs=[title_input, body_input, tags_input],
                    outputs={"priority": priority_pred, "department": department_pred})
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(3e-2),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
    metrics={"department": ["accuracy"]},
)

rng = np.random.default_rng(6)
n = 256
title_data = rng.integers(0, num_words, size=(n, 8))
body_data = rng.integers(0, num_words, size=(n, 20))
tags_data = rng.integers(0, 2, size=(n, num_tags)).astype("float32")
priority_targets = (tags_data[:, :1] > 0.5).astype("float32")
dept = (tags_data[:, 1] + tags_data[:, 2]).astype("int64")
dept_targets = keras.utils.to_categorical(dept, num_departments)

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=10, batch_size=64, verbose=0,
)
logs = history.history
print(sorted(logs))
assert {"loss", "priority_loss", "department_loss", "department_accuracy"} <= set(logs), sorted(logs)
assert logs["loss"][-1] < logs["loss"][0]
assert logs["department_accuracy"][-1] > 0.9, logs["department_accuracy"]

preds = model.predict({"title": title_data[:5], "body": body_data[:5], "tags": tags_data[:5]}, verbose=0)
assert preds["priority"].shape == (5, 1) and preds["department"].shape == (5, num_departments)
