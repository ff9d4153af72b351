"""``keras.ops.image``: resize, warps, patches, filters, colour (a submodule, not star-imported into ``kshim.ops``).

The ops are composites over the backend primitives, written once for every backend and grouped by
topic: ``image_color`` (grayscale, HSV), ``image_resize`` (resize, scale_and_translate),
``image_sample`` (map_coordinates and the sampler), ``image_warp`` (affine, perspective, elastic),
``image_filter`` (Gaussian blur, Sobel, SSIM) and ``image_patches`` (patches, crop, pad). Where
Keras' own backends disagree, Keras-JAX is the reference; each docstring says where kshim differs.
"""

from __future__ import annotations

from .image_color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from .image_filter import gaussian_blur, sobel_edges, ssim
from .image_patches import crop_images, extract_patches, extract_patches_3d, pad_images
from .image_resize import resize, scale_and_translate
from .image_sample import map_coordinates
from .image_warp import affine_transform, elastic_transform, perspective_transform

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
