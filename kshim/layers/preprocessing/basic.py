"""Preprocessing layers: Rescaling and Normalization (with ``adapt``)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ... import _config
from ... import ops
from ..layer import Layer


def _to_python(v: Any) -> Any:
    if v is None or isinstance(v, (int, float, bool)):
        return v
    return np.asarray(v).tolist()


class Rescaling(Layer):
    """``inputs * scale + offset`` computed in the layer's compute dtype. ``scale``/``offset`` may
    be scalars or per-channel arrays.

    Args:
        scale: The multiplier: a scalar or a per-channel array (e.g. ``1 / 255``).
        offset: The value added after scaling: a scalar or a per-channel array (default ``0.0``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        d = self.compute_dtype
        scale = ops.cast(ops.convert_to_tensor(self.scale), d)
        offset = ops.cast(ops.convert_to_tensor(self.offset), d)
        sshape = tuple(ops.shape(scale))
        if sshape and _config.image_data_format() == "channels_first":
            scale = ops.reshape(scale, sshape + (1,) * (3 - len(sshape)))
        return ops.add(ops.multiply(ops.cast(inputs, d), scale), offset)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"scale": _to_python(self.scale), "offset": _to_python(self.offset)})
        return cfg


def _extract_batch(batch: Any) -> Any:
    return batch[0] if isinstance(batch, tuple) else batch


