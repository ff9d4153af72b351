"""What the ``*_dataset_from_directory`` utilities share: listing files with their labels (class
folders sorted alphanumerically, files in ``os.walk`` order sorted per folder), the seeded global
shuffle, the training/validation split, argument checks and label encoding — all as Keras does,
so ``file_paths`` and the split are the ones Keras computes for the same arguments.
"""

from __future__ import annotations

import os
from multiprocessing.pool import ThreadPool
from typing import Any, Callable

import numpy as np

from .array_dataset import SourceDataset
from .progbar import print_msg

__all__ = [
    "index_directory",
    "check_validation_split_arg",
    "get_training_or_validation_split",
    "check_labels_args",
    "encode_labels",
    "build_datasets",
]


def _valid_files(directory: str, follow_links: bool, formats: tuple) -> list[tuple[str, str]]:
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0])
    return [(root, f) for root, _, files in walk for f in sorted(files) if f.lower().endswith(formats)]


def _index_subdirectory(directory: str, label: int, follow_links: bool, formats: tuple) -> tuple[list, list]:
    dirname = os.path.basename(directory)
    names = [
        os.path.join(dirname, os.path.relpath(os.path.join(root, f), directory))
        for root, f in _valid_files(directory, follow_links, formats)
    ]
    return names, [label] * len(names)


def index_directory(
    directory: str,
    labels: Any,
    formats: tuple,
    class_names: list | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list, Any, list | None]:
    """List the files of ``directory`` with their labels.

    Args:
        directory: The folder; with ``labels="inferred"`` each subfolder is a class.
        labels: ``"inferred"``, ``None`` or a list of integer labels (one per file, in the sorted
            order of the file paths).
        formats: Allowed file extensions (lower case, with the dot).
        class_names: With inferred labels, the classes to use, in this order (a subset of the
            subfolders).
        shuffle: Shuffle the list (``numpy.random.RandomState(seed)``, as Keras).
        seed: The shuffle's seed (``None``: random).
        follow_links: Follow symbolic links to folders.
        verbose: Print how many files and classes were found.

    Returns:
        ``(file_paths, labels, class_names)``: labels an int32 array (inferred), the given list, or
        ``None``.

    Raises:
        ValueError: ``class_names`` do not match the subfolders, are given without inferred labels,
            or the number of labels differs from the number of files.
    """
    if labels == "inferred":
        subdirs = [
            d.rstrip("/")
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(
                    f"The `class_names` passed did not match the names of the subdirectories of the "
                    f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                    f"class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified.")
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be specified "
                "(the `class_names` will be the sorted list of labels)."
            )
        subdirs = [""]
    names_all: list = []
    per_class: list = []
    with ThreadPool(min(8, max(1, len(subdirs)))) as pool:
        jobs = [
            pool.apply_async(_index_subdirectory, (os.path.join(directory, d), i, follow_links, tuple(formats)))
            for i, d in enumerate(subdirs)
        ]
        for job in jobs:
            names, labs = job.get()
            names_all += names
            per_class += labs
    if labels == "inferred":
        out_labels: Any = np.asarray(per_class, dtype="int32").reshape(-1)
        out_classes: list | None = subdirs
    elif labels is None:
        out_labels, out_classes = None, None
    else:
        if len(labels) != len(names_all):
            raise ValueError(
                f"Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(names_all)} files in "
                f"directory {directory}."
            )
        out_labels, out_classes = list(labels), [str(v) for v in sorted(set(labels))]
    if verbose:
        if out_labels is None:
            print_msg(f"Found {len(names_all)} files.")
        else:
            print_msg(f"Found {len(names_all)} files belonging to {len(out_classes or ())} classes.")
    paths = [os.path.join(directory, n) for n in names_all]
    if shuffle:
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if out_labels is not None:
            np.random.RandomState(seed).shuffle(out_labels)
    return paths, out_labels, out_classes


def check_validation_split_arg(validation_split: Any, subset: Any, shuffle: bool, seed: Any) -> None:
    """Keras' checks of ``validation_split``/``subset``/``seed``.

    Raises:
        ValueError: the split is outside (0, 1), only one of split and subset is given, the subset
            is unknown, or a shuffled split has no seed.
    """
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
            "to make sure that there is no overlap between the training and validation subset."
        )


