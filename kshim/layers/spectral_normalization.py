"""``SpectralNormalization``: constrain a layer's kernel to unit spectral norm (Miyato et al., 2018)."""

from __future__ import annotations

from typing import Any

from .. import initializers, ops
from .input_spec import InputSpec
from .layer import Layer
from .wrapper import Wrapper

__all__ = ["SpectralNormalization"]


class SpectralNormalization(Wrapper):
    """Performs spectral normalization on the weights of a target layer (``keras.layers.SpectralNormalization``).

    In training (``training=True``) each call runs ``power_iterations`` steps of the power method
    from the stored ``vector_u`` (non-trainable, ``(1, units)``), divides the wrapped kernel by its
    estimated largest singular value, and assigns both back; then the wrapped layer runs. An all-zero
    kernel is left alone. Inference uses the kernel as it is.

    As in Keras, the wrapped kernel is also a weight of the wrapper itself, so the weights are ordered
    ``[kernel, vector_u, <the wrapped layer's other weights>]`` and the kernel appears twice in the
    weights file (``vars/0`` of the wrapper and of its ``layer`` group).

    Inside ``fit`` the training step is a stateless function of the variables (on every backend), so,
    as with Keras' JAX backend, the assignments made during the step are not written back: the
    forward pass and the gradients use the normalized kernel, and the optimizer updates the stored one.

    Args:
        layer: A layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or ``embeddings`` (``Embedding``) weight.
        power_iterations: Number of power-method iterations per training call (> 0).
        **kwargs: Base wrapper keyword arguments.

    Raises:
        ValueError: If ``power_iterations`` is not positive, or the layer has neither ``kernel`` nor
            ``embeddings`` (raised when building).
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                f"`power_iterations` should be greater than zero. Received: `power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:  # type: ignore[override]  # Keras' signature: no default
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self.kernel = kernel
        # Keras tracks the wrapped kernel as the wrapper's own weight (first in its weights)
        (self._trainable_variables if kernel.trainable else self._non_trainable_variables).append(kernel)
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=kernel.dtype,
        )
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training:
            new_u, new_kernel = ops.cond(
                ops.all(ops.equal(self.kernel.value, 0)),
                lambda: (self.vector_u.value, self.kernel.value),
                self.normalized_weights,
            )
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
        output = self.layer(inputs)
        return ops.cast(output, ops.dtype(inputs))

    def normalized_weights(self) -> tuple:
        """The power-method update: ``(new vector_u, kernel / sigma)`` (nothing is assigned).

        Returns:
            Tuple of the new ``vector_u`` and the spectrally normalized kernel.
        """
        kernel = self.kernel.value
        weights = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = ops.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=-1)
            vector_u = ops.normalize(ops.matmul(vector_v, weights), axis=-1)
        vector_u = ops.stop_gradient(vector_u)
        vector_v = ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        new_kernel = ops.reshape(ops.divide(kernel, sigma), self.kernel_shape)
        return ops.cast(vector_u, self.vector_u.dtype), ops.cast(new_kernel, self.kernel.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