class Normalization(Layer):
    """Feature-wise ``(x - mean) / sqrt(variance)`` (``invert=True``: the reverse), with one
    mean/variance per index of the kept ``axis`` (``None`` = a single scalar).

    Either pass ``mean`` and ``variance``, or call ``adapt(data)`` with a NumPy array, a tensor or an
    iterable of batches (``(x, y)`` tuples use ``x``). Adapted statistics live in the non-trainable
    weights ``mean``, ``variance`` and ``count`` (``get_weights()`` order as Keras) and are read at
    call time, so ``set_weights`` takes effect immediately. The standard deviation is floored at
    ``epsilon()`` to avoid dividing by zero.

    Args:
        axis: The axis or axes that keep their own statistics (default ``-1``, one per feature); ``None`` uses one
            mean and variance for the whole input.
        mean: Optional precomputed mean (scalar or array broadcastable to the kept axes); needs ``variance``.
        variance: Optional precomputed variance, of the same shape as ``mean``.
        invert: If ``True``, compute ``x * sqrt(variance) + mean`` instead (default ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If only one of ``mean`` and ``variance`` is given, their shapes differ, or ``mean`` has
            more dimensions than there are kept axes; when built, for an ``axis`` outside the input's rank.
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._norm_input_shape: tuple | None = None  # the input shape, once built
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}"
                )

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        nd = len(input_shape)
        if any(a < -nd or a >= nd for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim={nd}, "
                f"while axis={self.axis}"
            )
        self._norm_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % nd for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                    f"inputs.shape={input_shape}, with unknown axis at index {d}"
                )
        self._reduce_axis = tuple(d for d in range(nd) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(nd))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(self._mean_and_var_shape, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(self._mean_and_var_shape, "ones", name="variance", trainable=False)
            self.count = self.add_weight((), "zeros", dtype="int32", name="count", trainable=False)
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            var = np.asarray(self.input_variance, dtype=np.float64)
            if mean.ndim:
                expanded = [1] * nd
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean, var = mean.reshape(expanded), var.reshape(expanded)
            self._fixed_mean = np.broadcast_to(mean, self._broadcast_shape)
            self._fixed_variance = np.broadcast_to(var, self._broadcast_shape)
        self.built = True

    def _stats(self) -> tuple:
        d = self.compute_dtype
        if self.input_mean is not None:
            return (
                ops.convert_to_tensor(self._fixed_mean.astype(d)),
                ops.convert_to_tensor(self._fixed_variance.astype(d)),
            )
        mean = ops.cast(ops.reshape(self.adapt_mean, self._broadcast_shape), d)
        var = ops.cast(ops.reshape(self.adapt_variance, self._broadcast_shape), d)
        return mean, var

    def call(self, inputs: Any) -> Any:
        x = ops.cast(ops.convert_to_tensor(inputs), self.compute_dtype)
        mean, var = self._stats()
        std = ops.maximum(ops.sqrt(var), _config.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(x, std))
        return ops.divide(ops.subtract(x, mean), std)

    def adapt(self, data: Any) -> None:
        """Compute ``mean`` and ``variance`` over the reduced axes of ``data`` (an array/tensor, or an
        iterable of batches combined with a running, batch-size-weighted update)."""
        iterable = False
        if isinstance(data, np.ndarray) or ops.is_tensor(data):
            input_shape = tuple(ops.shape(data)) if ops.is_tensor(data) else data.shape
        elif (
            hasattr(data, "__getitem__")
            and hasattr(data, "__len__")
            and not isinstance(data, (list, tuple))
            and hasattr(data, "on_epoch_end")
        ):  # a PyDataset-like sequence
            iterable = True
            data = [data[i] for i in range(len(data))]
            input_shape = tuple(np.shape(_extract_batch(data[0])))
        elif hasattr(data, "__iter__"):
            iterable = True
            it = iter(data)
            first = next(it, None)
            if first is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one batch. "
                    "Pass a non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or "
                    "layer.adapt(list_of_batches)."
                )
            first = _extract_batch(first)
            shape = getattr(first, "shape", None)
            if shape is None:
                raise TypeError(
                    "adapt() expects an iterable that yields arrays or tensors with a `.shape` "
                    f"attribute (e.g. numpy arrays or backend tensors). Got an element of type "
                    f"{type(first).__name__}. Ensure each yielded element is array-like with a "
                    "`.shape` attribute."
                )
            input_shape = tuple(shape)
            data = itertools.chain([first], it)
        else:
            raise TypeError(
                f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, backend tensors "
                "and iterables of batches (e.g. list, generator)."
            )
        if self.input_mean is not None:
            raise ValueError(
                "adapt() cannot be used on a Normalization layer created with fixed `mean` and `variance`."
            )
        if not self.built:
            self._build_from_shape(input_shape)
        else:
            for d in self._keep_axis:
                if input_shape[d] != self._norm_input_shape[d]:  # type: ignore[index]  # set when built
                    raise ValueError(
                        f"The layer was built with input_shape={self._norm_input_shape}, but adapt() "
                        f"is being called with data with an incompatible shape, data.shape={input_shape}"
                    )
        if not iterable:
            arr = np.asarray(ops.convert_to_numpy(data) if ops.is_tensor(data) else data)
            total_mean = np.mean(arr, axis=self._reduce_axis)
            total_var = np.var(arr, axis=self._reduce_axis)
        else:
            total_mean = np.zeros(self._mean_and_var_shape)
            total_var = np.zeros(self._mean_and_var_shape)
            total_count = 0
            for batch in data:
                batch = _extract_batch(batch)
                arr = np.asarray(
                    ops.convert_to_numpy(batch) if ops.is_tensor(batch) else batch, dtype=self.compute_dtype
                )
                for d in self._keep_axis:
                    if arr.shape[d] != self._norm_input_shape[d]:  # type: ignore[index]  # set by the build above
                        raise ValueError(
                            f"adapt() yielded a batch with incompatible shape. Expected "
                            f"{self._norm_input_shape}, got {tuple(arr.shape)}."
                        )
                b_mean = np.mean(arr, axis=self._reduce_axis)
                b_var = np.var(arr, axis=self._reduce_axis)
                b_count = math.prod(arr.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
                total_count += b_count
                bw = float(b_count) / total_count
                ew = 1.0 - bw
                new_mean = total_mean * ew + b_mean * bw
                total_var = (total_var + (total_mean - new_mean) ** 2) * ew + (b_var + (b_mean - new_mean) ** 2) * bw
                total_mean = new_mean
        self.adapt_mean.assign(np.asarray(total_mean).reshape(self._mean_and_var_shape))
        self.adapt_variance.assign(np.asarray(total_var).reshape(self._mean_and_var_shape))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": _to_python(self.input_mean),
                "variance": _to_python(self.input_variance),
            }
        )
        return cfg

    def _build_from_shape(self, shape: tuple) -> None:
        self._check_backend()
        self._build_input_shape = tuple(shape)
        self.build(tuple(shape))

    def get_build_config(self) -> dict | None:
        return None if self._norm_input_shape is None else {"input_shape": self._norm_input_shape}

    def build_from_config(self, config: dict) -> None:
        if config and not self.built:
            self._build_from_shape(tuple(config["input_shape"]))
