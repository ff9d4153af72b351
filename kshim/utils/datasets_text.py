"""``text_dataset_from_directory``: batches of the contents of ``.txt`` files, and their labels.

Texts are yielded as NumPy object arrays of Python ``str`` (Keras' ``format="grain"`` gives lists of
``str``; its ``format="tf"`` gives byte-string tensors). Files are read as UTF-8.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .datasets_index import build_datasets, check_labels_args, check_validation_split_arg, index_directory

__all__ = ["text_dataset_from_directory"]


def _text_loader(paths: list, max_length: int | None) -> Callable:
    def load(indices: np.ndarray) -> np.ndarray:
        out = np.empty((len(indices),), dtype=object)
        for j, i in enumerate(indices):
            with open(paths[int(i)], encoding="utf-8", errors="replace") as f:
                text = f.read()
            out[j] = text if max_length is None else text[:max_length]
        return out

    return load


def text_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """A dataset of text batches from a folder of ``.txt`` files (one subfolder per class).

    Same arguments, checks and file order as ``keras.utils.text_dataset_from_directory``.

    Args:
        directory: The folder; with ``labels="inferred"`` each subfolder (sorted) is a class.
        labels: ``"inferred"``, ``None`` or a list of integer labels in the sorted file order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``.
        class_names: With inferred labels, the subfolders to use, in this order.
        batch_size: Texts per batch; ``None`` yields single strings.
        max_length: Keep at most this many characters of each text.
        shuffle: Shuffle the files (with ``seed``) and reorder the training batches each epoch.
        seed: Seed of the shuffling (required with ``validation_split`` and ``shuffle``).
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns ``[training, validation]``).
        follow_links: Follow symbolic links to folders.
        format: ``"tf"`` or ``"grain"`` (both give an ``ArrayDataset`` here).
        verbose: Print the numbers of files and classes found.

    Returns:
        An ``ArrayDataset`` yielding object arrays of ``str`` (or ``(texts, labels)``), with
        ``class_names`` and ``file_paths``; a list of two for ``subset="both"``.

    Raises:
        ValueError: invalid arguments (as Keras), or no text files found.
    """
    labels, label_mode = check_labels_args(labels, label_mode, class_names, "text")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, labels, class_names = index_directory(
        directory,
        labels,
        formats=(".txt",),
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
    return build_datasets(
        paths,
        labels,
        label_mode,
        class_names,
        validation_split,
        subset,
        lambda p: _text_loader(p, max_length),
        batch_size,
        shuffle,
        seed,
        directory,
        "text files",
        "Allowed format: .txt",
    )
