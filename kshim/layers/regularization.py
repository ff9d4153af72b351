"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout, ActivityRegularization.

The random layers draw from ``kshim.random`` with their own ``SeedGenerator`` (tracked as layer
state), so a given seed produces the same masks on every backend. All are the identity unless
called with ``training=True``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .. import _config
from .. import ops
from .. import random as _random
from .. import regularizers
from .._replica import batch_replica, global_rows_draw
from .layer import Layer


def _check_rate(rate: Any) -> None:
    if not 0 <= rate <= 1:
        raise ValueError(
            f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate={rate}"
        )


def _validate_noise_shape(noise_shape: Any) -> tuple | None:
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected a tuple or list of "
            f"integers. Received: noise_shape={noise_shape}"
        )
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected an iterable of integers "
            f"(e.g., a tuple or list). Received: noise_shape={noise_shape}"
        ) from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all elements to be "
                f"integers or None. Received element at index {i}: {dim} (type: {type(dim).__name__})"
            )
        if dim <= 0:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                f"positive integers or None. Received negative or zero value at index {i}: {dim}"
            )
    return noise_shape


def _dropout(layer: Dropout, inputs: Any, noise_shape: Any) -> Any:
    if layer.rate >= 1.0:  # everything dropped (kshim.random.dropout rejects rate 1)
        return ops.zeros_like(inputs)
    shape = tuple(ops.shape(inputs))
    ns = shape if noise_shape is None else tuple(s if n is None else int(n) for s, n in zip(shape, noise_shape))
    if batch_replica(ns) is None:
        return _random.dropout(inputs, layer.rate, noise_shape=noise_shape, seed=layer.seed_generator)
    # a data-parallel step on torch (kshim._replica): the global batch's mask, this rank's rows
    scaled = global_rows_draw(
        lambda s: _random.dropout(ops.ones(s, "float32"), layer.rate, seed=layer.seed_generator), ns
    )
    kept = ops.greater(scaled, 0.0)
    return ops.where(kept, ops.multiply(inputs, ops.cast(1.0 / (1.0 - layer.rate), ops.dtype(inputs))), 0.0)


class Dropout(Layer):
    """Zero each input with probability ``rate`` while training and scale the rest by
    ``1 / (1 - rate)``; ``noise_shape`` (``None`` entries take the input's size) shares the mask
    along axes of size 1.

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1]``.
        noise_shape: Optional shape of the keep/drop mask, broadcast against the input (e.g. ``(batch, 1,
            features)`` to drop the same features at every step); ``None`` entries take the input's size.
        seed: Optional integer seed of the random draws.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]`` or ``noise_shape`` is not a sequence of positive ints
            (or ``None``).
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.seed = seed
        self.noise_shape = _validate_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training and self.rate > 0:
            return _dropout(self, inputs, self.noise_shape)
        return inputs

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg


class _SpatialDropout(Dropout):
    _ndim = 3
    _noise_shape: Callable[[tuple], tuple]  # each subclass defines it

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None, dtype: Any = None, **kwargs: Any):
        kwargs.pop("trainable", None)
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        shape = tuple(ops.shape(inputs))
        if len(shape) != self._ndim:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected "
                f"ndim={self._ndim}, found ndim={len(shape)}. Full shape received: {shape}"
            )
        if training and self.rate > 0:
            return _dropout(self, inputs, self._noise_shape(shape))
        return inputs

    def get_config(self) -> dict:
        # Keras' spatial dropouts return this short config (dtype as its name, no `trainable`).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_policy.name}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature maps of a ``(batch, steps, channels)`` input.

    The same channels are dropped at every step of a sample (kept ones are scaled by ``1 / (1 - rate)``).

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1]``.
        seed: Optional integer seed of the random draws.
        name: Optional layer name.
        dtype: Optional dtype policy.
        **kwargs: Other base ``Layer`` arguments; ``trainable`` is accepted and ignored.

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]``; when called, for an input of another rank
            than 3.
    """

    _ndim = 3

    def _noise_shape(self, shape: tuple) -> tuple:
        return (shape[0], 1, shape[2])


