"""``RandomColorJitter``: brightness, contrast, saturation and hue adjustments in one layer."""

from __future__ import annotations

from typing import Any

from ... import ops
from .color_adjust import RandomBrightness, RandomContrast, RandomHue, RandomSaturation
from .color_common import ColorLayerBase

__all__ = ["RandomColorJitter"]

_PARTS = ("random_brightness", "random_contrast", "random_saturation", "random_hue")


class RandomColorJitter(ColorLayerBase):
    """Apply ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation`` and ``RandomHue`` in that
    order, each only when its factor is given.

    All draws come from this layer's seed generator (in the order of the parts), so the same seed
    gives the same result on every backend. kshim differs from Keras in two small ways: the draws
    happen in ``get_random_transformation`` (Keras draws inside ``transform_images`` and ignores the
    transformation passed to it), and the parts use this layer's ``data_format`` (Keras leaves them
    on the global default).

    Args:
        value_range: The ``(min, max)`` range of the input values.
        brightness_factor: ``factor`` of the brightness part, or ``None`` to skip it.
        contrast_factor: ``factor`` of the contrast part, or ``None``.
        saturation_factor: ``factor`` of the saturation part, or ``None``.
        hue_factor: ``factor`` of the hue part, or ``None``.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._init_seed(seed)
        df = self.data_format
        self.random_brightness = (
            None
            if brightness_factor is None
            else RandomBrightness(factor=brightness_factor, value_range=value_range, seed=seed, data_format=df)
        )
        self.random_contrast = (
            None
            if contrast_factor is None
            else RandomContrast(factor=contrast_factor, value_range=value_range, seed=seed, data_format=df)
        )
        self.random_saturation = (
            None
            if saturation_factor is None
            else RandomSaturation(factor=saturation_factor, value_range=value_range, seed=seed, data_format=df)
        )
        self.random_hue = (
            None
            if hue_factor is None
            else RandomHue(factor=hue_factor, value_range=value_range, seed=seed, data_format=df)
        )

    def _parts(self) -> list:
        return [(name, getattr(self, name)) for name in _PARTS if getattr(self, name) is not None]

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        seed = self._seed(seed)
        return {name: layer.get_random_transformation(data, training=True, seed=seed) for name, layer in self._parts()}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        for name, layer in self._parts():
            t = dict(transformation[name])
            if name == "random_contrast":
                t["contrast_factor"] = ops.cast(t["contrast_factor"], cd)
            x = layer.transform_images(x, t, training=True)
        return ops.cast(x, cd)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
