"""``Variable``: a named, mutable tensor bound to the backend it was created under."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend as _backend
from ._operators import OpsOperators
from ._scope import autocast_dtype, current_scope
from .dtypes import standardize_dtype

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


class Variable(OpsOperators):
    """A stateful tensor (Keras ``keras.Variable``).

    Args:
        initializer: array-like, or a callable ``(shape, dtype) -> array``.
        shape: required when ``initializer`` is callable.
        dtype: dtype name (default ``floatx()`` for floats).
        trainable: whether optimizers update it.
        name: short name; ``path`` adds the owning layer's name.
    """

    #: The constraint ``Layer.add_weight`` attached (``None``: none); optimizers apply it after updates.
    constraint: Any = None

    def __init__(
        self,
        initializer: Any,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
    ):
        self._backend = _backend.current()
        self.name = name or "variable"
        self.path = self.name
        self.trainable = bool(trainable)
        self.autocast = autocast
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Invalid aggregation {aggregation!r}; expected one of {_AGGREGATIONS}.")
        self.aggregation = aggregation
        self.synchronization = synchronization
        if callable(initializer):
            if shape is None:
                raise ValueError(f"Variable {self.name!r}: a callable initializer needs `shape`.")
            self._dtype = standardize_dtype(dtype)
            value = initializer(tuple(shape), self._dtype)
        else:
            value = initializer
            if isinstance(value, Variable):
                value = value.value
            if dtype is None:
                if self._backend.is_tensor(value):
                    d = self._backend.dtype(value)
                else:  # host data: floats become floatx, as Keras does
                    d = str(np.asarray(value).dtype)
                    d = None if d.startswith("float") else d
                self._dtype = standardize_dtype(d)
            else:
                self._dtype = standardize_dtype(dtype)
        self._value = self._convert(value)
        if shape is not None and tuple(self.shape) != tuple(shape):
            raise ValueError(f"Variable {self.name!r}: initial value has shape {self.shape}, expected {tuple(shape)}.")

    def _convert(self, value: Any) -> Any:
        b = self._backend
        if isinstance(value, Variable):
            value = value.value
        if b.is_tensor(value):
            return value if b.dtype(value) == self._dtype else b.cast(value, self._dtype)
        return b.convert_to_tensor(np.asarray(value), self._dtype)

    # ---- reading --------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """Current value (the substituted one inside a stateless scope)."""
        scope = current_scope()
        v = None if scope is None else scope.get(self)
        if v is None:
            v = self._value
        cast_to = autocast_dtype()
        if cast_to is not None and self.autocast and self._dtype != cast_to and self._dtype.startswith("float"):
            return self._backend.cast(v, cast_to)
        return v

    @property
    def backend(self) -> Any:
        return self._backend

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._backend.shape(self._value))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array."""
        return self._backend.to_numpy(self.value)

    def __float__(self) -> float:
        return float(self.numpy())

    def __int__(self) -> int:
        return int(self.numpy())

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    # ---- writing ----------------------------------------------------------------------------
    def assign(self, value: Any) -> "Variable":
        """Set a new value (recorded instead inside a stateless scope)."""
        value = self._convert(value)
        if tuple(self._backend.shape(value)) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(self._backend.shape(value))} "
                f"to variable {self.path!r} of shape {self.shape}."
            )
        scope = current_scope()
        owner = None if scope is None else scope.owner_of(self)
        if owner is not None:
            owner.assign(self, value)
        else:
            self._value = value
        return self

    # ---- stable storage (a native framework parameter; torch: torch.nn.Parameter) ---------------------
    def _stable_storage(self) -> Any:
        """The value as storage whose identity never changes again (the torch backend's module views
        hand it to torch as the ``Parameter``/buffer of this variable). From here on the variable is a
        :class:`StableVariable`: updates are written into that storage (``backend.assign_into``)."""
        if not isinstance(self, StableVariable):
            d = self.__dict__
            d["_storage"] = self._backend.stable_storage(d.pop("_value"), self.trainable)
            d["_trainable"] = d.pop("trainable")
            d.pop("_dtype")
            self.__class__ = StableVariable
        return self.__dict__["_storage"]

    def _replace_storage(self, value: Any) -> None:
        """Make ``value`` the storage (torch's ``module.to(...)`` writing a buffer or parameter)."""
        self._stable_storage()
        self.__dict__["_storage"] = self._backend.stable_storage(value, self.trainable)

    def assign_add(self, delta: Any) -> "Variable":
        from . import ops

        return self.assign(ops.add(self.value, delta))

    def assign_sub(self, delta: Any) -> "Variable":
        from . import ops

        return self.assign(ops.subtract(self.value, delta))

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, backend={self._backend.name}>"


class StableVariable(Variable):
    """A ``Variable`` handed to a framework as a native parameter or buffer (see
    ``Variable._stable_storage``). A trainable one keeps its storage's identity: assignments write into
    it (torch: in place, so a torch optimizer's ``Parameter`` is the variable); a non-trainable one is
    replaced on assignment, detached. Its dtype follows the storage and ``trainable`` sets
    ``requires_grad`` on torch. Variables never handed over keep plain replace-on-assign storage."""

    @property
    def _value(self) -> Any:
        return self.__dict__["_storage"]

    @_value.setter
    def _value(self, value: Any) -> None:
        d = self.__dict__
        if d["_trainable"]:  # a framework parameter: written in place
            d["_storage"] = self._backend.assign_into(d["_storage"], value)
        else:  # a buffer: replaced (code reads a state, then assigns its successor), outside any graph
            d["_storage"] = self._backend.stop_gradient(value)

    @property
    def _dtype(self) -> str:  # type: ignore[override]  # read-only here: the storage decides the dtype
        return self._backend.dtype(self.__dict__["_storage"])

    @property
    def trainable(self) -> bool:
        return self.__dict__["_trainable"]

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = bool(value)
        self._sync_grad(bool(value))

    def _sync_grad(self, trainable: bool) -> None:
        """Mark the storage trainable or not (torch: ``requires_grad``), e.g. when its layer is frozen."""
        d = self.__dict__
        d["_storage"] = self._backend.stable_storage(d["_storage"], trainable)
