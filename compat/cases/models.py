"""The model zoo: whole models built the same way under every backend (``set_random_seed`` first,
initial weights compared bit-for-bit), then forward, VJP w.r.t. input and weights, and ``STEPS``
``train_on_batch`` steps with dropout on (Threefry masks are identical on every backend), comparing
the loss per step and the final weights.

Each builder takes the library (``kshim`` or real ``keras``) so the oracle builds the very same
architecture in Keras 3 and loads kshim's initial weights into it.

Tolerances: forward/gradients use ``reduction`` / ``gradient``; the training trajectory uses
``training`` (rounding differences compound over steps -- see ``tolerances.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..execute import flat, flat_grads, grad_tree, run_compiled
from ..registry import Case, register, rng_for

STEPS = 3


def mlp(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((12,)),
            k.layers.Dense(16, activation="relu"),
            k.layers.Dropout(0.2),
            k.layers.Dense(16, activation="tanh"),
            k.layers.Dense(4),
        ]
    )


def cnn_bn_dropout(k: Any) -> Any:
    L = k.layers
    return k.Sequential(
        [
            k.Input((8, 8, 1)),
            L.Conv2D(4, 3, padding="same"),
            L.BatchNormalization(),
            L.ReLU(),
            L.MaxPooling2D(2),
            L.Dropout(0.25),
            L.Flatten(),
            L.Dense(4),
        ]
    )


def residual_functional(k: Any) -> Any:
    L = k.layers
    x = k.Input((10,))
    h = L.Dense(16)(x)
    r = L.Dense(16, activation="tanh")(h)
    h = L.LayerNormalization()(L.Add()([h, r]))
    r = L.Dense(16, activation="gelu")(L.Dropout(0.1)(h))
    out = L.Dense(4)(L.Add()([h, r]))
    return k.Model(x, out)


def masked_lstm(k: Any) -> Any:
    L = k.layers
    x = k.Input((6,), dtype="int32")
    h = L.Embedding(12, 8, mask_zero=True)(x)
    h = L.LSTM(8, dropout=0.1)(h)
    return k.Model(x, L.Dense(4)(h))


def transformer_block(k: Any) -> Any:
    L = k.layers
    x = k.Input((5, 8))
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(x, x)
    h = L.LayerNormalization()(L.Add()([x, a]))
    f = L.Dense(8)(L.Dense(16, activation="gelu")(h))
    h = L.LayerNormalization()(L.Add()([h, L.Dropout(0.1)(f)]))
    return k.Model(x, L.Dense(4)(L.GlobalAveragePooling1D()(h)))


def attention_dense_softmax(k: Any) -> Any:
    """Single-head self-attention written with Dense + ops.softmax (runs without MultiHeadAttention)."""
    L, ops = k.layers, k.ops
    x = k.Input((5, 8))
    q, kk, v = L.Dense(8)(x), L.Dense(8)(x), L.Dense(8)(x)
    w = ops.softmax(ops.einsum("bqd,bkd->bqk", q, kk) * (8**-0.5), axis=-1)
    a = L.Dense(8)(ops.einsum("bqk,bkd->bqd", w, v))
    h = L.LayerNormalization()(L.Add()([x, L.Dropout(0.1)(a)]))
    f = L.Dense(8)(L.Dense(16, activation="gelu")(h))
    h = L.LayerNormalization()(L.Add()([h, f]))
    return k.Model(x, L.Dense(4)(L.GlobalAveragePooling1D()(h)))


def _float_data(shape: tuple) -> Callable:
    def make(rng: np.random.Generator, dtype: str) -> tuple:
        return rng.standard_normal((8,) + shape).astype(dtype), rng.integers(0, 4, (8,)).astype("int32")

    return make


def _token_data(rng: np.random.Generator, dtype: str) -> tuple:
    x = rng.integers(1, 12, (8, 6)).astype("int32")
    x[:, 4:] = 0  # padding, masked out by mask_zero
    return x, rng.integers(0, 4, (8,)).astype("int32")


def _compile(k: Any, model: Any) -> None:
    model.compile(
        optimizer=k.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
    )


def model_case(name: str, build: Callable, data: Callable, requires: tuple = (), note: str = "") -> Case:
    case_name = f"models.{name}"

    def run(b, dtype):
        import kshim

        x_host, y_host = data(rng_for(case_name, dtype), dtype)
        model = build(kshim)
        res = {f"init/{i}": w for i, w in enumerate(model.get_weights())}
        x = b.convert_to_tensor(x_host)
        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]
        nt = len(tv)

        def out_only(*a):
            return model.stateless_call(list(a[:nt]), ntv, a[nt], training=False)[0]

        args = tv + [x]
        argnums = [i for i, a in enumerate(args) if kshim.dtypes.is_float(b.dtype(a))]

        def both(*a):
            out = out_only(*a)
            return out, grad_tree(b, out_only, a, argnums, out, seed=len(case_name))

        out, g = run_compiled(b, both, args)
        res.update(flat(b, "forward", out))
        res.update(flat_grads(b, argnums, g))
        _compile(kshim, model)
        losses = [float(np.asarray(model.train_on_batch(x_host, y_host))) for _ in range(STEPS)]
        res["train/loss"] = np.asarray(losses, dtype="float64")
        res.update({f"train/weights/{i}": w for i, w in enumerate(model.get_weights())})
        return res

    def oracle(dtype: str, ref: dict) -> dict:
        from .. import oracle as orc

        keras = orc.import_keras()
        x_host, _ = data(rng_for(case_name, dtype), dtype)
        keras.config.set_floatx(dtype)
        try:
            model = build(keras)
            model.set_weights([ref[f"init/{i}"] for i in range(sum(1 for k in ref if k.startswith("init/")))])
            return orc.flat_numpy("forward", model(x_host, training=False))
        finally:
            keras.config.set_floatx("float32")

    req = ("models.Model", "optimizers.SGD", "losses.SparseCategoricalCrossentropy", "metrics.Mean") + requires
    return register(Case(case_name, "model", run, tol="reduction", requires=req, oracle=oracle, note=note))


model_case("mlp", mlp, _float_data((12,)))
model_case("cnn_bn_dropout", cnn_bn_dropout, _float_data((8, 8, 1)))
model_case("residual_functional", residual_functional, _float_data((10,)))
model_case("masked_lstm", masked_lstm, _token_data, requires=("layers.LSTM",))
model_case("transformer_block", transformer_block, _float_data((5, 8)), requires=("layers.MultiHeadAttention",))
model_case("attention_dense_softmax", attention_dense_softmax, _float_data((5, 8)))
