"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, Cropping1D/2D/3D,
ZeroPadding1D/2D/3D, UpSampling1D/2D/3D."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _config as config, ops
from .convolutional import check_input_rank, standardize_tuple
from .layer import Layer


class Flatten(Layer):
    """``(batch, ...) -> (batch, prod(...))`` in channels_last order; with
    ``data_format="channels_first"`` the channel axis is moved last first (as Keras).

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on a scalar (an input of rank 0).
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs: Any) -> Any:
        shp = tuple(ops.shape(inputs))
        if len(shp) == 0:
            raise ValueError(
                f"Input 0 of layer {self.name!r} (Flatten) is incompatible with the layer: expected "
                f"rank >= 1, got a scalar (shape {shp})."
            )
        if self.data_format == "channels_first" and len(shp) > 2:
            inputs = ops.transpose(inputs, (0, *range(2, len(shp)), 1))
        return ops.reshape(inputs, (shp[0], math.prod(shp[1:])))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class Reshape(Layer):
    """Reshape the non-batch dims to ``target_shape`` (one entry may be -1).

    Args:
        target_shape: The new shape of each sample, without the batch axis: a tuple of positive ints, one of which
            may be ``-1`` (inferred from the input's size).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a ``target_shape`` with zeros, negative sizes or more than one ``-1``; when called,
            for an input whose per-sample size does not fit ``target_shape``.

    Example:
        >>> y = kshim.layers.Reshape((3, 2))(kshim.ops.zeros((4, 6)))
        >>> tuple(y.shape)
        (4, 3, 2)
    """

    def __init__(self, target_shape: Any, **kwargs: Any):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(
                f"Reshape: `target_shape` must contain positive integers and at most one -1. "
                f"Received: target_shape={target_shape}."
            )
        self.target_shape = target_shape
        self.built = True

    def call(self, inputs: Any) -> Any:
        shp = tuple(ops.shape(inputs))
        size = math.prod(shp[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f"Layer {self.name!r} (Reshape): cannot reshape an input of shape {shp} "
                f"({size} values per sample) to target_shape {self.target_shape}."
            )
        return ops.reshape(inputs, (shp[0],) + self.target_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["target_shape"] = self.target_shape
        return cfg


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` is 1-indexed, e.g. ``(2, 1)`` swaps the first two.

    Args:
        dims: A permutation of ``1..n`` for inputs of rank ``n + 1``: output axis ``i`` is input axis ``dims[i -
            1]``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``dims`` is not a permutation of ``1..len(dims)``; when called, for an input of
            another rank than ``len(dims) + 1``.
    """

    def __init__(self, dims: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Invalid permutation argument `dims` for Permute layer: the indices must be a "
                f"permutation of 1..{len(self.dims)}. Received dims={tuple(dims)}."
            )
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, ops.shape(inputs), len(self.dims) + 1)
        return ops.transpose(inputs, (0,) + self.dims)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["dims"] = self.dims
        return cfg


class RepeatVector(Layer):
    """``(batch, features) -> (batch, n, features)``.

    Args:
        n: Number of repetitions (a positive int).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``n`` is not an int.
        ValueError: If ``n`` is not positive; when called, for an input that is not 2-D.
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RepeatVector: expected an integer value for `n`, got {type(n).__name__}.")
        if n <= 0:
            raise ValueError(f"RepeatVector: argument `n` should be a positive integer. Received: n={n}.")
        self.n = n
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, ops.shape(inputs), 2)
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


# ---- cropping / zero padding --------------------------------------------------------------------
def _pairs(value: Any, rank: int, name: str) -> tuple:
    """Keras' forms for 2D/3D: an int, ``rank`` ints (symmetric per axis) or ``rank`` (lo, hi) pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"`{name}` should be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 "
            f"ints. Received: {name}={value!r}."
        )
    ordinal = ("1st", "2nd", "3rd")
    return tuple(standardize_tuple(v, 2, f"{ordinal[i]} entry of {name}", allow_zero=True) for i, v in enumerate(value))