def get_training_or_validation_split(
    samples: list, labels: Any, validation_split: Any, subset: str | None
) -> tuple[list, Any]:
    """The last ``int(validation_split * n)`` samples are the validation subset, the rest training."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val} files for training.")
        cut = slice(None, len(samples) - num_val)
    elif subset == "validation":
        print_msg(f"Using {num_val} files for validation.")
        cut = slice(len(samples) - num_val, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[cut], (None if labels is None else labels[cut])


def check_labels_args(labels: Any, label_mode: Any, class_names: Any, what: str) -> tuple[Any, Any]:
    """Validate ``labels``/``label_mode``/``class_names``; returns ``(labels, label_mode)`` with both
    ``None`` when either is.

    Raises:
        ValueError: as Keras, for a ``labels`` value that is not ``"inferred"``, ``None`` or a list,
            ``class_names`` with explicit labels, or an unknown ``label_mode``.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"`labels` argument should be a list/tuple of integer labels, of the same size as the "
                f"number of {what} files in the target directory. If you wish to infer the labels from "
                f'the subdirectory names in the target directory, pass `labels="inferred"`. If you wish '
                f"to get a dataset that only contains {what} samples (no labels), pass `labels=None`. "
                f"Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, '
                f"and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            f'`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def encode_labels(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    """int32 ``(n,)`` for ``"int"``, float32 ``(n, 1)`` for ``"binary"``, float32 one-hot ``(n, k)`` for
    ``"categorical"`` (an out-of-range label gives a row of zeros, as ``tf.one_hot``)."""
    labels = np.asarray(labels).astype("int64").reshape(-1)
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    out = np.zeros((len(labels), num_classes), dtype="float32")
    ok = (labels >= 0) & (labels < num_classes)
    out[np.nonzero(ok)[0], labels[ok]] = 1.0
    return out


def build_datasets(
    paths: list,
    labels: Any,
    label_mode: Any,
    class_names: list | None,
    validation_split: Any,
    subset: Any,
    make_loader: Callable[[list], Callable[[np.ndarray], Any]],
    batch_size: Any,
    shuffle: bool,
    seed: Any,
    directory: str,
    none_found: str,
    allowed: str,
    decode_threads: int = 0,
) -> Any:
    """The dataset (or ``[training, validation]`` for ``subset="both"``) over ``paths``.

    ``make_loader(paths)`` returns ``load(indices) -> samples`` (a batch of the decoded files); the
    labels are encoded here and zipped in when ``label_mode`` is set. ``decode_threads``: the
    threads ``load`` decodes on while a step runs (0: it decodes in the calling thread).
    """
    num_classes = len(class_names) if class_names else 0

    def one(sub_paths: list, sub_labels: Any, shuffled: bool) -> SourceDataset:
        load_x = make_loader(sub_paths)
        if label_mode:
            encoded = encode_labels(sub_labels, label_mode, num_classes)
            load = lambda idx: (load_x(idx), encoded[idx])  # noqa: E731
        else:
            load = load_x
        return SourceDataset(
            len(sub_paths),
            load,
            batch_size=batch_size,
            shuffle=shuffled,
            seed=seed,
            first_epoch_in_order=True,
            class_names=class_names,
            file_paths=list(sub_paths),
            decode_threads=decode_threads,
        )

    if subset == "both":
        train = get_training_or_validation_split(paths, labels, validation_split, "training")
        val = get_training_or_validation_split(paths, labels, validation_split, "validation")
        if not train[0]:
            raise ValueError(f"No training {none_found} found in directory {directory}. {allowed}")
        if not val[0]:
            raise ValueError(f"No validation {none_found} found in directory {directory}. {allowed}")
        return [one(train[0], train[1], shuffle), one(val[0], val[1], False)]
    paths, labels = get_training_or_validation_split(paths, labels, validation_split, subset)
    if not paths:
        raise ValueError(f"No {none_found} found in directory {directory}. {allowed}")
    return one(paths, labels, shuffle)
