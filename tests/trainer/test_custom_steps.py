"""A model's own train_step/test_step/predict_step/compute_loss is what fit/evaluate/predict run
(issue 13, item 2), in the backend-neutral form on every backend and in Keras' per-backend forms."""
import numpy as np
import pytest

import kshim as keras
from kshim import layers, ops


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + 0.1).astype("float32")
    return x, y


def _mlp(cls=keras.Sequential, **kw):
    keras.utils.set_random_seed(1)
    return cls([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)], **kw)


class NeutralStep(keras.Sequential):
    """The recommended form: kshim.value_and_grad, runs on every backend."""

    calls = 0

    def train_step(self, data):
        type(self).calls += 1
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=y_pred), y_pred

        (loss, y_pred), grads = keras.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        self.optimizer.apply(grads, self.trainable_variables)
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_custom_step_equals_builtin_fit(backend):
    x, y = _data()
    ref = _mlp()
    ref.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    h_ref = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    NeutralStep.calls = 0
    m = _mlp(NeutralStep)
    m.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    h = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    # The override ran: 8 steps eagerly, or on jax traced once under jit (nothing left to create).
    assert NeutralStep.calls == (1 if backend.name == "jax" else 8)
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(h.history) == {"loss", "mae"}
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h.history["mae"], h_ref.history["mae"], rtol=1e-5)


def test_neutral_step_agrees_across_backends():
    x, y = _data()
    weights = {}
    for name in ("numpy", "jax", "torch"):
        try:
            ctx = keras.backend.use(name)
            ctx.__enter__()
        except ImportError:
            continue
        try:
            m = _mlp(NeutralStep)
            m.compile(keras.optimizers.Adam(0.01), "mse")
            m.fit(x, y, batch_size=16, epochs=2, verbose=0)
            weights[name] = m.get_weights()
        finally:
            ctx.__exit__(None, None, None)
    base = weights.pop("numpy")
    for other in weights.values():
        for a, b in zip(base, other):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class SuperStep(keras.Sequential):
    seen = []

    def train_step(self, data):
        type(self).seen.append(len(data))
        return super().train_step(data)


def test_super_train_step_and_sample_weights(backend):
    x, y = _data()
    sw = np.linspace(0.5, 1.5, len(x)).astype("float32")
    ref = _mlp()
    ref.compile(keras.optimizers.SGD(0.05), "mse")
    ref.fit(x, y, sample_weight=sw, batch_size=16, epochs=1, shuffle=False, verbose=0)
    SuperStep.seen = []
    m = _mlp(SuperStep)
    m.compile(keras.optimizers.SGD(0.05), "mse")
    m.fit(x, y, sample_weight=sw, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert SuperStep.seen and set(SuperStep.seen) == {3}  # Keras' (x, y, sample_weight) structure
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class TrackerModel(keras.Model):
    """keras-io style: own loss tracker and MAE metric listed in `metrics`."""

    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(8, activation="relu")
        self.d2 = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x):
        return self.d2(self.d1(x))

    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return ops.mean(ops.square(y_pred - y)), y_pred

        (loss, y_pred), grads = keras.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        self.optimizer.apply(grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_user_metrics_are_model_metrics_and_reset_per_epoch(backend):
    x, y = _data()
    keras.utils.set_random_seed(2)
    m = TrackerModel()
    m.compile(optimizer=keras.optimizers.SGD(0.05))  # no loss: the step computes its own
    h = m.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert m.metrics_names == ["loss", "mae"]
    assert set(h.history) == {"loss", "mae"}
    assert h.history["loss"][-1] < h.history["loss"][0]
    # reset per epoch: the epoch-3 value is the mean over epoch 3 only, which evaluate reproduces
    # closely after training (weights move little within one epoch).
    assert m.loss_tracker.count.numpy() == 4


class NoPropertyTracker(TrackerModel):
    metrics = keras.Model.metrics  # not overridden: tracked attributes must still be found


def test_tracked_metrics_found_without_property(backend):
    m = NoPropertyTracker()
    m.compile(optimizer="sgd")
    x, y = _data()
    h = m.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert {"loss", "mae"} <= set(m.metrics_names)
    assert set(h.history) == {"loss", "mae"}


class CustomLoss(keras.Sequential):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        base = super().compute_loss(x, y, y_pred, sample_weight, training)
        return base + 0.0 * ops.sum(y_pred) + 1.0  # a constant offset: gradients unchanged


def test_compute_loss_override_is_used(backend):
    x, y = _data()
    ref = _mlp()
    ref.compile(keras.optimizers.SGD(0.05), "mse")
    h_ref = ref.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    m = _mlp(CustomLoss)
    m.compile(keras.optimizers.SGD(0.05), "mse")
    h = m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], h_ref.history["loss"][0] + 1.0, rtol=1e-5)
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class AddLossLayer(layers.Layer):
    def call(self, x):
        self.add_loss(ops.mean(ops.square(x - 2.0)))
        return x


def test_compile_without_loss_trains_on_added_losses(backend):
    keras.utils.set_random_seed(3)
    inp = keras.Input((4,))
    out = AddLossLayer()(layers.Dense(4)(inp))
    m = keras.Model(inp, out)
    m.compile(keras.optimizers.SGD(0.1))
    x, _ = _data()
    h = m.fit(x, batch_size=16, epochs=3, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    m2 = _mlp()
    m2.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        m2.fit(x, _data()[1], epochs=1, verbose=0)


class MetricLayer(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.activity = keras.metrics.Mean(name="activity")

    def call(self, x):
        self.activity.update_state(ops.mean(ops.abs(x)))
        return x


def test_metric_updated_inside_a_layer_call(backend):
    keras.utils.set_random_seed(4)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3), MetricLayer(), layers.Dense(1)])
    m.compile("sgd", "mse")
    x, y = _data()
    h = m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert "activity" in h.history and h.history["activity"][0] > 0
    assert m.metrics[-1].name == "activity"


