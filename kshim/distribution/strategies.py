"""``Distribution``, ``DataParallel``, ``ModelParallel``, the current distribution and ``distribute_tensor``."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from .._symbolic import KerasTensor
from ..backend import current
from .devices import backend_lib, list_devices, process_info
from .mesh import DeviceMesh, LayoutMap, TensorLayout

DEFAULT_BATCH_DIM_NAME = "batch"
_STATE: dict[str, Any] = {"distribution": None}


class Distribution:
    """Base class: how variables and data are laid out on a ``DeviceMesh``.

    Args:
        device_mesh: the ``DeviceMesh``.
        batch_dim_name: the mesh axis the batch dimension is sharded over.
        auto_shard_dataset: in a multi-process run, each process reads only its rows of every
            global batch (kshim shards array inputs itself; set ``False`` if your data is already
            per-process).
    """

    def _abstract(self) -> NotImplementedError:
        """The error of a member only the concrete strategies define (Keras' base class raises it too)."""
        return NotImplementedError(f"{type(self).__name__} is abstract: use DataParallel or ModelParallel.")

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str | None = None, auto_shard_dataset: bool = True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes, self._process_id = process_info()
        self._is_multi_process = self._num_processes > 1

    @property
    def num_processes(self) -> int:
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        raise self._abstract()

    @property
    def data_shard_id(self) -> int:
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """Every batch is sharded on its first dimension over the mesh's batch axis."""
        spec: list = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """A layout set on the variable itself wins; otherwise the strategy's own (``_layout_of``)."""
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return self._layout_of(variable)

    def _layout_of(self, variable: Any) -> TensorLayout:
        raise self._abstract()

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        raise self._abstract()

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Make this distribution current inside the ``with`` block."""
        original = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(original)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value: bool) -> None:
        self._auto_shard_dataset = value

    def distribute_dataset(self, dataset: Any) -> Any:
        """The dataset unchanged: kshim's loops shard each global batch themselves (array inputs,
        generators and ``PyDataset`` alike), so every process reads the same global batches.
        (Keras shards a ``tf.data.Dataset`` here; kshim has no TensorFlow inputs.)"""
        return dataset

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} device_mesh={self.device_mesh}>"

    __str__ = __repr__


def _replicated(distribution: Distribution, shape: Sequence[int]) -> TensorLayout:
    return TensorLayout([None] * len(shape), distribution.device_mesh)


class DataParallel(Distribution):
    """Data parallelism: variables replicated, every batch sharded on its first dimension.

    Give ``device_mesh`` or ``devices`` (not both), or neither for all of ``list_devices()``.
    JAX runs one SPMD program over the mesh (the batch-mean loss, metrics, BatchNormalization
    statistics and dropout masks are those of the global batch). torch runs one process per
    device (``torchrun``): each rank computes on its rows, gradients are averaged, and
    BatchNormalization statistics and dropout masks are still the global batch's (``kshim._replica``).

    Args:
        device_mesh: a ``DeviceMesh``; its first axis is the data axis.
        devices: device names for a 1-D mesh with axis ``"batch"``.
        auto_shard_dataset: see ``Distribution``.

    Raises:
        ValueError: ``device_mesh`` is not a ``DeviceMesh``.
    """

    def __init__(self, device_mesh: DeviceMesh | None = None, devices: Any = None, auto_shard_dataset: bool = True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    f"Expect `mesh` to be an instance of `DeviceMesh`. Received: mesh={device_mesh} "
                    f"(of type {type(device_mesh)})"
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if self.device_mesh.devices.ndim != 1:
                warnings.warn(
                    f"Expect the input mesh to be 1D, but received mesh.devices.ndim="
                    f"{device_mesh.devices.ndim}. The first axis will be used for data-parallel "
                    "sharding.",
                    stacklevel=2,
                )
            return
        devs = np.array(devices if devices else list_devices())
        mesh = DeviceMesh(shape=devs.shape, axis_names=[DEFAULT_BATCH_DIM_NAME], devices=devs)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)

    def _layout_of(self, variable: Any) -> TensorLayout:
        return _replicated(self, variable.shape)

    def get_tensor_layout(self, path: str) -> None:
        return None


class ModelParallel(Distribution):
    """Variables laid out by a ``LayoutMap`` (regex on ``variable.path``), data sharded on the batch axis.

    Variables no key matches are replicated; optimizer slots take their variable's layout.
    Supported on JAX; the torch backend declines it (kshim's torch path is one process per
    data-parallel replica).

    Args:
        layout_map: the ``LayoutMap`` (its mesh is the distribution's mesh).
        batch_dim_name: the mesh axis for the batch; default the mesh's first axis.
        auto_shard_dataset: see ``Distribution``.

    Raises:
        ValueError: no ``layout_map`` or not a ``LayoutMap``; processes that do not divide into
            the model replicas.
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        **kwargs: Any,
    ):
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"Argument `layout_map` must be a `LayoutMap` instance. Received: layout_map={layout_map}")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map
        if (
            self._is_multi_process
            and self.num_processes > self.num_model_replicas
            and self.num_processes % self.num_model_replicas != 0
        ):
            raise ValueError(
                "If `num_processes` is greater than `num_model_replicas`, `num_processes` must be "
                f"divisible by `num_model_replicas`. Got num_processes={self.num_processes}, "
                f"num_model_replicas={self.num_model_replicas}."
            )

    @property
    def num_model_replicas(self) -> int:
        batch_axis = self.batch_dim_name
        assert batch_axis is not None  # __init__ defaults it to the mesh's first axis
        return int(self.device_mesh.shape[list(self.device_mesh.axis_names).index(batch_axis)])

    def _layout_of(self, variable: Any) -> TensorLayout:
        layout = self._layout_map[variable.path]
        return layout if layout is not None else _replicated(self, variable.shape)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]


def distribution() -> Distribution | None:
    """The current distribution (``None``: single device).

    Returns:
        The ``Distribution`` set by ``set_distribution``, or ``None``.
    """
    return _STATE["distribution"]


def set_distribution(value: Distribution | None) -> None:
    """Make ``value`` the global distribution (``None`` clears it).

    Args:
        value: A ``Distribution`` (e.g. ``DataParallel`` or ``ModelParallel``), or ``None``.

    Raises:
        ValueError: a distribution on the numpy backend (it names jax and torch).
    """
    if value is not None:
        backend_lib("set_distribution")  # refuses numpy with the message naming jax/torch
    _STATE["distribution"] = value


def distribute_tensor(tensor: Any, layout: Any) -> Any:
    """Give ``tensor`` the layout ``layout`` (a ``TensorLayout`` or a backend sharding).

    Inside a jitted JAX function this is a sharding constraint, outside it a ``device_put``.
    Symbolic tensors are returned unchanged. On torch (one process per replica) the local
    tensor is already what the process holds and is returned unchanged.

    Args:
        tensor: The tensor (or array-like, converted first) to place.
        layout: A ``TensorLayout`` (its backend layout is used) or a backend sharding object.

    Returns:
        The tensor placed or constrained according to ``layout`` (the input itself where nothing
        needs doing, as described above).

    Raises:
        ValueError: on the numpy backend.
    """
    if isinstance(tensor, KerasTensor):
        return tensor
    lib = backend_lib("distribute_tensor")
    if not hasattr(lib, "distribute_tensor"):
        return tensor
    if isinstance(layout, TensorLayout):
        layout = layout.backend_layout
    return lib.distribute_tensor(
        current().convert_to_tensor(tensor) if not hasattr(tensor, "shape") else tensor, layout
    )
