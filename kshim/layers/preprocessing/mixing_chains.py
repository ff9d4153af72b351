"""Policies that compose other augmentation layers: ``AugMix`` and ``RandAugment``.

Both hold the same kind of sub-layers as Keras (geometric ones from ``image_geometric``, colour ones
from this package) and pick among them per call. The pick is a tensor drawn from the layer's seed
generator and applied with :func:`select_branch`, so it is reproducible from the seed on every
backend and is re-drawn on every step inside a jitted training step.
"""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from .color_adjust import RandomBrightness, RandomColorDegeneration, RandomContrast
from .color_common import select_branch
from .color_histogram import Equalization
from .color_tone import AutoContrast, RandomPosterization, RandomSharpness, Solarization
from .image_base import BaseImagePreprocessingLayer

__all__ = ["AugMix", "RandAugment"]

AUGMENT_LAYERS_ALL = [
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
]
AUGMENT_LAYERS = AUGMENT_LAYERS_ALL[:7]
RAND_AUGMENT_LAYERS = [
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
]


def _build_sublayers(
    owner: Any,
    names: list,
    factor: tuple,
    value_range: Any,
    interpolation: str,
    seed: Any,
    data_format: Any,
    kwargs: dict,
) -> None:
    """Create ``owner.<name>`` for every name in ``names`` with Keras' arguments for AugMix/RandAugment."""
    from .image_geometric import RandomRotation, RandomShear, RandomTranslation

    kw = {k: v for k, v in kwargs.items() if k != "name"}
    common = dict(seed=seed, data_format=data_format, **kw)
    makers = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, interpolation=interpolation, **common),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation, **common
        ),
        "random_rotation": lambda: RandomRotation(factor=factor, interpolation=interpolation, **common),
        "solarization": lambda: Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, **common
        ),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, **common
        ),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format=data_format, **kw),
        "equalization": lambda: Equalization(value_range=value_range, data_format=data_format, **kw),
        "random_brightness": lambda: RandomBrightness(factor=factor, value_range=value_range, **common),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor=factor, value_range=value_range, **common),
        "random_contrast": lambda: RandomContrast(factor=factor, value_range=value_range, **common),
        "random_sharpness": lambda: RandomSharpness(factor=factor, value_range=value_range, **common),
    }
    for name in names:
        setattr(owner, name, makers[name]())


def _branches(layers: list, method: str, value: Any, transforms: dict, finish: Any) -> list:
    """One thunk per layer applying ``layer.<method>(value, its transformation)``, then ``finish``."""

    def make(layer: Any, name: str) -> Any:
        return lambda: finish(getattr(layer, method)(value, transforms[name], training=True))

    return [make(layer, name) for name, layer in layers]