class _SpatialEdit(Layer):
    """Shared base of Cropping/ZeroPadding: ``amounts`` holds one (lo, hi) pair per spatial axis."""

    rank: int = 0
    _arg: str = "cropping"

    def _init(self, value: Any, data_format: Any) -> None:
        self.data_format = config.standardize_data_format(data_format)
        if self.rank == 1:
            amounts = (standardize_tuple(value, 2, self._arg, allow_zero=True),)
            setattr(self, self._arg, amounts[0])
        else:
            amounts = _pairs(value, self.rank, self._arg)
            setattr(self, self._arg, amounts)
        self._amounts = amounts
        self.built = True

    def _spatial_axes(self) -> tuple:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg[self._arg] = getattr(self, self._arg)
        return cfg


class _Cropping(_SpatialEdit):
    _arg = "cropping"
    cropping: Any  # set by _SpatialEdit.__init__ (the attribute named by _arg)

    def call(self, inputs: Any) -> Any:
        shp = tuple(ops.shape(inputs))
        check_input_rank(self, shp, self.rank + 2)
        key = [slice(None)] * len(shp)
        for ax, (lo, hi) in zip(self._spatial_axes(), self._amounts):
            if lo + hi >= shp[ax]:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}): cropping {self.cropping} must be "
                    f"smaller than the input's spatial size; received input shape {shp}."
                )
            key[ax] = slice(lo, shp[ax] - hi)
        return ops.get_item(inputs, tuple(key))


