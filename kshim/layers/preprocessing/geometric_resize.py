"""Size-changing image layers: ``Resizing``, ``CenterCrop`` and ``RandomCrop`` (Keras 3 names and configs)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ... import random as _random
from ...random import host as _host
from .bounding_boxes import clip_to_image_size, convert_format
from .bounding_boxes.formats import join4, split4
from .geometric_base import GeometricLayer

__all__ = ["CenterCrop", "RandomCrop", "Resizing"]


def _f32(v: Any) -> Any:
    return ops.cast(v, "float32")


def _aspect_crop(height: int, width: int, target_h: int, target_w: int) -> tuple:
    """Keras' centred window with the target aspect ratio: ``(h_start, w_start, crop_h, crop_w)``."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _hw_axes(nd: int, data_format: str) -> tuple:
    return (nd - 3, nd - 2) if data_format == "channels_last" else (nd - 2, nd - 1)


def _static_crop(images: Any, h0: int, w0: int, h: int, w: int, data_format: str) -> Any:
    """``images[..., h0:h0+h, w0:w0+w, ...]`` with Python slice semantics (truncated at the edge)."""
    shape = list(ops.shape(images))
    ha, wa = _hw_axes(len(shape), data_format)
    start = [0] * len(shape)
    start[ha], start[wa] = h0, w0
    shape[ha] = max(0, min(shape[ha], h0 + h) - h0)
    shape[wa] = max(0, min(shape[wa], w0 + w) - w0)
    return ops.slice(images, start, shape)


def _offset_crop(images: Any, h0: Any, w0: Any, h: int, w: int, data_format: str) -> Any:
    """The ``h x w`` window at (possibly traced) offsets ``(h0, w0)``, as two gathers (jit-friendly)."""
    ha, wa = _hw_axes(len(ops.shape(images)), data_format)
    rows = ops.add(ops.arange(h, dtype="int32"), ops.cast(h0, "int32"))
    cols = ops.add(ops.arange(w, dtype="int32"), ops.cast(w0, "int32"))
    return ops.take(ops.take(images, rows, axis=ha), cols, axis=wa)