class _SpatialDropoutND(_SpatialDropout):
    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        data_format = _config.image_data_format() if data_format is None else str(data_format).lower()
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(
                "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                f"Received: data_format={data_format}"
            )
        self.data_format = data_format

    def _noise_shape(self, shape: tuple) -> tuple:
        spatial = (1,) * (self._ndim - 2)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + spatial
        return (shape[0],) + spatial + (shape[-1],)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout2D(_SpatialDropoutND):
    """Drops whole channels of a 4-D input (``data_format`` says where the channels are).

    The same channels are dropped at every position of a sample (kept ones are scaled by
    ``1 / (1 - rate)``).

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (where the channels are); ``None`` (default) uses
            ``image_data_format()``.
        seed: Optional integer seed of the random draws.
        name: Optional layer name.
        dtype: Optional dtype policy.
        **kwargs: Other base ``Layer`` arguments; ``trainable`` is accepted and ignored.

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]`` or ``data_format`` is invalid; when called, for an
            input of another rank than 4.
    """

    _ndim = 4


class SpatialDropout3D(_SpatialDropoutND):
    """Drops whole channels of a 5-D input (``data_format`` says where the channels are).

    The same channels are dropped at every position of a sample (kept ones are scaled by
    ``1 / (1 - rate)``).

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (where the channels are); ``None`` (default) uses
            ``image_data_format()``.
        seed: Optional integer seed of the random draws.
        name: Optional layer name.
        dtype: Optional dtype policy.
        **kwargs: Other base ``Layer`` arguments; ``trainable`` is accepted and ignored.

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]`` or ``data_format`` is invalid; when called, for an
            input of another rank than 5.
    """

    _ndim = 5


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training.

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        stddev: Standard deviation of the noise, in ``[0, 1]``.
        seed: Optional integer seed of the random draws.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``stddev`` is outside ``[0, 1]``.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value between 0 "
                f"and 1. Received: stddev={stddev}"
            )
        self.stddev = stddev
        self.seed = seed
        if stddev > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training and self.stddev > 0:
            noise = global_rows_draw(
                lambda s: _random.normal(
                    s, mean=0.0, stddev=self.stddev, dtype=self.compute_dtype, seed=self.seed_generator
                ),
                tuple(ops.shape(inputs)),
            )
            return ops.add(inputs, noise)
        return inputs

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg


class GaussianDropout(Layer):
    """Multiplies the input by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` while training.

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Drop probability defining the noise's standard deviation, in ``[0, 1)``.
        seed: Optional integer seed of the random draws.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]``.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.seed = seed
        if rate > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = global_rows_draw(
                lambda s: _random.normal(
                    s, mean=1.0, stddev=stddev, dtype=self.compute_dtype, seed=self.seed_generator
                ),
                tuple(ops.shape(inputs)),
            )
            return ops.multiply(inputs, noise)
        return inputs

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


class AlphaDropout(Layer):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation value and an
    affine correction keeps the mean and variance of the inputs.

    Only active when called with ``training=True``; otherwise the input is returned unchanged.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1]``.
        noise_shape: Optional shape of the drop mask; ``None`` entries take the input's size (default ``None``: the
            input's shape).
        seed: Optional integer seed of the random draws.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]``.
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.seed = seed
        self.noise_shape = noise_shape
        if rate > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not (training and self.rate > 0):
            return inputs
        shape = tuple(ops.shape(inputs))
        ns = (
            shape
            if self.noise_shape is None
            else tuple(s if n is None else int(n) for s, n in zip(shape, self.noise_shape))
        )
        alpha_p = -self._ALPHA * self._SCALE
        u = global_rows_draw(lambda s: _random.uniform(s, dtype="float32", seed=self.seed_generator), ns)
        kept = ops.cast(ops.greater_equal(u, self.rate), ops.dtype(inputs))
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(ops.multiply(inputs, kept), ops.multiply(alpha_p, ops.subtract(1.0, kept)))
        return ops.add(ops.multiply(a, x), b)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg


class ActivityRegularization(Layer):
    """Identity that adds ``(l1 * sum(|x|) + l2 * sum(x**2)) / batch_size`` of its input to the
    layer's losses (the batch-size normalization is Keras 3's).

    Args:
        l1: L1 factor (default ``0.0``).
        l2: L2 factor (default ``0.0``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ...); an ``activity_regularizer`` is ignored.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self._reg = regularizers.L1L2(l1=l1, l2=l2)
        self.built = True

    def call(self, inputs: Any) -> Any:
        loss = self._reg(inputs)
        shape = ops.shape(inputs)
        if len(shape) > 0:  # Keras 3 normalizes activity penalties by the batch size
            loss = ops.divide_no_nan(loss, ops.cast(shape[0], ops.dtype(loss)))
        self.add_loss(loss)
        return inputs

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg
