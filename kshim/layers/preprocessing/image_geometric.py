"""Geometric image preprocessing and augmentation layers (Keras 3 names).

Resizing and cropping (``geometric_resize``), flips and box-count padding (``geometric_flip``),
affine augmentations (``geometric_affine``) and perspective/elastic warps (``geometric_warp``).
Every layer follows Keras' transformation contract (``get_random_transformation`` and the
``transform_*`` methods, including bounding boxes and segmentation masks) and draws its
randomness from ``kshim.random``, so one seed gives one augmentation on every backend.
"""

from .geometric_affine import RandomRotation, RandomShear, RandomTranslation, RandomZoom
from .geometric_flip import MaxNumBoundingBoxes, RandomFlip
from .geometric_resize import CenterCrop, RandomCrop, Resizing
from .geometric_warp import RandomElasticTransform, RandomPerspective

__all__ = [
    "CenterCrop",
    "MaxNumBoundingBoxes",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomFlip",
    "RandomPerspective",
    "RandomRotation",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
]
