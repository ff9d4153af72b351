"""``image_dataset_from_directory``: batches of decoded, resized images and their labels, without TensorFlow.

Files are decoded with Pillow (RGB JPEGs with simplejpeg when installed: the same pixels, faster) on a
thread pool (one chunk of the batch per thread; ``KSHIM_DECODE_THREADS`` sets its size, default one
per core), one batch at a time
(lazily, the next one prepared while the current one is used), and resized with
``kshim.ops.image.resize`` under the NumPy backend — Keras' ``format="grain"`` path, which decodes
with Pillow too. (Keras' default ``format="tf"`` decodes with TensorFlow; grayscale conversion of
colour files can then differ by one level.)
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from .. import _config
from .datasets_index import build_datasets, check_labels_args, check_validation_split_arg, index_directory
from .image_utils import _convert_mode, pil_image

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_NO_OP_WHEN_SAME_SIZE = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")

_POOL: list = []
_POOL_LOCK = threading.Lock()


def decode_threads() -> int:
    """Threads that decode files: ``KSHIM_DECODE_THREADS`` when set (a positive integer), else one per
    core, at most 8."""
    raw = os.environ.get("KSHIM_DECODE_THREADS", "").strip()
    if not raw:
        return min(8, os.cpu_count() or 1)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"KSHIM_DECODE_THREADS must be a positive integer; got {raw!r}. Unset it for one per core.")
    return int(raw)


def decode_pool() -> ThreadPoolExecutor:
    """The shared thread pool that decodes files (Pillow and simplejpeg release the GIL while decoding)."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=decode_threads(), thread_name_prefix="kshim-decode"))
        return _POOL[0]


_JPEG: list = []  # [simplejpeg.decode_jpeg or None], looked up once


def _simplejpeg() -> Any:
    """``simplejpeg.decode_jpeg`` when the package is installed (it is in the ``data`` extra), else None."""
    if not _JPEG:
        try:
            from simplejpeg import decode_jpeg
        except ImportError:
            decode_jpeg = None
        _JPEG.append(decode_jpeg)
    return _JPEG[0]


def _decode(path: str, color_mode: str) -> np.ndarray:
    """The pixels of one file, ``(h, w)`` or ``(h, w, c)``, in the dtype Pillow gives (uint8 mostly).

    An RGB JPEG goes through ``simplejpeg`` when installed: libjpeg-turbo, as in Pillow, with the same
    (accurate) DCT and upsampling, so the same pixels, straight to an array; ~3x faster than Pillow on
    small files, whose cost is mostly ``Image.open``'s header parsing in Python (64x64: ~100 vs ~300 us
    measured). Pillow decodes everything else, and any JPEG simplejpeg refuses (CMYK, damaged).
    """
    decode_jpeg = _simplejpeg() if color_mode == "rgb" else None
    pixels = None if decode_jpeg is None else _decode_rgb_jpeg(decode_jpeg, path)
    if pixels is not None:
        return pixels
    image = pil_image("image_dataset_from_directory")
    with image.open(path) as img:
        return np.asarray(_convert_mode(img, color_mode))


