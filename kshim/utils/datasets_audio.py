"""``audio_dataset_from_directory``: batches of decoded ``.wav`` files and their labels, without TensorFlow.

Decoding uses the standard library's ``wave`` module (:mod:`kshim.utils.audio_utils`). kshim has no
ragged tensors: with ``ragged=True`` a batch is a NumPy object array holding one
``(samples, channels)`` array per file. ``sampling_rate`` resamples with NumPy (Keras needs
``tensorflow_io`` for it).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .audio_utils import fit_length, read_wav, resample
from .datasets_index import build_datasets, check_labels_args, check_validation_split_arg, index_directory

__all__ = ["audio_dataset_from_directory", "ALLOWED_FORMATS"]

ALLOWED_FORMATS = (".wav",)


def _audio_loader(paths: list, sampling_rate: int | None, output_sequence_length: int | None, ragged: bool) -> Callable:
    def one(path: str) -> np.ndarray:
        audio, rate = read_wav(path, output_sequence_length)
        if sampling_rate is not None:
            audio = resample(audio, rate, sampling_rate)
            if output_sequence_length is not None:
                audio = fit_length(audio, output_sequence_length)
        return audio

    def load(indices: np.ndarray) -> np.ndarray:
        clips = [one(paths[int(i)]) for i in indices]
        if ragged:
            out = np.empty((len(clips),), dtype=object)
            for j, c in enumerate(clips):
                out[j] = c
            return out
        longest = max(len(c) for c in clips)  # padded batch: zeros up to the longest clip
        return np.stack([fit_length(c, longest) for c in clips])

    return load


def audio_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> Any:
    """A dataset of audio batches from a folder of ``.wav`` files (one subfolder per class).

    Same arguments, checks and file order as ``keras.utils.audio_dataset_from_directory``.

    Args:
        directory: The folder; with ``labels="inferred"`` each subfolder (sorted) is a class.
        labels: ``"inferred"``, ``None`` or a list of integer labels in the sorted file order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``.
        class_names: With inferred labels, the subfolders to use, in this order.
        batch_size: Clips per batch; ``None`` yields single clips.
        sampling_rate: Resample every clip to this rate (samples per second).
        output_sequence_length: Cut or zero-pad every clip to this many samples; ``None`` pads each
            batch to its longest clip.
        ragged: Keep each clip's own length (an object array of clips per batch).
        shuffle: Shuffle the files (with ``seed``) and reorder the training batches each epoch.
        seed: Seed of the shuffling (required with ``validation_split`` and ``shuffle``).
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns ``(training, validation)``).
        follow_links: Follow symbolic links to folders.
        verbose: Print the numbers of files and classes found.

    Returns:
        An ``ArrayDataset`` yielding float32 ``(batch, samples, channels)`` audio (or
        ``(audio, labels)``), with ``class_names`` and ``file_paths``; a tuple of two for
        ``subset="both"``.

    Raises:
        ValueError: invalid arguments (as Keras), or no ``.wav`` files found.
    """
    labels, label_mode = check_labels_args(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, labels, class_names = index_directory(
        directory,
        labels,
        formats=ALLOWED_FORMATS,
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

    def make_loader(sub_paths: list) -> Callable:
        return _audio_loader(sub_paths, sampling_rate, output_sequence_length, ragged)

    out = build_datasets(
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
        "audio files",
        f"Allowed format(s): {ALLOWED_FORMATS}",
    )
    return tuple(out) if isinstance(out, list) else out
