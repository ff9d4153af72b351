"""A variational autoencoder on the 8x8 digits: a sampling layer, losses added with add_loss(),
and compile() without a loss (fit trains on the added losses)."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(3)
latent_dim = 2


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


encoder_inputs = keras.Input(shape=(64,))
h = layers.Dense(32, activation="relu")(encoder_inputs)
z_mean = layers.Dense(latent_dim, name="z_mean")(h)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
d = layers.Dense(32, activation="relu")(latent_inputs)
decoder_outputs = layers.Dense(64, activation="sigmoid")(d)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
encoder.summary()


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, data):
        z_mean, z_log_var, z = self.encoder(data)
        reconstruction = self.decoder(z)
        reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(
            ops.expand_dims(data, -1), ops.expand_dims(reconstruction, -1)), axis=1))
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
        self.add_loss(reconstruction_loss)
        self.add_loss(kl_loss)
        return reconstruction


(x_train, _), (x_test, _) = keras.datasets.digits.load_data()
# a subset in whole batches keeps the example fast
x_train = x_train[:1280].reshape(-1, 64).astype("float32") / 16.0
x_test = x_test[:320].reshape(-1, 64).astype("float32") / 16.0

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam(3e-3))      # no loss: the model adds its own
history = vae.fit(x_train, epochs=6, batch_size=128, verbose=0)
print(history.history)
losses = history.history["loss"]
assert losses[-1] < 0.9 * losses[0], losses
vae(x_test[:8])
assert len(vae.losses) == 2                               # the two losses of the last eager call

test_loss = vae.evaluate(x_test, verbose=0)
assert np.isfinite(test_loss) and test_loss < losses[0]

z_mean_test, _, _ = encoder.predict(x_test, verbose=0)
assert z_mean_test.shape == (len(x_test), latent_dim)
samples = decoder.predict(np.random.default_rng(0).normal(size=(5, latent_dim)).astype("float32"), verbose=0)
assert samples.shape == (5, 64) and samples.min() >= 0.0 and samples.max() <= 1.0
