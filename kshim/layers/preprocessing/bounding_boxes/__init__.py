"""``keras.utils.bounding_boxes``: box formats, IoU, clipping, affine/crop/pad and anchor deltas.

Also the box helpers the image layers use (:func:`densify_bounding_boxes`, the inverse affine
matrix). ``__all__`` lists Keras' nine public functions.
"""

from .converters import (
    affine_transform,
    clip_to_image_size,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    inverse_affine_matrix,
    pad,
)  # noqa: F401
from .formats import SUPPORTED_FORMATS, convert_format, densify_bounding_boxes, validate_bounding_boxes  # noqa: F401
from .iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
