"""``MultiOptimizer`` and ``OptimizerMap``: different optimizers for different variables."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, Callable, Iterator, Sequence

from ..variables import Variable
from .base import Optimizer
from .loss_scale import LossScaleOptimizer


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers (``keras.optimizers.OptimizerMap``).

    A key is matched exactly first, then as a regular expression with ``re.fullmatch`` (so
    ``"encoder/.*"`` selects everything under ``encoder``); unmatched paths get the default.

    Args:
        default_optimizer: The ``Optimizer`` for unmatched variables.
        optimizer_map: Optional initial ``{path_or_pattern: Optimizer}``.

    Raises:
        TypeError: If ``default_optimizer`` is not an Optimizer or ``optimizer_map`` is not a dict.
    """

    def __init__(self, default_optimizer: Optimizer, optimizer_map: dict | None = None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict = {}
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of unmatched variables."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        """The optimizer for a variable path.

        Args:
            key: The path.

        Returns:
            The optimizer of the exact key, else of the one matching pattern, else the default.

        Raises:
            ValueError: If several patterns match.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Variable) -> Optimizer:
        """The optimizer for ``variable`` (looked up by its ``path``).

        Args:
            variable: The variable.

        Returns:
            Its optimizer.
        """
        return self[getattr(variable, "path", variable.name)]

    def get_config(self) -> dict:
        """The default optimizer and the map, serialized.

        Returns:
            ``{"default_optimizer", "optimizer_map"}``.
        """
        from .._serialization import serialize_keras_object

        return {
            "default_optimizer": serialize_keras_object(self._default_optimizer),
            "optimizer_map": serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "OptimizerMap":
        """Rebuild from :meth:`get_config`'s output.

        Args:
            config: The dict.
            custom_objects: Extra classes.

        Returns:
            The map.

        Raises:
            ValueError: If the config has no ``default_optimizer``.
        """
        from .._serialization import deserialize_keras_object

        if "default_optimizer" not in config:
            raise ValueError("An OptimizerMap config needs its `default_optimizer` (a serialized optimizer).")
        default = deserialize_keras_object(config["default_optimizer"], custom_objects)
        mapping = {
            key: deserialize_keras_object(value, custom_objects)
            for key, value in (config.get("optimizer_map") or {}).items()
        }
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to its own optimizer (``keras.optimizers.MultiOptimizer``).

    ``optimizer_map`` is an :class:`OptimizerMap` or a callable ``variable -> Optimizer``. The inner
    optimizers are the map's values (in insertion order), then its default, then any other the
    callable returns, in first-use order. Each inner optimizer clips, decays and counts its own
    steps; the MultiOptimizer's own ``iterations`` counts ``apply`` calls. Variables: its own
    ``iteration`` and ``learning_rate`` (unused), then every inner optimizer's. There is no
    ``learning_rate`` on a MultiOptimizer (it raises AttributeError): use the inner ones'.

    Args:
        optimizer_map: An ``OptimizerMap`` or a callable returning an Optimizer for a variable.
        loss_scale_factor: Set on every inner optimizer (it overrides theirs).
        name: Optimizer name.

    Raises:
        ValueError: (at build) if the map gives something that is not an Optimizer, a
            LossScaleOptimizer or a MultiOptimizer.
    """

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[Variable], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ):
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._var_to_optimizer: dict[int, int] = {}
        if hasattr(optimizer_map, "values"):
            for opt in optimizer_map.values():
                self._adopt(opt)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            self._adopt(default)

    def _adopt(self, opt: Optimizer) -> None:
        if not any(opt is o for o in self._inner_optimizers):
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(opt)

    @property
    def loss_scale_factor(self) -> float | None:
        """The loss scale factor, shared with every inner optimizer."""
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for opt in self.__dict__.get("_inner_optimizers", []):
            opt.loss_scale_factor = value

    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers."""
        return list(self._inner_optimizers)

    @property
    def variables(self) -> list[Variable]:
        """Own variables, then each inner optimizer's."""
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self) -> Any:
        """Not available: each inner optimizer has its own (raises AttributeError, as Keras)."""
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on "
            "the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers instead."
        )

    def build(self, variables: Sequence[Variable]) -> None:
        """Assign every variable to its optimizer and build each inner optimizer on its share.

        Args:
            variables: The trainable variables.

        Raises:
            ValueError: If the map returns an invalid optimizer for a variable.
        """
        if self.built:
            return
        groups: dict[int, list] = {}
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
            if isinstance(opt, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(opt, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            self._adopt(opt)
            idx = next(i for i, o in enumerate(self._inner_optimizers) if o is opt)
            self._var_to_optimizer[id(var)] = idx
            groups.setdefault(idx, []).append(var)
        for idx, opt in enumerate(self._inner_optimizers):
            if groups.get(idx):
                opt.build(groups[idx])
        super().build(variables)

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Route each gradient to its variable's optimizer, then count the step.

        Args:
            grads: Gradients, one per variable.
            trainable_variables: The variables (default: those built on).

        Raises:
            ValueError: If called unbuilt without variables, or the counts differ.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built "
                    "on a list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._var_to_optimizer):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._var_to_optimizer)} variables."
            )
        routed: dict[int, tuple[list, list]] = {}
        for g, v in zip(grads, trainable_variables):
            if id(v) not in self._var_to_optimizer:
                raise ValueError(f"Unknown variable {v.path!r}: the MultiOptimizer was built on other variables.")
            gs, vs = routed.setdefault(self._var_to_optimizer[id(v)], ([], []))
            gs.append(g)
            vs.append(v)
        for idx, opt in enumerate(self._inner_optimizers):
            if idx in routed:
                opt.apply(*routed[idx])
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Delegates to the inner optimizers."""
        for idx, opt in enumerate(self._inner_optimizers):
            opt.finalize_variable_values([v for v in var_list if self._var_to_optimizer.get(id(v)) == idx])

    def get_config(self) -> dict:
        """The map (serialized), ``loss_scale_factor`` and ``name``.

        Returns:
            ``{"optimizer_map", "loss_scale_factor", "name"}``.

        Raises:
            ValueError: If the map is a function that is not registered for serialization.
        """
        from .._serialization import serialize_keras_object

        return {
            "optimizer_map": serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "MultiOptimizer":
        """Rebuild from :meth:`get_config`'s output.

        Args:
            config: The dict.
            custom_objects: Extra classes or functions.

        Returns:
            The optimizer.

        Raises:
            ValueError: If the config has no ``optimizer_map``.
        """
        from .._serialization import deserialize_keras_object

        config = dict(config)
        if "optimizer_map" not in config:
            raise ValueError("A MultiOptimizer config needs its `optimizer_map` (a serialized OptimizerMap).")
        config["optimizer_map"] = deserialize_keras_object(config["optimizer_map"], custom_objects)
        return cls(**config)