class Resizing(GeometricLayer):
    """Resize images to ``(height, width)`` (Keras' ``Resizing``).

    Numerics are ``kshim.ops.image.resize`` (Keras-JAX's). Integer images stay integers (rounded
    and clipped), as in Keras. Bounding boxes are scaled (and shifted for the aspect-ratio
    options) and clipped to the new size; segmentation masks use nearest-neighbour resizing.

    Args:
        height: Output height.
        width: Output width.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"``,
            ``"lanczos5"`` or ``"area"``.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio first (no distortion).
        pad_to_aspect_ratio: Pad the short side evenly to the target aspect ratio first.
        fill_mode: Only ``"constant"`` (the padding for ``pad_to_aspect_ratio``).
        fill_value: The padding value.
        antialias: Low-pass filter when downsampling.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``, ...).
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        return ops.image.resize(
            images,
            size=(self.height, self.width),
            interpolation=interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        return self._transform_images(images, transformation, self.interpolation)

    def _output_dtype(self, input_dtype: str) -> str:
        return input_dtype

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self._transform_images(segmentation_masks, transformation, "nearest")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return self._hw(ops.shape(self._images_of(data)))

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        in_h, in_w = transformation
        boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
        empty = ops.logical_or(ops.all(ops.equal(boxes, -1), axis=-1), ops.all(ops.equal(boxes, 0), axis=-1))
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=in_h, width=in_w)
        bb["boxes"] = self._transform_xyxy(bb["boxes"], in_h, in_w)
        bb = clip_to_image_size(bb, height=self.height, width=self.width)
        bb["boxes"] = ops.where(ops.expand_dims(empty, -1), ops.zeros((4,), ops.dtype(bb["boxes"])), bb["boxes"])
        return convert_format(bb, "xyxy", self._box_format, height=self.height, width=self.width)

    def _transform_xyxy(self, boxes: Any, in_h: Any, in_w: Any) -> Any:
        d = ops.dtype(boxes)
        ih, iw = ops.cast(in_h, d), ops.cast(in_w, d)
        x1, y1, x2, y2 = split4(boxes)
        if self.pad_to_aspect_ratio:
            r = ops.minimum(ops.divide(self.height, ih), ops.divide(self.width, iw))
            dy = ops.floor(ops.divide(ops.subtract(self.height, ops.multiply(ih, r)), 2))
            dx = ops.floor(ops.divide(ops.subtract(self.width, ops.multiply(iw, r)), 2))
            sx = sy = r
        elif self.crop_to_aspect_ratio:
            src = ops.divide(iw, ih)
            wider = ops.greater(src, self.width / self.height)
            new_w = ops.where(wider, ops.multiply(self.height, src), ops.cast(self.width, d))
            new_h = ops.where(wider, ops.cast(self.height, d), ops.divide(self.width, src))
            sx, sy = ops.divide(new_w, iw), ops.divide(new_h, ih)
            dx = ops.negative(ops.floor(ops.divide(ops.subtract(new_w, self.width), 2)))
            dy = ops.negative(ops.floor(ops.divide(ops.subtract(new_h, self.height), 2)))
        else:
            sx, sy = ops.divide(self.width, iw), ops.divide(self.height, ih)
            dx = dy = ops.cast(0, d)
        return join4(
            ops.add(ops.multiply(x1, sx), dx),
            ops.add(ops.multiply(y1, sy), dy),
            ops.add(ops.multiply(x2, sx), dx),
            ops.add(ops.multiply(y2, sy), dy),
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        ha, wa = _hw_axes(len(shape), self.data_format)
        shape[ha], shape[wa] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "height": self.height,
                "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "antialias": self.antialias,
                "data_format": self.data_format,
            }
        )
        return cfg


class CenterCrop(GeometricLayer):
    """Crop the central ``height x width`` window (Keras' ``CenterCrop``), in training and inference.

    An image smaller than the target along either side is instead centre-cropped to the target
    aspect ratio and resized (bilinear), as Keras' ``smart_resize``. Output is in the compute dtype.

    Args:
        height: Output height.
        width: Output width.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        **kwargs: Base layer arguments.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return {"input_shape": tuple(ops.shape(self._images_of(data)))}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Any:
        x = ops.cast(images, self.compute_dtype)
        h, w = self._hw(ops.shape(x))
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            return _static_crop(x, dh // 2, dw // 2, self.height, self.width, self.data_format)
        return ops.image.resize(x, (self.height, self.width), crop_to_aspect_ratio=True, data_format=self.data_format)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        h, w = self._hw(transformation["input_shape"])
        bb = convert_format(bounding_boxes, self._box_format, "xyxy", height=h, width=w)
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            h0, w0, ch, cw = int(dh / 2), int(dw / 2), self.height, self.width
        else:
            h0, w0, ch, cw = _aspect_crop(h, w, self.height, self.width)
        x1, y1, x2, y2 = split4(bb["boxes"])
        cx = lambda v: ops.subtract(ops.clip(v, w0, w0 + cw), w0)  # noqa: E731
        cy = lambda v: ops.subtract(ops.clip(v, h0, h0 + ch), h0)  # noqa: E731
        bb["boxes"] = join4(cx(x1), cy(y1), cx(x2), cy(y2))
        if not (dh >= 0 and dw >= 0):
            bb = convert_format(bb, "xyxy", "rel_xyxy", height=ch, width=cw)
            bb = convert_format(bb, "rel_xyxy", "xyxy", height=self.height, width=self.width)
        bb = clip_to_image_size(bb, height=self.height, width=self.width, bounding_box_format="xyxy")
        return convert_format(bb, "xyxy", self._box_format, height=self.height, width=self.width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        if (shape and isinstance(shape[0], (list, tuple))) or len(shape) not in (3, 4):
            raise ValueError(
                "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 (unbatched) or 4 (batched). "
            )
        ha, wa = _hw_axes(len(shape), self.data_format)
        shape[ha], shape[wa] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return cfg


class RandomCrop(GeometricLayer):
    """Crop a random ``height x width`` window in training (Keras' ``RandomCrop``).

    The window's top-left corner is drawn uniformly (one draw per call, shared by the batch). An
    image not larger than the target along both sides gets Keras' centred aspect-ratio window
    instead, resized to the target. As in Keras, inference (``training=False``) returns the input
    unchanged. The transformation is Keras' ``(h_start, w_start)``; the crop is a gather, so it
    also runs in jitted steps.

    Deliberate difference: Keras subtracts ``h_start`` from the boxes' x coordinates and
    ``w_start`` from their y coordinates; kshim shifts x by ``w_start`` and y by ``h_start`` (the
    same result for square offsets). Like Keras, boxes are only clipped at zero, and relative box
    formats are taken relative to the target size.

    Args:
        height: Output height.
        width: Output width.
        seed: Random seed (Keras draws one when ``None``, which ``get_config`` then records).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        name: Layer name.
        **kwargs: Base layer arguments.
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self._init_seed(seed if seed is not None else _host.next_seed())

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        seed = self.generator if seed is None else seed
        in_h, in_w = self._hw(ops.shape(self._images_of(data)))
        if in_h is None or in_w is None:
            raise ValueError(
                "RandomCrop requires the input to have a fully defined height and width. "
                f"Received: images.shape={tuple(ops.shape(self._images_of(data)))}"
            )
        if training and in_h > self.height and in_w > self.width:
            h0 = ops.cast(_random.uniform((), 0.0, float(in_h - self.height + 1), seed=seed), "int32")
            w0 = ops.cast(_random.uniform((), 0.0, float(in_w - self.width + 1), seed=seed), "int32")
            return h0, w0
        h0, w0, _, _ = _aspect_crop(in_h, in_w, self.height, self.width)
        return h0, w0

    def transform_images(  # type: ignore[override]  # as Keras: required
        self,
        images: Any,
        transformation: Any,
        training: bool = True,
    ) -> Any:
        if not training:
            return images
        x = ops.cast(images, self.compute_dtype)
        h0, w0 = transformation
        if isinstance(h0, int) and isinstance(w0, int):
            x = _static_crop(x, h0, w0, self.height, self.width, self.data_format)
        else:
            x = _offset_crop(x, h0, w0, self.height, self.width, self.data_format)
        if self._hw(ops.shape(x)) != (self.height, self.width):
            x = ops.cast(
                ops.image.resize(x, (self.height, self.width), data_format=self.data_format), self.compute_dtype
            )
        return x

    def transform_segmentation_masks(  # type: ignore[override]  # as Keras
        self,
        segmentation_masks: Any,
        transformation: Any,
        training: bool = True,
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation)

    def transform_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool = True) -> dict:
        if not training:
            return bounding_boxes
        h0, w0 = transformation
        boxes = convert_format(bounding_boxes["boxes"], self._box_format, "xyxy", height=self.height, width=self.width)
        d = ops.dtype(boxes)
        h0, w0 = ops.cast(h0, d), ops.cast(w0, d)
        x1, y1, x2, y2 = split4(boxes)
        sx = lambda v: ops.maximum(ops.subtract(v, w0), 0)  # noqa: E731
        sy = lambda v: ops.maximum(ops.subtract(v, h0), 0)  # noqa: E731
        boxes = join4(sx(x1), sy(y1), sx(x2), sy(y2))
        boxes = convert_format(boxes, "xyxy", self._box_format, height=self.height, width=self.width)
        return {"boxes": boxes, "labels": bounding_boxes["labels"]}

    def compute_output_shape(self, input_shape: Any, *args: Any, **kwargs: Any) -> Any:
        shape = list(input_shape)
        ha, wa = _hw_axes(len(shape), self.data_format)
        shape[ha], shape[wa] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "seed": self.seed, "data_format": self.data_format})
        return cfg
