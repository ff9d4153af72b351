"""``Discretization``: bucket continuous features by boundaries, given or learned with ``adapt``.

``adapt`` follows Keras' approximate-quantile summary: each batch is sorted and thinned to about
``1 / epsilon`` weighted points, summaries are merged and compressed by interpolating cumulative
weights, and the ``num_bins - 1`` boundaries are read off the final summary (all in float32 as in
Keras, so the boundaries equal Keras' for the same data and batching).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ... import _config
from ... import ops
from .category_encoding import encode_categorical
from .data_layer import DataLayer

__all__ = ["Discretization"]

_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    points = values[int(step - 1) :: int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    frac = cum / cum[-1]
    bins = np.interp(percents, frac, summary[0])
    cum_new = np.interp(percents, frac, cum)
    weights = cum_new - np.concatenate((np.array([0]), cum_new[:-1]))
    return np.stack((bins, weights)).astype("float32")


def _merge(a: np.ndarray, b: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((a, b), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(DataLayer):
    """Buckets continuous features into integer bins (``keras.layers.Discretization``).

    Bin ``i`` holds ``boundaries[i-1] <= x < boundaries[i]`` (``numpy.digitize``), so
    ``bin_boundaries=[0., 1., 2.]`` maps ``[-1.5, 1.0, 3.4, .5]`` to ``[0, 2, 3, 1]``.

    Args:
        bin_boundaries: Sorted boundaries, or None to learn ``num_bins`` bins with ``adapt``.
        num_bins: Number of bins ``adapt`` learns (exclusive with ``bin_boundaries``).
        epsilon: Error tolerance of ``adapt``'s quantile summary (about ``1 / epsilon`` points).
        output_mode: ``"int"`` (int32 bin indices), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Must be False (kshim has no sparse tensors).
        dtype: Output dtype for the encoded modes (default ``floatx``).
        name: Layer name.

    Raises:
        ValueError: Both or neither of ``bin_boundaries``/``num_bins``, a negative ``num_bins``, an
            unknown ``output_mode``, ``sparse=True``, or calling before boundaries exist.
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError(
                f"`sparse=True` cannot be used with backend {_backend_name()}: kshim has no sparse tensors."
            )
        if output_mode not in _MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {list(_MODES)}. "
                f"Received: output_mode={output_mode}"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def input_dtype(self) -> str:
        return _config.floatx()

    @property
    def output_dtype(self) -> str:
        return self.compute_dtype if self.output_mode != "int" else "int32"

    # ---- adapt ----------------------------------------------------------------------------
    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins - 1`` quantile boundaries from ``data``.

        Args:
            data: An array/tensor, or an iterable of batches (a list of arrays, a generator).
            steps: With an iterable, the number of batches to read (None: all).

        Raises:
            ValueError: The layer was created with ``bin_boundaries``.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self.reset_state()
        if hasattr(data, "__iter__") and not (isinstance(data, np.ndarray) or ops.is_tensor(data)):
            for batch in data if steps is None else itertools.islice(data, steps):
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Fold one batch into the quantile summary."""
        if ops.is_tensor(data):
            data = ops.convert_to_numpy(data)
        data = np.array(data).astype("float32")
        # a summary exists unless the layer has fixed bin_boundaries (which adapt() refuses)
        self.summary = _merge(_summarize(data, self.epsilon), self.summary, self.epsilon)  # type: ignore[arg-type]

    def finalize_state(self) -> None:
        """Read the boundaries off the summary."""
        if self.num_bins is None:
            return
        # with num_bins there is a summary
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()  # type: ignore[arg-type]

    def reset_state(self) -> None:
        """Forget the summary (``adapt`` starts with this)."""
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    # ---- call ------------------------------------------------------------------------------
    def call(self, inputs: Any) -> Any:
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or call "
                "`adapt(dataset)` before you can start using the `Discretization` layer."
            )
        x = ops.convert_to_tensor(inputs)
        indices = ops.cast(ops.digitize(x, list(self.bin_boundaries)), "int32")
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def compute_output_spec(self, inputs: Any) -> Any:
        from ..._symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    def get_config(self) -> dict:
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> "Discretization":
        """Rebuild the layer; an adapted config holds both ``bin_boundaries`` and ``num_bins``, so the
        boundaries are applied after construction (as Keras does)."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


def _backend_name() -> str:
    from ... import backend

    return backend.current().name
