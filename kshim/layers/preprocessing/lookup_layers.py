"""``StringLookup`` and ``IntegerLookup`` (Keras 3 signatures and configs), without TensorFlow.

Strings stay on the host: a layer takes NumPy arrays of ``str``/``bytes``/objects, lists of strings
or (IntegerLookup) integer tensors, and returns tensors of the active backend (``invert=True`` on a
StringLookup returns a NumPy array of ``str``, since no backend holds strings).
"""

from __future__ import annotations

from typing import Any

from .lookup_base import IndexLookup

__all__ = ["StringLookup", "IntegerLookup"]


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (``keras.layers.StringLookup``).

    Args:
        max_tokens: Maximum vocabulary size, including the mask and OOV tokens (None: no cap).
        num_oov_indices: Number of OOV indices (0: OOV inputs raise; >1: OOV strings are hashed with
            FarmHash Fingerprint64, or SipHash-2-4 with ``salt``, into these indices).
        mask_token: Token mapped to index 0 in ``"int"`` mode and dropped in the encoded modes (None: none).
        oov_token: Token ``invert=True`` returns for OOV indices.
        vocabulary: List/array/tensor of terms, or a path to a one-term-per-line text file.
        idf_weights: ``"tf_idf"`` mode only: one inverse document frequency per vocabulary term.
        invert: Map indices back to strings (``"int"`` mode only).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: Encoded modes: pad the feature axis to ``max_tokens``.
        sparse: Must be False (kshim has no sparse tensors: ``True`` raises ``ValueError``).
        encoding: Text encoding of ``bytes`` inputs.
        name: Layer name.
        salt: One integer or two: SipHash key for OOV hashing (None: FarmHash).

    Raises:
        ValueError: For invalid arguments, as Keras.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ):
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kshim has no sparse "
                "tensors); use sparse=False."
            )
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            vocabulary_dtype="string",
            **kwargs,
        )

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["vocabulary_dtype"]
        cfg["encoding"] = self.encoding
        return cfg


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (``keras.layers.IntegerLookup``).

    Args:
        max_tokens: Maximum vocabulary size, including the mask and OOV tokens (None: no cap).
        num_oov_indices: Number of OOV indices (0: OOV inputs raise; >1: ``x mod num_oov_indices``,
            or with ``oov_method="farmhash"`` the hash of the decimal string).
        mask_token: Integer mapped to index 0 in ``"int"`` mode (None: none).
        oov_token: Value ``invert=True`` returns for OOV indices.
        vocabulary: List/array/tensor of integers, or a path to a one-per-line text file.
        vocabulary_dtype: Only ``"int64"``.
        idf_weights: ``"tf_idf"`` mode only.
        invert: Map indices back to vocabulary values.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        sparse: Must be False (``True`` raises ``ValueError``).
        pad_to_max_tokens: Encoded modes: pad the feature axis to ``max_tokens``.
        oov_method: ``"floormod"`` or ``"farmhash"`` (how OOV values pick one of several OOV indices).
        salt: With ``oov_method="farmhash"``: SipHash key (one integer or two).
        name: Layer name.

    Raises:
        ValueError: For invalid arguments, as Keras.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kshim has no sparse "
                "tensors); use sparse=False."
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self) -> dict:
        cfg = super().get_config()
        if cfg["oov_token"] is not None:
            cfg["oov_token"] = int(cfg["oov_token"])
        if cfg["mask_token"] is not None:
            cfg["mask_token"] = int(cfg["mask_token"])
        if cfg["vocabulary"] is not None:
            cfg["vocabulary"] = [int(v) for v in cfg["vocabulary"]]
        return cfg
