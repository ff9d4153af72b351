"""Histogram-based contrast layers: ``Equalization`` and ``ContrastLimitedAdaptiveHistogramEqualization``.

Histograms are counted with ``ops.segment_sum`` over a fixed number of bins, so both layers trace
under ``jax.jit`` and run the same arithmetic on every backend.
"""

from __future__ import annotations

from typing import Any

from ... import _config
from ... import ops
from .color_common import VALUE_RANGE_ERROR, ColorLayerBase

__all__ = ["Equalization", "ContrastLimitedAdaptiveHistogramEqualization"]


def _counts(ids: Any, n: int, dtype: str) -> Any:
    """Occurrences of each of ``0 .. n-1`` in the int tensor ``ids`` (flattened), as ``dtype``."""
    flat = ops.reshape(ids, (-1,))
    return ops.segment_sum(ops.ones(ops.shape(flat), dtype=dtype), flat, num_segments=n)


def _rescale(values: Any, source: tuple, target: tuple) -> Any:
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return ops.add(ops.multiply(values, scale), target[0] - source[0] * scale)


class Equalization(ColorLayerBase):
    """Histogram equalization of each channel (deterministic; also applied with ``training=True`` only).

    Values are mapped to ``[0, 255]``, counted into ``bins`` bins, and remapped through the rounded,
    normalised cumulative histogram; a channel with at most one occupied bin is left unchanged.
    As in Keras 3, one histogram per channel is counted over the whole batch (not per image), and
    ``training=False`` returns the input unchanged.

    Args:
        value_range: The ``(min, max)`` range of the input values (stored sorted).
        bins: Number of histogram bins.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Raises:
        ValueError: For a bad ``value_range`` (Keras raises AttributeError there).
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), bins: int = 256, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(VALUE_RANGE_ERROR + f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def _equalize(self, channel: Any) -> Any:
        vr = tuple(self.value_range)
        bins = int(self.bins)
        if vr != (0, 255):
            channel = _rescale(channel, vr, (0, 255))
        ids = ops.cast(ops.divide(ops.multiply(channel, float(bins - 1)), 255.0), "int32")
        hist = _counts(ops.clip(ids, 0, bins - 1), bins, "int32")
        cdf = ops.cumsum(hist)
        cdf_min = ops.take(cdf, ops.argmax(ops.greater(cdf, 0)))
        denom = ops.subtract(ops.take(cdf, bins - 1), cdf_min)
        denom = ops.where(ops.equal(denom, 0), ops.ones_like(denom), denom)
        fd = _config.floatx()
        lut = ops.divide(ops.cast(ops.multiply(ops.subtract(cdf, cdf_min), 255), fd), ops.cast(denom, fd))
        lut = ops.clip(ops.round(lut), 0, 255)
        idx = ops.cast(ops.clip(ops.multiply(ops.divide(channel, 255.0), float(bins - 1)), 0, bins - 1), "int32")
        equalized = ops.take(lut, idx)
        out = ops.where(ops.less_equal(ops.count_nonzero(hist), 1), channel, ops.cast(equalized, ops.dtype(channel)))
        if vr != (0, 255):
            out = _rescale(out, (0, 255), vr)
        return out

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        ax = -3 if self.data_format == "channels_first" else -1
        planes = [self._equalize(ops.take(x, i, axis=ax)) for i in range(ops.shape(x)[ax])]
        return ops.cast(ops.stack(planes, axis=ax), cd)

    def get_config(self) -> dict:
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class ContrastLimitedAdaptiveHistogramEqualization(ColorLayerBase):
    """Contrast-limited adaptive histogram equalization (CLAHE), deterministic.

    The image (mapped to ``[0, 255]``) is split into ``tile_grid_size`` tiles (padded symmetrically at
    the bottom/right to a whole number of tiles). Each tile's 256-bin histogram is clipped at
    ``clip_limit * tile_pixels / 256`` with the excess spread evenly over the bins, turned into a
    normalised cumulative mapping, and every pixel is mapped by bilinear interpolation between the
    mappings of the four nearest tile centres. The result is cast back to the input dtype. Applied
    whatever ``training`` is, as in Keras.

    Args:
        value_range: The ``(min, max)`` range of the input values.
        clip_limit: Histogram clip limit relative to a flat histogram (``<= 0``: no clipping).
        tile_grid_size: ``(rows, cols)`` of tiles.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Any = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        dtype = ops.dtype(images)
        x = ops.transpose(images, (0, 2, 3, 1)) if self.data_format == "channels_first" else images
        x = self._transform_value_range(ops.cast(x, "float32"), self.value_range, (0, 255), dtype="float32")
        y = self._transform_value_range(self._clahe(x), (0, 255), self.value_range, dtype="float32")
        y = ops.cast(y, dtype)
        return ops.transpose(y, (0, 3, 1, 2)) if self.data_format == "channels_first" else y

    def _tile_mappings(self, padded: Any, th: int, tw: int) -> Any:
        """Normalised CDFs ``(B, gh + 2, gw + 2, C, 256)``, the outer ring repeating the edge tiles."""
        n, hp, wp, c = ops.shape(padded)
        gh, gw = hp // th, wp // tw
        vals = ops.clip(ops.cast(padded, "int32"), 0, 255)
        b_i = ops.reshape(ops.arange(n, dtype="int32"), (n, 1, 1, 1))
        ty = ops.reshape(ops.floor_divide(ops.arange(hp, dtype="int32"), th), (1, hp, 1, 1))
        tx = ops.reshape(ops.floor_divide(ops.arange(wp, dtype="int32"), tw), (1, 1, wp, 1))
        c_i = ops.reshape(ops.arange(c, dtype="int32"), (1, 1, 1, c))
        ids = ops.add(
            ops.multiply(
                ops.add(ops.multiply(ops.add(ops.multiply(ops.add(ops.multiply(b_i, gh), ty), gw), tx), c), c_i), 256
            ),
            vals,
        )
        hist = ops.reshape(_counts(ids, n * gh * gw * c * 256, "float32"), (n, gh, gw, c, 256))
        if self.clip_limit > 0:
            limit = float(self.clip_limit * (th * tw) / 256.0)
            clipped = ops.clip(hist, 0.0, limit)
            excess = ops.sum(ops.subtract(hist, clipped), axis=-1, keepdims=True)
            hist = ops.add(clipped, ops.divide(excess, 256.0))
        cdf = ops.cumsum(hist, axis=-1)
        cdf_min = ops.min(cdf, axis=-1, keepdims=True)
        denom = ops.subtract(float(th * tw), cdf_min)
        denom = ops.where(ops.equal(denom, 0.0), ops.ones_like(denom), denom)
        lut = ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denom), 0.0, 255.0)
        lut = ops.concatenate([lut[:, :1], lut, lut[:, -1:]], axis=1)
        return ops.concatenate([lut[:, :, :1], lut, lut[:, :, -1:]], axis=2)

    @staticmethod
    def _neighbours(size: int, tile: int, grid: int) -> tuple:
        """Lower/upper tile index (in the ringed grid) and the upper weight of each pixel position."""
        pos = ops.add(ops.divide(ops.subtract(ops.arange(size, dtype="float32"), tile / 2.0), float(tile)), 1.0)
        lo = ops.floor(pos)
        w = ops.subtract(pos, lo)
        lo_i = ops.cast(ops.clip(lo, 0, grid + 1), "int32")
        hi_i = ops.cast(ops.clip(ops.add(lo, 1.0), 0, grid + 1), "int32")
        return lo_i, hi_i, w

    def _clahe(self, images: Any) -> Any:
        n, h, w, c = ops.shape(images)
        gh, gw = (int(v) for v in self.tile_grid_size)
        th, tw = -(-h // gh), -(-w // gw)
        hp, wp = th * gh, tw * gw
        padded = images
        if (hp, wp) != (h, w):
            padded = ops.pad(images, [[0, 0], [0, hp - h], [0, wp - w], [0, 0]], mode="symmetric")
        lut = ops.reshape(self._tile_mappings(padded, th, tw), (-1,))
        y0, y1, wy = self._neighbours(hp, th, gh)
        x0, x1, wx = self._neighbours(wp, tw, gw)
        s_c, s_x = 256, 256 * c
        s_y = s_x * (gw + 2)
        s_b = s_y * (gh + 2)
        pix = ops.cast(ops.clip(padded, 0, 255), "int32")
        base = ops.add(
            ops.add(
                ops.reshape(ops.multiply(ops.arange(n, dtype="int32"), s_b), (n, 1, 1, 1)),
                ops.reshape(ops.multiply(ops.arange(c, dtype="int32"), s_c), (1, 1, 1, c)),
            ),
            pix,
        )

        def rows(t):
            return ops.reshape(ops.multiply(t, s_y), (1, hp, 1, 1))

        def cols(t):
            return ops.reshape(ops.multiply(t, s_x), (1, 1, wp, 1))

        def at(ry, cx):
            return ops.take(lut, ops.add(ops.add(base, rows(ry)), cols(cx)))

        wy4 = ops.reshape(wy, (1, hp, 1, 1))
        wx4 = ops.reshape(wx, (1, 1, wp, 1))
        top = ops.add(ops.multiply(at(y0, x0), ops.subtract(1.0, wx4)), ops.multiply(at(y0, x1), wx4))
        bottom = ops.add(ops.multiply(at(y1, x0), ops.subtract(1.0, wx4)), ops.multiply(at(y1, x1), wx4))
        out = ops.add(ops.multiply(top, ops.subtract(1.0, wy4)), ops.multiply(bottom, wy4))
        return out[:, :h, :w, :]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
            "data_format": self.data_format,
        }
