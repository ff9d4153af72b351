"""``Hashing`` and ``HashedCrossing``: bucket strings and integers with TensorFlow's exact hashes.

``Hashing`` maps each value to ``Fingerprint64(str(value)) % num_bins`` (FarmHash; SipHash-2-4 keyed
by ``salt`` when given), with bin 0 reserved for ``mask_value`` when set; floats are truncated to
int64 and integers hashed as their decimal strings, as in Keras. ``HashedCrossing`` folds the
features with ``FingerprintCat64`` as ``tf.sparse.cross_hashed`` does. So bins equal Keras/TF's for
the same inputs (see ``hashing_functions``). Both compute on the host and return tensors of the
active backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _config
from ... import ops
from .category_encoding import encode_categorical_numpy
from .data_layer import DataLayer
from .hashing_functions import CROSS_HASH_KEY, as_bytes, fingerprint64, fingerprint_cat64, siphash64

__all__ = ["Hashing", "HashedCrossing"]


def _host(x: Any) -> np.ndarray:
    if ops.is_tensor(x):
        x = ops.convert_to_numpy(x)
    arr = np.asarray(x)
    if arr.dtype.kind == "S":
        arr = np.char.decode(arr, "utf-8")
    return arr


class Hashing(DataLayer):
    """Hashes and bins categorical features (``keras.layers.Hashing``).

    Args:
        num_bins: Number of bins, including the mask bin when ``mask_value`` is set.
        mask_value: A value mapped to bin 0 (the other values use bins ``1..num_bins-1``), or None.
        salt: One integer or two: use SipHash-2-4 with this key instead of FarmHash.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Must be False (kshim has no sparse tensors).
        **kwargs: Base layer arguments; ``dtype`` defaults to ``"int64"`` in ``"int"`` mode, else ``floatx``.

    Raises:
        ValueError: Non-positive ``num_bins``, a non-integer dtype in ``"int"`` mode, an unknown mode,
            ``sparse=True``, or a malformed ``salt``.
    """

    supports_jit = False

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else _config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'in64'. "
                f"Received: dtype={kwargs['dtype']}"
            )
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {accepted}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError("`sparse=True` is not supported by kshim (it has no sparse tensors); use sparse=False.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                    f"single integer. Received: salt={salt}."
                )
        self.built = True

    def _hash_values_to_bins(self, values: np.ndarray) -> np.ndarray:
        """Bin indices (int64) for a NumPy array of strings or numbers."""
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        data = as_bytes(values)
        # strong_hash is set exactly when a salt is
        hashes = siphash64(data, self.salt) if self.strong_hash else fingerprint64(data)  # type: ignore[arg-type]
        out = (hashes % np.uint64(bins)).astype(np.int64).reshape(values.shape)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs: Any) -> Any:
        values = _host(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        indices = self._hash_values_to_bins(values)
        return ops.convert_to_tensor(encode_categorical_numpy(indices, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs: Any) -> Any:
        from ..._symbolic import KerasTensor

        if self.output_mode == "int":
            return KerasTensor(inputs.shape, self.dtype)
        base = tuple(inputs.shape)[:-1] if len(inputs.shape) >= 1 else ()
        return KerasTensor(base + (self.num_bins,), self.dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return cfg


class HashedCrossing(DataLayer):
    """Crosses categorical features with the hashing trick (``keras.layers.HashedCrossing``).

    Called on a list/tuple of at least two inputs of equal shape ``()``, ``(batch,)`` or
    ``(batch, 1)``, integer or string; each output is the bin of the features' cross.

    Args:
        num_bins: Number of hash bins.
        output_mode: ``"int"`` (int64 bins) or ``"one_hot"``.
        sparse: Must be False (kshim has no sparse tensors).
        name: Layer name.
        dtype: Output dtype (default ``"int64"`` in ``"int"`` mode, else ``floatx``).

    Raises:
        ValueError: Unknown ``output_mode`` or ``sparse=True``; at call: not a list of at least two
            inputs, inputs of different or unsupported shapes, or float inputs.
    """

    supports_jit = False

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kshim has no sparse tensors)."
            )
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode` argument of layer HashedCrossing. Allowed values "
                f"are: ('int', 'one_hot'). Received: {output_mode}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def _convert_inputs(self, args: tuple) -> tuple:
        return args  # the features stay on the host

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"`HashedCrossing` should be called on a list or tuple of inputs. Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: inputs={inputs}")
        arrays = [_host(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or `(batch_size, 1)`. "
                f"Received: inputs={inputs}"
            )
        if not all(a.shape == shape for a in arrays[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}")
        if not all(a.dtype.kind in "iuUO" for a in arrays):
            raise ValueError(
                f"All `HashedCrossing` inputs should have an integer or string dtype. Received: inputs={inputs}"
            )
        h = np.full(int(np.prod(shape)) if shape else 1, CROSS_HASH_KEY, dtype=np.uint64)
        for a in arrays:
            flat = a.reshape(-1)
            feat = fingerprint64(as_bytes(flat)) if a.dtype.kind in "UO" else flat.astype(np.int64).view(np.uint64)
            h = fingerprint_cat64(h, feat)
        bins = (h % np.uint64(self.num_bins)).astype(np.int64).reshape(shape)
        out = encode_categorical_numpy(bins, self.output_mode, self.num_bins, self.compute_dtype)
        return ops.convert_to_tensor(out.astype(self.dtype))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not (len(input_shape) == 2 and isinstance(input_shape[0], tuple) and isinstance(input_shape[1], tuple)):
            raise ValueError(f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}")
        if input_shape[0][-1:] != input_shape[1][-1:]:
            raise ValueError(
                f"Expected the two input tensors to have identical shapes. Received input_shape={input_shape}"
            )
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs: Any) -> Any:
        from ..._symbolic import KerasTensor

        shapes = (tuple(inputs[0].shape), tuple(inputs[1].shape))
        return KerasTensor(self.compute_output_shape(shapes), self.dtype)

    def get_config(self) -> dict:
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }
