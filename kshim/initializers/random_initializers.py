"""Random initializers, drawn on the host from the portable Threefry generator.

Values are computed in float64 NumPy from Threefry keys and then converted, so the same seed
gives bit-identical weights on numpy, jax and torch.
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..random import host
from .base import Initializer


class _Seeded(Initializer):
    """Base of the random initializers: an int ``seed`` gives the same values on every call and
    backend; ``None`` draws a fresh key from the host stream on each call."""

    def __init__(self, seed: int | None = None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}.")
        self.seed = seed

    def _key(self) -> tuple[int, int]:
        return host.key_for(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _truncated(key: tuple[int, int], n: int) -> np.ndarray:
    """Standard normals restricted to [-2, 2] by deterministic resampling."""
    z = host.normal(key, n)
    bad = np.abs(z) > 2.0
    attempt = 1
    while bad.any():
        z[bad] = host.normal((key[0], (key[1] + 0x632BE5AB * attempt) & 0xFFFFFFFF), int(bad.sum()))
        bad = np.abs(z) > 2.0
        attempt += 1
    return z


class RandomUniform(_Seeded):
    """Uniform values in ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound.
        seed: An int, or ``None`` for fresh values on every call.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def host_values(self, shape: tuple, dtype: str) -> Any:
        n = int(np.prod(shape))
        u = host.uniform01(self._key(), n).reshape(shape)
        if _dt.is_int(dtype):
            return np.floor(u * (self.maxval - self.minval) + self.minval)
        return u * (self.maxval - self.minval) + self.minval

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Seeded):
    """Normal values.

    Args:
        mean: Mean.
        stddev: Standard deviation.
        seed: An int, or ``None`` for fresh values on every call.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def host_values(self, shape: tuple, dtype: str) -> Any:
        return host.normal(self._key(), int(np.prod(shape))).reshape(shape) * self.stddev + self.mean

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values, redrawn where they fall more than two standard deviations from the mean.

    Args:
        mean: Mean.
        stddev: Standard deviation of the untruncated normal.
        seed: An int, or ``None`` for fresh values on every call.
    """

    def host_values(self, shape: tuple, dtype: str) -> Any:
        return _truncated(self._key(), int(np.prod(shape))).reshape(shape) * self.stddev + self.mean


def compute_fans(shape: tuple, input_axes: Any = None, output_axes: Any = None) -> tuple[float, float]:
    """Keras' fan-in/fan-out: dense (in, out); conv kernels multiply by the receptive field.

    With both ``input_axes`` and ``output_axes`` given (e.g. for an ``EinsumDense`` kernel), the fans
    are the products of the sizes of those axes.
    """
    if input_axes is not None and output_axes is not None:
        return (float(np.prod([shape[a] for a in input_axes])), float(np.prod([shape[a] for a in output_axes])))
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Seeded):
    """Values with variance ``scale / fan`` (``fan`` from ``mode``), drawn from ``distribution``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias), ``"untruncated_normal"`` or
            ``"uniform"``.
        seed: An int, or ``None`` for fresh values on every call.
        input_axes: Axes whose sizes multiply into fan-in (with ``output_axes``).
        output_axes: Axes whose sizes multiply into fan-out (with ``input_axes``).

    Raises:
        ValueError: For a non-positive ``scale`` or an unknown ``mode``/``distribution``.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ):
        super().__init__(seed)
        self.input_axes, self.output_axes = input_axes, output_axes
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}.")
        self.scale, self.mode = scale, mode
        self.distribution = "truncated_normal" if distribution == "normal" else distribution

    def host_values(self, shape: tuple, dtype: str) -> Any:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        n = int(np.prod(shape))
        if self.distribution == "truncated_normal":
            # NOTE: 0.8796... is the stddev of a unit normal truncated to [-2, 2].
            return _truncated(self._key(), n).reshape(shape) * (_math.sqrt(scale) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return host.normal(self._key(), n).reshape(shape) * _math.sqrt(scale)
        limit = _math.sqrt(3.0 * scale)
        return host.uniform01(self._key(), n).reshape(shape) * 2 * limit - limit

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


_FIXED_DOC = """``VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})``.

    Args:
        seed: An int, or ``None`` for fresh values on every call.
        input_axes: Axes whose sizes multiply into fan-in (with ``output_axes``).
        output_axes: Axes whose sizes multiply into fan-out (with ``input_axes``).
    """


def _fixed(name: str, scale: float, mode: str, distribution: str) -> type:
    def __init__(self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(
        name,
        (VarianceScaling,),
        {
            "__init__": __init__,
            "get_config": get_config,
            "__doc__": _FIXED_DOC.format(scale=scale, mode=mode, distribution=distribution),
        },
    )


GlorotUniform = _fixed("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _fixed("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _fixed("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _fixed("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _fixed("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix, as Keras computes it: the QR factor ``Q`` of a standard normal
    ``(max(rows, cols), min(rows, cols))`` matrix with each column's sign made that of ``diag(R)``,
    transposed when there are fewer rows than columns, times ``gain``. ``rows`` is the product of
    all but the last dimension, ``cols`` the last dimension.

    Args:
        gain: Multiplicative factor.
        seed: An int, or ``None`` for fresh values on every call.

    Raises:
        ValueError: (when called) for a shape of rank below 2.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def host_values(self, shape: tuple, dtype: str) -> Any:
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = host.normal(self._key(), flat[0] * flat[1]).reshape(flat)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}
