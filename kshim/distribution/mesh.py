"""``DeviceMesh``, ``TensorLayout`` and ``LayoutMap`` (Keras 3's ``keras.distribution`` names)."""

from __future__ import annotations

import collections.abc
import math
import re
from typing import Any, Iterator, Sequence

import numpy as np

from .devices import backend_lib, list_devices


class DeviceMesh:
    """A grid of devices with named axes (aligned with ``jax.sharding.Mesh``).

    Args:
        shape: the mesh shape, e.g. ``(8,)`` for data parallelism or ``(2, 4)`` for data x model.
        axis_names: one name per mesh axis, used by ``TensorLayout`` axes.
        devices: device names (``"cpu:0"``, ...); default ``list_devices()``.

    Raises:
        ValueError: empty shape or names, ranks that differ, or a device count that does not
            match the shape.
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str], devices: Any = None):
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(
                f"Shape and axis_names should have same size. Received: shape={shape}, axis_names={axis_names}"
            )
        if devices is None:
            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != math.prod(devices.shape):
            raise ValueError(
                f"Shape does not match the number of devices. Received: shape={shape}; devices.shape={devices.shape}"
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = np.reshape(devices, shape)

    @property
    def shape(self) -> Sequence[int]:
        return self._shape

    @property
    def axis_names(self) -> Sequence[str]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Any:
        """The active backend's mesh (``jax.sharding.Mesh`` on JAX; this object on torch)."""
        lib = backend_lib("DeviceMesh.backend_mesh")
        if not hasattr(lib, "mesh"):
            return self
        cached = self.__dict__.get("_backend_mesh")
        if cached is None:
            cached = self._backend_mesh = lib.mesh(self._devices, self._axis_names)
        return cached

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


class TensorLayout:
    """How a tensor's dimensions map onto mesh axes (aligned with ``jax.sharding.NamedSharding``).

    Args:
        axes: one entry per tensor dimension: a mesh axis name, or ``None`` (not sharded).
        device_mesh: the ``DeviceMesh``; may be set once later (a ``LayoutMap`` sets it).

    Raises:
        ValueError: an axis name that is not in the mesh.
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is {self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> Any:
        """The active backend's sharding (``NamedSharding`` on JAX)."""
        if self._device_mesh is None:
            raise ValueError("Cannot create sharding when device mesh is not set for TensorLayout.")
        lib = backend_lib("TensorLayout.backend_layout")
        if not hasattr(lib, "sharding"):
            return self
        cached = self.__dict__.get("_backend_layout")
        if cached is None:
            cached = self._backend_layout = lib.sharding(self._device_mesh.backend_mesh, self._axes)
        return cached

    def _validate_axes(self) -> None:
        if self._device_mesh:
            valid = set(self._device_mesh.axis_names)
            names = set(self._axes) - {None}
            if names - valid:
                raise ValueError(f"Invalid axis names for Layout. Valid axis names: {valid}, Got {names}")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


class LayoutMap(collections.abc.MutableMapping):
    """Variable path (a regex key) -> ``TensorLayout``.

    A lookup first tries the exact key, then every key as a regex ``fullmatch`` of the path; more
    than one match is an error, none gives ``None``. Tuples of axis names are accepted as values.

    Args:
        device_mesh: the ``DeviceMesh`` given to layouts that have none.
    """

    def __init__(self, device_mesh: DeviceMesh):
        self._layout_map: collections.OrderedDict = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matches}. Please make "
                "sure each tensor/variable path only matches at most one layout specification key "
                "in the LayoutMap."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Any) -> None:
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. Please "
                "make sure to not use duplicated keys."
            )
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> Any:
        return self._layout_map.pop(key)

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh


LayoutMap.get.__doc__ = LayoutMap.__getitem__.__doc__
