"""A GAN (keras.io "customizing fit" style): two sub-models, two optimizers, a custom compile()
and trainable toggling, with the backend-neutral keras.value_and_grad."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(21)
latent_dim = 4

# The "real" data: points on a ring of radius 2 centred at (3, -1)
rng = np.random.default_rng(0)
angle = rng.uniform(0, 2 * np.pi, size=512)
real_points = np.stack([3 + 2 * np.cos(angle), -1 + 2 * np.sin(angle)], axis=1).astype("float32")

discriminator = keras.Sequential(
    [keras.Input((2,)), layers.Dense(32), layers.LeakyReLU(negative_slope=0.2), layers.Dense(1)],
    name="discriminator")
generator = keras.Sequential(
    [keras.Input((latent_dim,)), layers.Dense(32), layers.LeakyReLU(negative_slope=0.2), layers.Dense(2)],
    name="generator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(noise)
        combined = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)

        self.discriminator.trainable = True

        def d_loss_fn():
            return self.loss_fn(labels, self.discriminator(combined))

        d_loss, grads = keras.value_and_grad(d_loss_fn, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        self.discriminator.trainable = False   # the generator step must not move the discriminator

        def g_loss_fn():
            return self.loss_fn(misleading_labels, self.discriminator(self.generator(noise)))

        g_loss, grads = keras.value_and_grad(g_loss_fn, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.discriminator.trainable = True

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=0.003),
    g_optimizer=keras.optimizers.Adam(learning_rate=0.003),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
z = keras.random.normal((256, latent_dim), seed=7)
start = generator.predict(z, verbose=0)
history = gan.fit(real_points, epochs=12, batch_size=128, verbose=0)
end = generator.predict(z, verbose=0)

centre = np.array([3.0, -1.0])
print("generated mean before", start.mean(0), "after", end.mean(0))
assert set(history.history) == {"d_loss", "g_loss"}
assert np.isfinite(history.history["d_loss"]).all() and np.isfinite(history.history["g_loss"]).all()
assert int(gan.d_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) == 12 * 4
# the generator moved its samples towards the real distribution
assert np.linalg.norm(end.mean(0) - centre) < 0.5 * np.linalg.norm(start.mean(0) - centre)
