"""``Initializer``: the base class; values are computed on the host, then converted once."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current


class Initializer:
    """Base class of initializers: ``initializer(shape, dtype)`` returns a tensor of the active backend.

    Subclasses implement :meth:`host_values`, which returns the values as a NumPy array (float64 for
    the random ones); ``__call__`` casts and converts it, so every backend gets the same numbers.
    """

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        """The initial values.

        Args:
            shape: Shape of the tensor.
            dtype: dtype of the tensor (default ``floatx()``).

        Returns:
            A tensor of ``shape`` and ``dtype`` on the active backend.
        """
        d = _dt.standardize_dtype(dtype)
        arr = self.host_values(tuple(int(s) for s in shape), d)
        return current().convert_to_tensor(np.asarray(arr).astype(current().numpy_dtype(d)), d)

    def host_values(self, shape: tuple, dtype: str) -> np.ndarray:
        """The values as a NumPy array.

        Args:
            shape: Shape of the tensor.
            dtype: The requested dtype (the array is cast to it afterwards).

        Returns:
            An array of ``shape``.

        Raises:
            TypeError: If the subclass does not implement it.
        """
        raise TypeError(f"{type(self).__name__} must implement host_values(shape, dtype).")

    def get_config(self) -> dict:
        """The constructor arguments (empty for the base class).

        Returns:
            A JSON-serializable dict.
        """
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        """An initializer from :meth:`get_config`'s output.

        Args:
            config: The dict.

        Returns:
            The initializer.
        """
        return cls(**config)

    def clone(self) -> "Initializer":
        """A new initializer with the same configuration.

        Returns:
            The copy.
        """
        return self.__class__.from_config(self.get_config())
