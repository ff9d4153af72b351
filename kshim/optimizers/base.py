"""``Optimizer``: Keras 3's optimizer base, written once over ``kshim.ops``.

Update rules run on :class:`kshim.variables.Variable` objects. The stateless API
(``stateless_apply``) runs the very same stateful code inside a
:class:`kshim._scope.StatelessScope` that maps every variable to a given value and
collects the assignments, so it traces under ``jax.jit`` and the NumPy tape.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Iterable, Sequence

from .. import ops
from .._scope import StatelessScope
from .._validation import check_number
from ..variables import Variable
from . import schedules as _schedules


def _auto_name(cls_name: str) -> str:
    from .._naming import to_snake_case, uniquify

    return uniquify(to_snake_case(cls_name))


class Optimizer:
    """Base class of all optimizers (``keras.optimizers.Optimizer``).

    Args:
        learning_rate: float, a ``LearningRateSchedule`` or a zero-argument callable.
        weight_decay: if set, ``var -= var * weight_decay * lr`` before each update.
        clipnorm: clip each gradient tensor to this L2 norm.
        clipvalue: clip gradient elements to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients jointly to this global L2 norm.
        name: optimizer name (auto-generated from the class name by default).
    """

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        kwargs.pop("decay", None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if gradient_accumulation_steps:
            raise ValueError("kshim optimizers do not support gradient_accumulation_steps; leave it None.")
        self._check_numbers(
            ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor"),
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            ema_momentum=ema_momentum,
            loss_scale_factor=loss_scale_factor,
        )
        self.name = name or _auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._var_index: dict[int, int] = {}
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern | None = None
        self._iterations = self._new_variable(0, "int64", "iteration")
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Variable)
        ):
            self._learning_rate: Any = learning_rate
        else:
            try:
                check_number(learning_rate, "learning_rate")
            except ValueError:
                raise ValueError(
                    f"{type(self).__name__}: argument `learning_rate` should be a float, an instance "
                    f"of LearningRateSchedule, or a callable (taking no arguments and returning the "
                    f"learning rate). Received instead: learning_rate={learning_rate!r:.80}"
                ) from None
            lr = float(learning_rate.numpy() if isinstance(learning_rate, Variable) else learning_rate)
            self._learning_rate = self._new_variable(lr, "float32", "learning_rate")

    def _check_numbers(self, optional: tuple = (), **values: Any) -> None:
        """Refuse hyperparameters that are not numbers (``None`` is accepted for the names in ``optional``).

        Args:
            optional: Names that may also be ``None``.
            **values: ``name=value`` pairs to check.

        Raises:
            ValueError: Naming the first hyperparameter that is not a number.
        """
        for name, value in values.items():
            check_number(value, name, self, allow_none=name in optional)

    # ---- variables --------------------------------------------------------------------------
    def _new_variable(self, value: Any, dtype: str, name: str) -> Variable:
        v = Variable(value if not callable(value) else value, dtype=dtype, trainable=False, name=name)
        v.path = f"{self.name}/{name}"
        self._variables.append(v)
        return v

    @property
    def variables(self) -> list[Variable]:
        """All optimizer state, in Keras order (``iteration``, ``learning_rate``, slots)."""
        return list(self._variables)

    @property
    def iterations(self) -> Variable:
        """Number of update steps applied (int64 Variable)."""
        return self._iterations

    def build(self, variables: Sequence[Variable]) -> None:
        """Record the trainable variables; subclasses then create their slots."""
        self._trainable_variables = list(variables)
        self._var_index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        if self.use_ema:  # before the subclass' slots, as Keras orders them
            self._model_variables_moving_average = self.add_optimizer_variables(self._trainable_variables, "average")
        self.built = True

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Create and track an optimizer state variable.

        Args:
            shape: Variable shape.
            initializer: Initializer name, callable, or constant value.
            dtype: Variable dtype (default ``float32``).
            aggregation: Accepted for Keras compatibility and ignored (data-parallel training averages the
                gradients, so every replica applies the same update).
            layout: Accepted for Keras compatibility; must be ``None`` (under ``kshim.distribution`` a slot
                takes the layout of the variable it belongs to).
            name: Variable name.

        Returns:
            The new variable.
        """
        if layout is not None:
            raise NotImplementedError("kshim optimizers do not support distributed variable layouts (`layout`).")
        dtype = dtype or "float32"
        if isinstance(initializer, str):
            from .. import initializers

            initializer = initializers.get(initializer)
        shape = tuple(shape)
        value = initializer(shape, dtype) if callable(initializer) else ops.full(shape, initializer, dtype)
        return self._new_variable(value, dtype, name or "variable")

    def add_variable_from_reference(
        self, reference_variable: Variable, name: str | None = None, initializer: Any = "zeros"
    ) -> Variable:
        """A slot shaped like ``reference_variable``, named ``<path>_<name>``."""
        ref = getattr(reference_variable, "path", reference_variable.name).replace("/", "_")
        return self.add_variable(
            reference_variable.shape, initializer, reference_variable.dtype, name=f"{ref}_{name or 'var'}"
        )

    def add_optimizer_variables(
        self, trainable_variables: Sequence[Variable], name: str | Sequence[str], initializer: Any = "zeros"
    ) -> Any:
        """One slot per variable per name, created variable-major (Keras order)."""
        names = [name] if isinstance(name, str) else list(name)
        out: list[list[Variable]] = [[] for _ in names]
        for v in trainable_variables:
            for i, n in enumerate(names):
                out[i].append(self.add_variable_from_reference(v, n, initializer))
        return out[0] if isinstance(name, str) else tuple(out)

    def _index(self, variable: Variable) -> int:
        return self._var_index[id(variable)]

    # ---- learning rate ------------------------------------------------------------------------
    @property
    def learning_rate(self) -> Any:
        """Current learning rate (the Variable, or the schedule's value at ``iterations``)."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, _schedules.LearningRateSchedule) or (callable(value) and not isinstance(value, Variable)):
            if isinstance(self._learning_rate, Variable):
                self._variables = [v for v in self._variables if v is not self._learning_rate]
            self._learning_rate = value
        elif isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable."
            )
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(ops.cast(value, "float32"))
        else:
            self._learning_rate = value

    def _get_current_learning_rate(self) -> Any:
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        if callable(lr):
            return lr()
        return lr

    # ---- applying -----------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """Apply ``(gradient, variable)`` pairs; returns ``iterations``."""
        grads, variables = zip(*list(grads_and_vars))
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Update ``trainable_variables`` (default: those built on) with ``grads``."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            unknown = [v.path for v in trainable_variables if id(v) not in self._var_index]
            if unknown:
                raise ValueError(
                    f"Unknown variables {unknown}: the optimizer was built on a different list "
                    "of variables. Create a new optimizer for them."
                )
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(grads):
            missing = [v.path for g, v in zip(grads, trainable_variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss.", stacklevel=2)
        grads = [ops.convert_to_tensor(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        if self.loss_scale_factor is not None:
            grads = [ops.divide(g, self.loss_scale_factor) for g in grads]
        grads = self._clip_gradients(grads)
        self._per_step: dict = {}  # scalars shared by every variable's update in this step
        self._apply_weight_decay(variables)
        self._backend_update_step(grads, variables, self.learning_rate)
        if self.use_ema:
            self._update_moving_averages()
        for v in variables:
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v))
        self._iterations.assign_add(1)

    def _update_moving_averages(self) -> None:
        """Keras' EMA: ``average = m * average + (1 - m) * variable`` with ``m = 0`` on the first step
        (the average starts at the variable), then every ``ema_overwrite_frequency`` steps the
        variables take their averages (a select rather than a branch, so it also runs under jit)."""
        first = ops.equal(self._iterations.value, 0)
        for var, avg in zip(self._trainable_variables, self._model_variables_moving_average):
            m = ops.where(first, ops.zeros((), var.dtype), ops.full((), self.ema_momentum, var.dtype))
            avg.assign(ops.add(ops.multiply(m, avg.value), ops.multiply(ops.subtract(1, m), var.value)))
        if self.ema_overwrite_frequency:
            due = ops.equal(ops.mod(ops.add(self._iterations.value, 1), self.ema_overwrite_frequency), 0)
            for var, avg in zip(self._trainable_variables, self._model_variables_moving_average):
                var.assign(ops.where(due, avg.value, var.value))

    def per_step(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per ``apply`` call (e.g. bias corrections that depend only on the step)."""
        cache = self.__dict__.setdefault("_per_step", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _backend_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """Apply one gradient to one variable (override in subclasses)."""
        raise TypeError(f"{type(self).__name__} must implement update_step().")

    def stateless_apply(
        self, optimizer_variables: Sequence[Any], grads: Sequence[Any], trainable_variables: Sequence[Any]
    ) -> tuple[list, list]:
        """Pure form of ``apply``: returns ``(new_trainable_values, new_optimizer_values)``."""
        if not self.built:
            raise ValueError(
                "To call `stateless_apply`, the optimizer must be built first: "
                "call `optimizer.build(trainable_variables)`."
            )
        optimizer_variables, trainable_variables = list(optimizer_variables), list(trainable_variables)
        own = self.variables  # wrappers (LossScaleOptimizer, MultiOptimizer) add their inner optimizers'
        if len(optimizer_variables) != len(own):
            raise ValueError(f"Expected {len(own)} optimizer variable values, got {len(optimizer_variables)}.")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                f"Expected {len(self._trainable_variables)} trainable variable values, got {len(trainable_variables)}."
            )
        mapping = list(zip(self._trainable_variables, trainable_variables)) + list(zip(own, optimizer_variables))
        with StatelessScope(state_mapping=mapping) as scope:
            self.apply(grads)
        new_trainable = [scope.update_for(v, val) for v, val in zip(self._trainable_variables, trainable_variables)]
        new_opt = [scope.update_for(v, val) for v, val in zip(own, optimizer_variables)]
        return new_trainable, new_opt

    # ---- clipping and weight decay ------------------------------------------------------------
    def _clip_by_norm(self, values: Any) -> Any:
        l2sum = ops.sum(ops.square(values), keepdims=True)
        pred = ops.greater(l2sum, 0)
        l2norm = ops.where(pred, ops.sqrt(ops.where(pred, l2sum, ops.ones_like(l2sum))), l2sum)
        return ops.divide(ops.multiply(values, self.clipnorm), ops.maximum(l2norm, self.clipnorm))

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [ops.clip(g, -v, v) for g in grads]
        return grads

    def exclude_from_weight_decay(
        self, var_list: Sequence[Variable] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Exclude variables (by identity, or by a name substring) from weight decay; call before build."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return not (self._exclude_pattern is not None and self._exclude_pattern.search(variable.name))

    def _apply_weight_decay(self, variables: list) -> None:
        if self.weight_decay is None:
            return
        for v in variables:
            if self._use_weight_decay(v):
                lr = ops.cast(self.learning_rate, v.dtype)
                wd = ops.cast(self.weight_decay, v.dtype)
                v.assign(ops.subtract(v, ops.multiply(ops.multiply(v, wd), lr)))

    # ---- weights and config -----------------------------------------------------------------
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assign values to ``variables`` in order.

        Args:
            weights: One array per variable of :attr:`variables`.

        Raises:
            ValueError: If the count differs.
        """
        own = self.variables
        if len(weights) != len(own):
            raise ValueError(f"Optimizer has {len(own)} variables, got {len(weights)} weights.")
        for v, w in zip(own, weights):
            v.assign(w)

    def get_weights(self) -> list:
        """The values of :attr:`variables` as NumPy arrays.

        Returns:
            A list of arrays.
        """
        return [v.numpy() for v in self.variables]

    def scale_loss(self, loss: Any) -> Any:
        """The loss times ``loss_scale_factor`` (unchanged when it is None), before gradients are taken.

        Args:
            loss: The loss tensor.

        Returns:
            The scaled loss.
        """
        if self.loss_scale_factor is not None:
            return ops.multiply(loss, self.loss_scale_factor)
        return loss

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Called at the end of ``fit``: with ``use_ema``, the variables take their moving averages.

        Args:
            var_list: The model's trainable variables, in the order the optimizer was built on.

        Raises:
            ValueError: ``var_list`` does not have one entry per averaged variable.
        """
        if not self.use_ema or not self.built:
            return
        averages = self._model_variables_moving_average
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match the "
                f"length of model variables stored in the optimizer ({len(averages)}). Please check "
                "if the optimizer was called on your model."
            )
        for var, avg in zip(var_list, averages):
            var.assign(avg.value)

    def get_config(self) -> dict:
        """Constructor arguments (the learning rate as a float, or a serialized schedule)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def global_norm(values: Sequence[Any]) -> Any:
    """L2 norm of all tensors together."""
    return ops.sqrt(ops.sum(ops.stack([ops.sum(ops.square(v)) for v in values if v is not None])))


def clip_by_global_norm(values: Sequence[Any], clip_norm: float) -> list:
    """Scale all tensors so their joint norm is at most ``clip_norm`` (NaN if the norm is not finite)."""
    norm = global_norm(values)
    scale = ops.multiply(clip_norm, ops.minimum(ops.divide(1.0, norm), 1.0 / clip_norm))
    scale = ops.add(scale, ops.subtract(norm, norm))
    return [None if v is None else ops.multiply(v, scale) for v in values]