def _decode_rgb_jpeg(decode_jpeg: Callable, path: str) -> np.ndarray | None:
    """The RGB pixels of a JPEG file through ``decode_jpeg``; None for another format or a JPEG it
    refuses (CMYK, damaged), which Pillow then decodes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"\xff\xd8\xff":
        return None
    try:
        return decode_jpeg(data, colorspace="RGB")
    except ValueError:
        return None


def _resize(images: np.ndarray, size: tuple, interpolation: str, crop: bool, pad: bool) -> np.ndarray:
    """Resize a stack of same-sized NHWC images under the NumPy backend."""
    if images.shape[1:3] == tuple(size) and not (crop or pad) and interpolation in _NO_OP_WHEN_SAME_SIZE:
        return images  # a resize to the same size is the identity for these kernels
    from .. import backend, ops

    with backend.use("numpy"):
        out = ops.image.resize(
            images,
            size=size,
            interpolation=interpolation,
            crop_to_aspect_ratio=crop,
            pad_to_aspect_ratio=pad,
            data_format="channels_last",
        )
        return np.asarray(ops.convert_to_numpy(out), dtype="float32")


def image_loader(
    paths: list,
    image_size: tuple,
    color_mode: str,
    interpolation: str,
    data_format: str,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
) -> Callable:
    """``load(indices)``: the float32 batch ``(b, h, w, c)`` (or ``(b, c, h, w)``) of ``paths[indices]``.

    The batch is split into one chunk per decoding thread. A file already of the target size (with no
    crop or pad) is written straight into the batch (one uint8 -> float32 pass, no intermediate copies);
    the others are stacked by size and resized.
    """
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
    size = tuple(image_size)
    in_place = not (crop_to_aspect_ratio or pad_to_aspect_ratio) and interpolation in _NO_OP_WHEN_SAME_SIZE

    def load(indices: np.ndarray) -> np.ndarray:
        out = np.empty((len(indices),) + size + (channels,), "float32")

        def decode_chunk(rows: np.ndarray) -> list:
            others = []
            for j in rows:
                x = _decode(paths[int(indices[j])], color_mode)
                x = x[:, :, None] if x.ndim == 2 else x
                if in_place and x.shape[:2] == size:
                    out[j] = x
                else:
                    others.append((int(j), x))
            return others

        pool = decode_pool()
        chunks = np.array_split(np.arange(len(indices)), max(1, min(len(indices), pool._max_workers)))
        by_shape: dict = {}
        for others in pool.map(decode_chunk, chunks):
            for j, x in others:
                by_shape.setdefault(x.shape, []).append((j, x))
        for items in by_shape.values():
            rows = [j for j, _ in items]
            out[rows] = _resize(
                np.stack([x for _, x in items]).astype("float32"),
                size,
                interpolation,
                crop_to_aspect_ratio,
                pad_to_aspect_ratio,
            )
        return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out

    return load


def image_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: Any = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """A dataset of image batches from a folder of image files (one subfolder per class).

    Same arguments, checks and file order as ``keras.utils.image_dataset_from_directory``; the
    result is a :class:`~kshim.utils.array_dataset.ArrayDataset` (for ``format="tf"`` and
    ``"grain"`` alike) that ``fit`` takes directly. Supported files: ``.jpeg``, ``.jpg``, ``.png``,
    ``.bmp``, ``.gif`` (first frame).

    Args:
        directory: The folder. With ``labels="inferred"`` each subfolder (sorted alphanumerically)
            is a class.
        labels: ``"inferred"``, ``None`` (images only) or a list of integer labels in the sorted
            order of the file paths.
        label_mode: ``"int"`` (int32 ``(b,)``), ``"categorical"`` (float32 one-hot), ``"binary"``
            (float32 ``(b, 1)``, exactly two classes) or ``None``.
        class_names: With inferred labels, the subfolders to use, in this order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: Images per batch; ``None`` yields single images.
        image_size: ``(height, width)`` (or one int) every image is resized to.
        shuffle: Shuffle the files (with ``seed``), and reorder the training batches each epoch.
        seed: Seed of the shuffling (required with ``validation_split`` and ``shuffle``).
        validation_split: Fraction of the files kept for validation (the last ones after shuffling).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns ``[training, validation]``).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"``, ``"lanczos3"`` or
            ``"lanczos5"`` (``"gaussian"`` and ``"mitchellcubic"`` need TensorFlow in Keras too).
        follow_links: Follow symbolic links to folders.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad (with zeros) to the target aspect ratio before resizing.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the global setting.
        format: ``"tf"`` or ``"grain"`` (both give an ``ArrayDataset`` here).
        verbose: Print the numbers of files and classes found.

    Returns:
        An ``ArrayDataset`` yielding float32 images (or ``(images, labels)``), with ``class_names``
        and ``file_paths``; a list of two for ``subset="both"``.

    Raises:
        ValueError: invalid arguments (as Keras), or no image files found.
    """
    labels, label_mode = check_labels_args(labels, label_mode, class_names, "image")
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(
            f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}'
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: image_size={image_size}"
        )
    image_size = (int(image_size[0]), int(image_size[1]))
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if interpolation in ("gaussian", "mitchellcubic"):
        raise ValueError(
            f"interpolation={interpolation!r} needs TensorFlow (Keras offers it on its TensorFlow "
            f"path only); use one of {_NO_OP_WHEN_SAME_SIZE}."
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, labels, class_names = index_directory(
        directory,
        labels,
        formats=ALLOWLIST_FORMATS,
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(class_names or ()) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
            f"class_names={class_names}"
        )
    data_format = _config.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
            f"Received: data_format={data_format}"
        )

    def make_loader(sub_paths: list) -> Callable:
        return image_loader(
            sub_paths, image_size, color_mode, interpolation, data_format, crop_to_aspect_ratio, pad_to_aspect_ratio
        )

    return build_datasets(
        paths,
        labels,
        label_mode,
        class_names,
        validation_split,
        subset,
        make_loader,
        batch_size,
        shuffle,
        seed,
        directory,
        "images",
        f"Allowed formats: {ALLOWLIST_FORMATS}",
        decode_threads=decode_threads(),
    )
