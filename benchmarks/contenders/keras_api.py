"""kshim and real Keras 3 through the same Keras API (``fit``/``predict`` with ``verbose=0``)."""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from ..seq_memory import MemoryProbe
from ..seq_models import SEQ_WORKLOADS, keras_model
from ..workloads import LEARNING_RATE, Workload, warm_up


class KerasAPIContender(MemoryProbe):
    def __init__(self, lib: str, backend: str) -> None:
        self.lib, self.backend_name = lib, backend
        if lib == "kshim":
            os.environ["KSHIM_BACKEND"] = backend
            import kshim as K
            K.backend.set_backend(backend)
            assert K.backend.backend() == backend
        else:
            os.environ["KERAS_BACKEND"] = backend
            import keras as K
            assert K.backend.backend() == backend, (K.backend.backend(), backend)
        self.K = K

    def build(self, w: Workload) -> Any:
        K, L = self.K, self.K.layers
        if w.kind == "mlp":
            layers = [K.Input(w.input_shape), L.Dense(w.width, activation="relu"), L.Dense(w.width, activation="relu"),
                      L.Dense(w.num_outputs)]
        elif w.kind == "cnn":
            layers = [K.Input(w.input_shape), L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                      L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)), L.Flatten(),
                      L.Dropout(0.5), L.Dense(w.num_outputs)]
        elif w.kind == "tiny":
            layers = [K.Input(w.input_shape), L.Dense(16, activation="relu"), L.Dense(w.num_outputs)]
        elif w.kind not in SEQ_WORKLOADS:
            raise KeyError(w.kind)
        model = keras_model(K, w) if w.kind in SEQ_WORKLOADS else K.Sequential(layers)
        loss = (K.losses.SparseCategoricalCrossentropy(from_logits=True) if w.loss == "sparse_ce_logits"
                else K.losses.MeanSquaredError())
        model.compile(optimizer=K.optimizers.Adam(learning_rate=LEARNING_RATE), loss=loss)
        return model

    def setup(self, w: Workload, x: np.ndarray, y: np.ndarray) -> None:
        self.K.utils.set_random_seed(0)
        self.w, self.x, self.y = w, x, y
        self.model = self.build(w)
        warm_up(self)

    def train(self, n: int) -> float:
        b = self.w.batch_size
        x, y = self.x[: n * b], self.y[: n * b]
        t0 = time.perf_counter()
        self.model.fit(x, y, batch_size=b, epochs=1, verbose=0, shuffle=False)
        return time.perf_counter() - t0

    def predict(self, n: int) -> float:
        b = self.w.batch_size
        x = self.x[: n * b]
        t0 = time.perf_counter()
        out = self.model.predict(x, batch_size=b, verbose=0)
        dt = time.perf_counter() - t0
        assert isinstance(out, np.ndarray) and out.shape[0] == n * b, type(out)
        return dt

    def info(self) -> dict:
        out: dict[str, Any] = {}
        if self.backend_name == "torch":
            import torch
            out["torch_threads"] = torch.get_num_threads()
        if self.backend_name == "jax":
            import jax
            out["jax_devices"] = [str(d) for d in jax.devices()]
        return out
