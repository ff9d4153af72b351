"""``BaseImagePreprocessingLayer``: the contract every image preprocessing/augmentation layer follows.

Same structure as Keras 3's base class of the same name: a layer draws one *transformation* per call
(``get_random_transformation``) and applies it to each part of its input through
``transform_images``, ``transform_labels``, ``transform_bounding_boxes`` and
``transform_segmentation_masks``. Input is either an image batch (rank 4), a single image (rank 3),
or a dict with the keys ``"images"`` and optionally ``"labels"``, ``"bounding_boxes"`` (a dict with
``"boxes"`` and ``"labels"``, in ``bounding_box_format``) and ``"segmentation_masks"``.

Random layers call ``self._init_seed(seed)`` and draw from ``self.generator`` through
``kshim.random``, so the same seed gives the same augmentation on every backend.
"""

from __future__ import annotations

from typing import Any, cast

from ... import _config
from ... import ops
from .data_layer import DataLayer

__all__ = ["BaseImagePreprocessingLayer"]

_DICT_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks")


def standardize_data_format(data_format: str | None) -> str:
    """``None`` → the global ``image_data_format()``; otherwise it must be a Keras data format."""
    if data_format is None:
        return _config.image_data_format()
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return fmt


def parse_factor(factor: Any, bounds: tuple = (-1, 1), name: str = "factor") -> tuple:
    """Keras' factor convention: a number ``f`` means ``(max(-f, lo), f)``; a pair is sorted.

    Args:
        factor: A number or a pair of numbers.
        bounds: ``(lo, hi)`` the factor must lie in.
        name: The argument name used in the error message.

    Returns:
        ``(lower, upper)``.

    Raises:
        ValueError: If ``factor`` is not a number or a pair, or lies outside ``bounds``.
    """
    lo_b, hi_b = bounds
    msg = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{lo_b}, {hi_b}]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > hi_b or factor[1] < lo_b:
            raise ValueError(msg)
        lower, upper = sorted(factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < lo_b or factor > hi_b:
            raise ValueError(msg)
        f = abs(factor)
        lower, upper = max(-f, lo_b), f
    else:
        raise ValueError(msg)
    return (lower, upper)


class BaseImagePreprocessingLayer(DataLayer):
    """Base of image preprocessing layers (Keras' ``BaseImagePreprocessingLayer``).

    Subclasses set ``_USE_BASE_FACTOR`` (take a ``factor`` argument, stored as ``self.factor =
    (lower, upper)``) and ``_FACTOR_BOUNDS``, and override ``get_random_transformation`` and the
    ``transform_*`` methods they support. Batched methods receive rank-4 tensors; single images are
    expanded to a batch of one and squeezed back by this class.

    Args:
        factor: Strength of the augmentation: a number ``f`` (meaning ``(-f, f)`` clipped to the
            bounds) or a pair ``(lower, upper)``.
        bounding_box_format: Format of ``data["bounding_boxes"]["boxes"]`` (e.g. ``"xyxy"``);
            required when bounding boxes are passed.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS: tuple[float, float] = (-1, 1)
    #: ``(low, high)`` as ``_set_factor`` parses it; a few subclasses keep a scalar of their own.
    factor: Any

    def __init__(
        self, factor: Any = None, bounding_box_format: str | None = None, data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {type(self).__name__} does not take a `factor` argument. Received: factor={factor}"
            )
        self.built = True

    @property
    def _box_format(self) -> str:
        # call() refuses bounding boxes without a format, so the transform_bounding_boxes methods have a str
        return cast(str, self.bounding_box_format)

    # ---- factor --------------------------------------------------------------------------------
    def _set_factor(self, factor: Any) -> None:
        self.factor = parse_factor(factor, self._FACTOR_BOUNDS)

    # ---- hooks ---------------------------------------------------------------------------------
    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """Draw the parameters of one call's transformation (``None``: nothing random)."""
        return None

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not transform images.")

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not transform labels.")

    def transform_bounding_boxes(self, bounding_boxes: Any, transformation: Any, training: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not transform bounding boxes.")

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not transform segmentation masks.")

    # ---- call ----------------------------------------------------------------------------------
    @staticmethod
    def _is_batched(images: Any) -> bool:
        rank = len(ops.shape(images))
        if rank == 4:
            return True
        if rank == 3:
            return False
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: data.shape={tuple(ops.shape(images))}"
        )

    def _apply(self, fn: Any, value: Any, transformation: Any, training: bool, batched: bool, kind: str) -> Any:
        if batched:
            return fn(value, transformation=transformation, training=training)
        if kind == "bounding_boxes":
            value = {k: (ops.expand_dims(v, 0) if k in ("boxes", "labels") else v) for k, v in value.items()}
            out = fn(value, transformation=transformation, training=training)
            return {k: (ops.squeeze(v, 0) if k in ("boxes", "labels") else v) for k, v in out.items()}
        out = fn(ops.expand_dims(value, 0), transformation=transformation, training=training)
        return ops.squeeze(out, 0)

    def call(self, data: Any, training: bool = True) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(_DICT_KEYS))
            if "images" not in data or unknown:
                raise ValueError(
                    f"{type(self).__name__}: a dict input needs the key 'images' and may have "
                    f"{list(_DICT_KEYS[1:])}; got keys {sorted(data)}."
                )
            data = dict(data)
            data["images"] = ops.convert_to_tensor(data["images"])
            batched = self._is_batched(data["images"])
            transformation = self.get_random_transformation(data, training=training)
            out = dict(data)
            out["images"] = self._apply(
                self.transform_images, data["images"], transformation, training, batched, "images"
            )
            if "bounding_boxes" in data:
                if not self.bounding_box_format:
                    raise ValueError(
                        "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                        f"bounding box format. Pass a `bounding_box_format` argument to your "
                        f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
                    )
                boxes = {k: ops.convert_to_tensor(v) for k, v in dict(data["bounding_boxes"]).items()}
                out["bounding_boxes"] = self._apply(
                    self.transform_bounding_boxes, boxes, transformation, training, batched, "bounding_boxes"
                )
            if "labels" in data:
                out["labels"] = self._apply(
                    self.transform_labels,
                    ops.convert_to_tensor(data["labels"]),
                    transformation,
                    training,
                    batched,
                    "labels",
                )
            if "segmentation_masks" in data:
                out["segmentation_masks"] = self._apply(
                    self.transform_segmentation_masks,
                    ops.convert_to_tensor(data["segmentation_masks"]),
                    transformation,
                    training,
                    batched,
                    "segmentation_masks",
                )
            return out
        images = ops.convert_to_tensor(data)
        batched = self._is_batched(images)
        transformation = self.get_random_transformation(images, training=training)
        return self._apply(self.transform_images, images, transformation, training, batched, "images")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            cfg["bounding_box_format"] = self.bounding_box_format
        return cfg

    # ---- helpers shared by subclasses ----------------------------------------------------------
    @staticmethod
    def _transform_value_range(images: Any, original_range: Any, target_range: Any, dtype: str = "float32") -> Any:
        """Linearly map ``images`` from ``original_range`` to ``target_range`` (both ``(min, max)``)."""
        if tuple(original_range) == tuple(target_range):
            return images
        images = ops.cast(images, dtype)
        (lo, hi), (tlo, thi) = original_range, target_range
        images = ops.divide(ops.subtract(images, lo), hi - lo)
        return ops.add(ops.multiply(images, thi - tlo), tlo)
