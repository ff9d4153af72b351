"""Helpers shared by the colour, intensity and mixing augmentation layers (not public API).

Argument checks with Keras' messages (``value_range``, named factors), the image tensor of a call's
input, its batch size, and a traceable "run branch ``i``" used by the layers that pick one of several
augmentations per call (AugMix, RandAugment).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ... import ops
from .image_base import BaseImagePreprocessingLayer, parse_factor

VALUE_RANGE_ERROR = "The `value_range` argument should be a list of two numbers. "


def checked_value_range(value_range: Any) -> list:
    """``value_range`` as Keras stores it after validation: a sorted list of two numbers.

    Raises:
        ValueError: If ``value_range`` is not a list/tuple of two numbers.
    """
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(VALUE_RANGE_ERROR + f"Received: value_range={value_range}")
    return sorted(value_range)


def factor_by_name(factor: Any, name: str, bounds: tuple = (0, 1)) -> tuple:
    """Keras' ``_set_factor_by_name`` (see :func:`image_base.parse_factor`)."""
    return parse_factor(factor, bounds, name)


def images_of(data: Any) -> Any:
    """The image tensor of a layer input (a tensor, or a dict with ``"images"``)."""
    return data["images"] if isinstance(data, dict) else data


def batch_size(images: Any) -> int:
    """1 for a single image (rank 3), the leading dimension for a batch (rank 4).

    Raises:
        ValueError: For another rank.
    """
    shape = tuple(ops.shape(images))
    if len(shape) == 3:
        return 1
    if len(shape) == 4:
        return int(shape[0])
    raise ValueError(f"Expected the input image to be rank 3 or 4. Received inputs.shape={shape}")


def hw_axes(data_format: str) -> tuple[int, int, int]:
    """(height, width, channel) axes of a rank-4 batch, counted from the end."""
    return (-2, -1, -3) if data_format == "channels_first" else (-3, -2, -1)


def select_branch(index: Any, branches: Sequence[Callable[[], Any]]) -> Any:
    """``branches[index]()`` for a 0-d integer tensor ``index``, traceable under ``jax.jit``.

    Eager backends evaluate the index and run one branch; under tracing, the branches become nested
    ``cond`` calls (every branch compiled, one executed). All branches must return the same structure,
    shapes and dtypes. An index outside ``[0, len(branches))`` runs the last branch.
    """
    if len(branches) == 1:
        return branches[0]()
    first, rest = branches[0], branches[1:]
    return ops.cond(ops.equal(index, 0), first, lambda: select_branch(ops.subtract(index, 1), rest))


def mask_from_box(shape: tuple, data_format: str, dtype: str, x0: Any, x1: Any, y0: Any, y1: Any) -> Any:
    """Boolean ``shape`` mask (a rank-4 batch) of the pixels with ``x0 <= x < x1`` and ``y0 <= y < y1``.

    ``x0``..``y1`` are ``(batch,)`` float tensors; the mask covers every channel, as Keras' CutMix
    and RandomErasing build it.
    """
    h_ax, w_ax, c_ax = hw_axes(data_format)
    height, width, channels = shape[h_ax], shape[w_ax], shape[c_ax]
    gy, gx = ops.meshgrid(ops.arange(height, dtype=dtype), ops.arange(width, dtype=dtype), indexing="ij")
    if data_format == "channels_last":
        gy, gx = ops.reshape(gy, (1, height, width, 1)), ops.reshape(gx, (1, height, width, 1))
    else:
        gy, gx = ops.reshape(gy, (1, 1, height, width)), ops.reshape(gx, (1, 1, height, width))

    def col(t):
        return ops.reshape(t, (-1, 1, 1, 1))

    inside = ops.logical_and(
        ops.logical_and(ops.greater_equal(gx, col(x0)), ops.less(gx, col(x1))),
        ops.logical_and(ops.greater_equal(gy, col(y0)), ops.less(gy, col(y1))),
    )
    return ops.repeat(inside, channels, axis=c_ax)


class ColorLayerBase(BaseImagePreprocessingLayer):
    """Base of the layers that change pixel values only: labels, bounding boxes and segmentation
    masks pass through unchanged (as in Keras)."""

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels

    def transform_bounding_boxes(self, bounding_boxes: Any, transformation: Any, training: bool = True) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any, training: bool = True) -> Any:
        return segmentation_masks