class Cropping1D(_Cropping):
    """Crop ``(lo, hi)`` steps from axis 1 of ``(batch, steps, features)``.

    Args:
        cropping: Steps to remove: an int (the same at both ends) or a ``(lo, hi)`` pair (default ``(1, 1)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``cropping``; when called, for an input that is not 3-D or
            not longer than ``lo + hi``.
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self._init(cropping, "channels_last")

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("data_format", None)
        return cfg


class Cropping2D(_Cropping):
    """Crop rows and columns from the edges of ``(batch, height, width, channels)`` images.

    Args:
        cropping: How much to crop: an int (the same on both sides of every spatial axis), a tuple of 2 ints
            (symmetric, per axis ``(height, width)``), or a tuple of 2 ``(lo, hi)`` pairs (default ``((0, 0), (0,
            0))``).
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``cropping`` or an invalid ``data_format``; when called, for
            an input that is not 4-D or not larger than the cropping.
    """

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._init(cropping, data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class Cropping3D(_Cropping):
    """Crop the edges of the three spatial axes of ``(batch, depth, height, width, channels)`` volumes.

    Args:
        cropping: How much to crop: an int (the same on both sides of every spatial axis), a tuple of 3 ints
            (symmetric, per axis ``(depth, height, width)``), or a tuple of 3 ``(lo, hi)`` pairs (default ``((1, 1),
            (1, 1), (1, 1))``).
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``cropping`` or an invalid ``data_format``; when called, for
            an input that is not 5-D or not larger than the cropping.
    """

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._init(cropping, data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class _ZeroPadding(_SpatialEdit):
    _arg = "padding"

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._init(padding, data_format)

    def call(self, inputs: Any) -> Any:
        shp = tuple(ops.shape(inputs))
        check_input_rank(self, shp, self.rank + 2)
        pw = [(0, 0)] * len(shp)
        for ax, pair in zip(self._spatial_axes(), self._amounts):
            pw[ax] = pair
        return ops.pad(inputs, pw)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class ZeroPadding1D(_ZeroPadding):
    """Pad ``(lo, hi)`` zeros on the steps axis (axis 1, or 2 for channels_first).

    Args:
        padding: Zeros to add: an int (the same at both ends) or a ``(lo, hi)`` pair (default ``1``).
        data_format: ``"channels_last"`` (inputs ``(batch, steps, features)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``padding``; when called, for an input that is not 3-D.
    """

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad rows and columns of zeros around ``(batch, height, width, channels)`` images.

    Args:
        padding: How much to pad: an int (the same on both sides of every spatial axis), a tuple of 2 ints
            (symmetric, per axis ``(height, width)``), or a tuple of 2 ``(lo, hi)`` pairs (default ``(1, 1)``).
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``padding`` or an invalid ``data_format``; when called, for
            an input that is not 4-D.
    """

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pad zeros around the three spatial axes of ``(batch, depth, height, width, channels)`` volumes.

    Args:
        padding: How much to pad: an int (the same on both sides of every spatial axis), a tuple of 3 ints
            (symmetric, per axis ``(depth, height, width)``), or a tuple of 3 ``(lo, hi)`` pairs (default ``((1, 1),
            (1, 1), (1, 1))``).
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a negative or malformed ``padding`` or an invalid ``data_format``; when called, for
            an input that is not 5-D.
    """

    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


# ---- up-sampling ----------------------------------------------------------------------------------
def _bilinear_upsample_axis(x: Any, factor: int, axis: int) -> Any:
    """Integer-factor bilinear up-sampling along ``axis`` with half-pixel centres and edge clamping
    (what ``keras.ops.image.resize(..., "bilinear", antialias=False)`` does when enlarging)."""
    n = ops.shape(x)[axis]
    src = (np.arange(n * factor, dtype=np.float64) + 0.5) / factor - 0.5
    src = np.clip(src, 0.0, n - 1)
    lo = np.floor(src).astype(np.int32)
    hi = np.minimum(lo + 1, n - 1).astype(np.int32)
    w = (src - lo).astype(np.float64)
    wshape = [1] * len(ops.shape(x))
    wshape[axis] = n * factor
    dt = ops.dtype(x)
    wt = ops.convert_to_tensor(w.reshape(wshape), dtype=dt)
    a, b = ops.take(x, lo, axis=axis), ops.take(x, hi, axis=axis)
    return ops.add(a, ops.multiply(ops.subtract(b, a), wt))


class _UpSampling(Layer):
    """Repeat each spatial row/column ``size`` times (nearest neighbour)."""

    rank: int = 0

    def _init(self, size: Any, data_format: Any) -> None:
        self.size = standardize_tuple(size, self.rank, "size")
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def _spatial_axes(self) -> tuple:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, ops.shape(inputs), self.rank + 2)
        x = inputs
        interp = getattr(self, "interpolation", "nearest")
        for ax, s in zip(self._spatial_axes(), self.size):
            if interp == "bilinear":
                x = _bilinear_upsample_axis(x, s, ax)
            elif s != 1:
                x = ops.repeat(x, s, axis=ax)
        return x

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format})
        return cfg


class UpSampling1D(_UpSampling):
    """``(batch, steps, features) -> (batch, steps * size, features)``.

    Each step is repeated ``size`` times.

    Args:
        size: Up-sampling factor (a positive int, default ``2``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``size`` is not an int.
        ValueError: If ``size`` is not positive; when called, for an input that is not 3-D.
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"UpSampling1D: expected an integer value for `size`, got {type(size).__name__}.")
        if size <= 0:
            raise ValueError(f"UpSampling1D: argument `size` should be a positive integer. Received: size={size}.")
        self._init(size, "channels_last")

    def get_config(self) -> dict:
        cfg = Layer.get_config(self)
        cfg["size"] = self.size[0]
        return cfg


class UpSampling2D(_UpSampling):
    """Nearest or bilinear up-sampling of ``(batch, h, w, c)``; other Keras interpolations
    (bicubic, lanczos3, lanczos5, area) are not supported and raise a ValueError.

    Args:
        size: Up-sampling factors: an int (the same for both axes) or a ``(rows, cols)`` tuple (default ``(2, 2)``).
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        interpolation: ``"nearest"`` (default; repeat rows and columns) or ``"bilinear"`` (case-insensitive).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``size``, ``data_format`` or ``interpolation``; when called, for an
            input that is not 4-D.
    """

    rank = 2
    _INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(
        self, size: Any = (2, 2), data_format: str | None = None, interpolation: str = "nearest", **kwargs: Any
    ):
        super().__init__(**kwargs)
        self._init(size, data_format)
        interp = str(interpolation).lower()
        if interp not in self._INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: unsupported interpolation {interpolation!r}; kshim supports "
                f"{list(self._INTERPOLATIONS)}."
            )
        self.interpolation = interp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["interpolation"] = self.interpolation
        return cfg


class UpSampling3D(_UpSampling):
    """Nearest-neighbour up-sampling of ``(batch, depth, height, width, channels)`` volumes.

    Each index of the three spatial axes is repeated ``size`` times along its axis.

    Args:
        size: Up-sampling factors: an int (the same for all axes) or a tuple of 3 ints (default ``(2, 2, 2)``).
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``size`` or ``data_format``; when called, for an input that is not 5-D.
    """

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._init(size, data_format)