class AugMix(BaseImagePreprocessingLayer):
    """AugMix (Hendrycks et al., 2020): mix several random augmentation chains with the original image.

    Each of ``num_chains`` chains applies ``chain_depth`` steps, each a uniformly chosen sub-layer or
    nothing; the chains are mixed with Dirichlet(``alpha``) weights and the result is blended with the
    input with a Beta(``alpha``, ``alpha``) weight, then clipped to ``value_range``.

    kshim differs from Keras in how steps are chosen: Keras draws them with Python's unseeded
    ``random`` module (fixed at trace time under ``jit``); kshim draws them from the layer's seed
    generator, so a seed reproduces them on every backend and a jitted step re-draws them. The
    transformation therefore holds, per chain and step, the chosen index and the transformations of
    every sub-layer (``{"layer_index", "transformations"}``) instead of one layer name.

    Args:
        value_range: The ``(min, max)`` range of the input values.
        num_chains: Number of augmentation chains.
        chain_depth: Steps per chain.
        factor: Strength of the sub-layers: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        alpha: Concentration of the Dirichlet and Beta draws.
        all_ops: Use all 11 sub-layers (else the 7 that do not overlap ImageNet-C corruptions).
        interpolation: Interpolation of the geometric sub-layers.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...), also given to the sub-layers
            (except ``name``).
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self._init_seed(seed)
        self._augment_layers = list(AUGMENT_LAYERS_ALL if all_ops else AUGMENT_LAYERS)
        _build_sublayers(self, self._augment_layers, self.factor, value_range, interpolation, seed, data_format, kwargs)

    def _layers_in_order(self) -> list:
        return [(name, getattr(self, name)) for name in self._augment_layers]

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        seed = self.generator if seed is None else seed
        gamma = _random.gamma((self.num_chains,), self.alpha, seed=seed)
        chain_weights = ops.divide(gamma, ops.sum(gamma, axis=-1, keepdims=True))
        weight_sample = _random.beta((), self.alpha, self.alpha, seed=seed)
        n_layers = len(self._augment_layers)
        picks = _random.randint((self.num_chains, self.chain_depth), 0, n_layers + 1, seed=seed)
        chains = []
        for c in range(self.num_chains):
            steps = []
            for d in range(self.chain_depth):
                transforms = {
                    name: layer.get_random_transformation(data, training=True, seed=seed)
                    for name, layer in self._layers_in_order()
                }
                steps.append({"layer_index": picks[c, d], "transformations": transforms})
            chains.append(steps)
        return {"chain_mixing_weights": chain_weights, "weight_sample": weight_sample, "chain_transforms": chains}

    def _run_chains(self, values: Any, transformation: Any, method: str, dtype: str) -> Any:
        weights = ops.cast(transformation["chain_mixing_weights"], dtype)
        mixed = ops.zeros_like(values)
        for idx, chain in enumerate(transformation["chain_transforms"]):
            out = values
            for step in chain:
                branches = _branches(
                    self._layers_in_order(), method, out, step["transformations"], lambda y: ops.cast(y, dtype)
                )
                out = select_branch(step["layer_index"], branches + [lambda v=out: v])
            mixed = ops.add(mixed, ops.multiply(out, weights[idx]))
        w = ops.cast(transformation["weight_sample"], dtype)
        return ops.add(ops.multiply(w, values), ops.multiply(ops.subtract(1.0, w), mixed))

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training or transformation is None:
            return x
        x = self._run_chains(x, transformation, "transform_images", cd)
        return ops.cast(ops.clip(x, self.value_range[0], self.value_range[1]), cd)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels

    def transform_bounding_boxes(self, bounding_boxes: Any, transformation: Any, training: bool = True) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        """Masks go through the same chains (geometric steps move them, colour steps keep them) and
        are mixed with the same weights, in the compute dtype (as in Keras, the result is a blend)."""
        if not training or transformation is None:
            return segmentation_masks
        cd = self.compute_dtype
        return self._run_chains(ops.cast(segmentation_masks, cd), transformation, "transform_segmentation_masks", cd)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class RandAugment(BaseImagePreprocessingLayer):
    """RandAugment (Cubuk et al., 2019): apply ``num_ops`` sub-layers chosen uniformly at random.

    The 11 sub-layers (shear, translation, rotation, brightness, colour degeneration, contrast,
    sharpness, posterization, solarization, auto-contrast, equalization) all take their strength
    from ``factor``; each call draws ``num_ops`` indices and one transformation per sub-layer, and
    applies the chosen sub-layers in order (the same ones to the whole batch). Bounding boxes and
    segmentation masks follow the chosen geometric sub-layers (kshim composes the chosen box
    transforms in order; Keras selects each from the untransformed boxes).

    Args:
        value_range: The ``(min, max)`` range of the input values.
        num_ops: Number of sub-layers applied per call.
        factor: Strength: a number ``f`` in ``[0, 1]`` (meaning ``(0, f)``) or a pair.
        interpolation: Interpolation of the geometric sub-layers.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``, ...), also
            given to the sub-layers (except ``name``).
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _AUGMENT_LAYERS = RAND_AUGMENT_LAYERS

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self._init_seed(seed)
        _build_sublayers(self, self._AUGMENT_LAYERS, self.factor, value_range, interpolation, seed, data_format, kwargs)

    def _layers_in_order(self) -> list:
        return [(name, getattr(self, name)) for name in self._AUGMENT_LAYERS]

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        seed = self.generator if seed is None else seed
        idx = _random.randint((self.num_ops,), 0, len(self._AUGMENT_LAYERS), seed=seed)
        transforms = {
            name: layer.get_random_transformation(data, training=training, seed=seed)
            for name, layer in self._layers_in_order()
        }
        return {"transforms": transforms, "layer_idxes": idx}

    def _apply_ops(self, value: Any, transformation: Any, method: str, finish: Any) -> Any:
        for i in range(self.num_ops):
            branches = _branches(self._layers_in_order(), method, value, transformation["transforms"], finish)
            value = select_branch(transformation["layer_idxes"][i], branches)
        return value

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        cd = self.compute_dtype
        x = ops.cast(images, cd)
        if not training or transformation is None:
            return x
        return self._apply_ops(x, transformation, "transform_images", lambda y: ops.cast(y, cd))

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels

    def transform_bounding_boxes(self, bounding_boxes: Any, transformation: Any, training: bool = True) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        dtypes = {k: ops.dtype(v) for k, v in bounding_boxes.items()}
        if "boxes" in dtypes and not ops.dtype(bounding_boxes["boxes"]).startswith(("float", "bfloat")):
            dtypes["boxes"] = self.compute_dtype

        def finish(bb):
            return {k: ops.cast(bb[k], dtypes[k]) for k in dtypes}

        return self._apply_ops(finish(bounding_boxes), transformation, "transform_bounding_boxes", finish)

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        d = ops.dtype(segmentation_masks)
        return self._apply_ops(
            segmentation_masks, transformation, "transform_segmentation_masks", lambda y: ops.cast(y, d)
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
