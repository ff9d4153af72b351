"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize``.

Pillow does the file work (as in Keras); resizing of arrays goes through ``kshim.ops.image.resize``.
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np

from .. import _config

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize", "pil_image"]


def pil_image(what: str = "this function") -> Any:
    """The ``PIL.Image`` module, or an ``ImportError`` that says how to install it."""
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is an extra
        raise ImportError(
            f"Could not import PIL.Image. The use of {what} requires PIL "
            f"(pip install pillow, or pip install kshim[data])."
        ) from e
    return Image


def _resampling(name: str) -> Any:
    image = pil_image("load_img")
    r = getattr(image, "Resampling", image)
    methods = {
        "nearest": r.NEAREST,
        "bilinear": r.BILINEAR,
        "bicubic": r.BICUBIC,
        "hamming": r.HAMMING,
        "box": r.BOX,
        "lanczos": r.LANCZOS,
    }
    if name not in methods:
        raise ValueError(f"Invalid interpolation method {name} specified. Supported methods are {', '.join(methods)}")
    return methods[name]


def _data_format(value: str | None) -> str:
    value = _config.image_data_format() if value is None else str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
            f"Received: data_format={value}"
        )
    return value


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None) -> Any:
    """Convert a rank-3 array to a PIL image.

    Args:
        x: An image array, ``(h, w, c)`` or ``(c, h, w)`` with 1, 3 or 4 channels.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the global setting.
        scale: Rescale the values so that the minimum maps to 0 and the maximum to 255.
        dtype: Dtype of the intermediate array; ``None`` uses ``floatx``.

    Returns:
        A ``PIL.Image.Image`` in mode ``RGBA``, ``RGB``, ``L`` (or ``I`` for one channel above 255).

    Raises:
        ValueError: ``x`` is not rank 3, or has another number of channels.
    """
    data_format = _data_format(data_format)
    image = pil_image("array_to_img")
    x = np.array(x, dtype=dtype or _config.floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGBA" if channels == 4 else "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """Convert a PIL image (or anything array-like of rank 2 or 3) to a rank-3 NumPy array.

    Args:
        img: A PIL image.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the global setting.
        dtype: Output dtype; ``None`` uses ``floatx``.

    Returns:
        ``(h, w, c)`` (or ``(c, h, w)``); a grayscale image gets one channel.

    Raises:
        ValueError: the image is not rank 2 or 3.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or _config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x.reshape((1,) + x.shape if data_format == "channels_first" else x.shape + (1,))
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(
    path: Any, x: Any, data_format: str | None = None, file_format: str | None = None, scale: bool = True, **kwargs: Any
) -> None:
    """Save an image array to a path or file object.

    Args:
        path: A path or a writable binary file object.
        x: The image array (see :func:`array_to_img`).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the global setting.
        file_format: Format name (``"png"``, ``"jpeg"``, ...); ``None`` takes it from the extension
            (required for a file object).
        scale: Rescale values to ``[0, 255]`` first.
        **kwargs: Passed to ``PIL.Image.Image.save``.
    """
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def _convert_mode(img: Any, color_mode: str) -> Any:
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode in ("rgb", "rgba"):
        mode = color_mode.upper()
        return img if img.mode == mode else img.convert(mode)
    raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Load an image file into a PIL image.

    Args:
        path: A path (``str``, ``bytes``, ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or ``None``.
        interpolation: Pillow resampling: ``"nearest"``, ``"bilinear"``, ``"bicubic"``, ``"hamming"``,
            ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: Centre-crop to the target aspect ratio before resizing.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        TypeError: ``path`` is of another type.
        ValueError: unknown ``color_mode`` or ``interpolation``.
    """
    image = pil_image("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    img = _convert_mode(img, color_mode)
    if target_size is None:
        return img
    wh = (int(target_size[1]), int(target_size[0]))
    if img.size == wh:
        return img
    resample = _resampling(interpolation)
    if not keep_aspect_ratio:
        return img.resize(wh, resample)
    width, height = img.size
    crop_h = min(height, (width * wh[1]) // wh[0])
    crop_w = min(width, (height * wh[0]) // wh[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(wh, resample, box=[left, top, left + crop_w, top + crop_h])


def smart_resize(
    x: Any, size: Any, interpolation: str = "bilinear", data_format: str = "channels_last", **kwargs: Any
) -> Any:
    """Resize an image (or batch) to ``size`` without distorting its aspect ratio: take the largest
    centred crop with the target aspect ratio, then resize it.

    Args:
        x: ``(h, w, c)`` or ``(b, h, w, c)`` (channels first with ``data_format="channels_first"``),
            a NumPy array or a tensor of the active backend.
        size: ``(height, width)``.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: None accepted (Keras' private ``backend_module`` is ignored).

    Returns:
        The resized images: a NumPy array for a NumPy input, else a tensor of the active backend.

    Raises:
        ValueError: ``size`` is not two ints, or ``x`` is not rank 3 or 4.
        TypeError: unexpected keyword arguments.
    """
    from .. import ops

    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs.keys())}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = ops.convert_to_tensor(x)
    shape = tuple(img.shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"Expected an image array with shape `(height, width, channels)`, or `(batch_size, "
            f"height, width, channels)`, but got input with incorrect rank, of shape {shape}."
        )
    h_axis = len(shape) - (3 if data_format == "channels_last" else 2)
    height, width = int(shape[h_axis]), int(shape[h_axis + 1])
    th, tw = int(size[0]), int(size[1])
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    index = [slice(None)] * len(shape)
    index[h_axis], index[h_axis + 1] = slice(top, top + crop_h), slice(left, left + crop_w)
    img = ops.image.resize(img[tuple(index)], size=(th, tw), interpolation=interpolation, data_format=data_format)
    if isinstance(x, np.ndarray):
        return np.array(ops.convert_to_numpy(img))
    return img