class CustomEval(keras.Sequential):
    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return {"max_err": ops.max(ops.abs(y_pred - y))}

    def predict_step(self, data):
        return self(data, training=False) * 2.0


def test_test_and_predict_step_overrides(backend):
    x, y = _data()
    m = _mlp(CustomEval)
    m.compile("sgd", "mse")
    logs = m.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    plain = keras.Sequential(m.layers)
    ref = plain.predict(x, verbose=0)
    assert set(logs) == {"max_err"}
    np.testing.assert_allclose(logs["max_err"], np.max(np.abs(ref - y)), rtol=1e-5)
    np.testing.assert_allclose(m.predict(x, batch_size=16, verbose=0), 2.0 * ref, rtol=1e-6)


class GAN(keras.Model):
    """Two sub-models, two optimizers, custom compile arguments and trainable toggling."""

    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([keras.Input((2,)), layers.Dense(4)])
        self.discriminator = keras.Sequential([keras.Input((4,)), layers.Dense(1)])

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def train_step(self, real):
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        z = keras.random.normal((ops.shape(real)[0], 2), seed=self.seed_gen)
        fake = self.generator(z)
        x = ops.concatenate([fake, real], axis=0)
        labels = ops.concatenate([ops.ones((ops.shape(real)[0], 1)), ops.zeros((ops.shape(real)[0], 1))], axis=0)

        def d_loss():
            return bce(labels, self.discriminator(x))

        self.discriminator.trainable = True
        dl, g = keras.value_and_grad(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(g, self.discriminator.trainable_weights)

        def g_loss():
            return bce(ops.zeros((ops.shape(real)[0], 1)), self.discriminator(self.generator(z)))

        self.discriminator.trainable = False
        gl, g = keras.value_and_grad(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(g, self.generator.trainable_weights)
        self.discriminator.trainable = True
        self.d_loss_tracker.update_state(dl)
        self.g_loss_tracker.update_state(gl)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_gan_pattern(backend):
    keras.utils.set_random_seed(5)
    gan = GAN()
    gan.seed_gen = keras.random.SeedGenerator(7)
    gan.compile(keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.01))
    real = np.random.default_rng(0).normal(size=(32, 4)).astype("float32") + 3.0
    g0 = [w.copy() for w in gan.generator.get_weights()]
    d0 = [w.copy() for w in gan.discriminator.get_weights()]
    h = gan.fit(real, batch_size=8, epochs=2, verbose=0)
    assert set(h.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(h.history["d_loss"]))
    assert any(not np.allclose(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(d0, gan.discriminator.get_weights()))
    assert int(gan.d_optimizer.iterations.numpy()) == 8 and int(gan.g_optimizer.iterations.numpy()) == 8


def test_torch_form_train_step():
    torch = pytest.importorskip("torch")

    class TorchStep(keras.Sequential):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable = [v for v in self.trainable_weights]
            grads = [v.value.grad for v in trainable]
            with torch.no_grad():
                self.optimizer.apply(grads, trainable)
            for m in self.metrics:
                if m.name == "loss":
                    m.update_state(loss)
                else:
                    m.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    with keras.backend.use("torch"):
        ref = _mlp()
        ref.compile(keras.optimizers.SGD(0.05), "mse")
        ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        m = _mlp(TorchStep)
        m.compile(keras.optimizers.SGD(0.05), "mse")
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        for a, b in zip(ref.get_weights(), m.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_jax_stateless_form_train_step():
    jax = pytest.importorskip("jax")

    class JaxStep(keras.Sequential):
        def compute_loss_and_updates(self, tv, ntv, x, y, training=False):
            y_pred, ntv = self.stateless_call(tv, ntv, x, training=training)
            return self.compute_loss(x, y, y_pred), (y_pred, ntv)

        def train_step(self, state, data):
            tv, ntv, ov, mv = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, ntv)), grads = grad_fn(tv, ntv, x, y, training=True)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            new_mv, logs = [], {}
            for metric in self.metrics:
                n = len(metric.variables)
                this = mv[len(new_mv): len(new_mv) + n]
                if metric.name == "loss":
                    this = metric.stateless_update_state(this, loss)
                else:
                    this = metric.stateless_update_state(this, y, y_pred)
                r = metric.stateless_result(this)
                logs.update(r if isinstance(r, dict) else {metric.name: r})
                new_mv += this
            return logs, (tv, ntv, ov, new_mv)

    x, y = _data()
    with keras.backend.use("jax"):
        ref = _mlp()
        ref.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
        h_ref = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        m = _mlp(JaxStep)
        m.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
        h = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        for a, b in zip(ref.get_weights(), m.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h.history["mae"], h_ref.history["mae"], rtol=1e-5)


def test_missing_target_key_is_an_error(backend):
    inp = keras.Input((4,))
    m = keras.Model(inp, {"a": layers.Dense(1, name="a")(inp), "b": layers.Dense(1, name="b")(inp)})
    m.compile("sgd", {"a": "mse", "b": "mse"})
    x, y = _data()
    with pytest.raises(ValueError, match=r"No target for output\(s\) \['b'\]"):
        m.fit(x, {"a": y}, epochs=1, verbose=0)


def test_config_max_epochs_and_steps_cap_fit(backend):
    x, y = _data()
    m = _mlp()
    m.compile("sgd", "mse")
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            h = m.fit(x, y, batch_size=8, epochs=5, verbose=0)
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
    assert len(h.history["loss"]) == 2
    assert int(m.optimizer.iterations.numpy()) == 6
