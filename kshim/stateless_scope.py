"""``kshim.StatelessScope`` (``keras.StatelessScope``): run layers and ops without changing any variable."""

from __future__ import annotations

from typing import Any, Iterable

from ._scope import StatelessScope as _Scope

__all__ = ["StatelessScope"]


class StatelessScope(_Scope):
    """Inside the scope, variables read as the values given in ``state_mapping`` (their own values
    otherwise) and no assignment changes a variable: the new values are collected instead
    (``scope.get_current_value(variable)``), as in Keras 3.

    Args:
        state_mapping: Pairs ``(variable, value)``; each value is converted to the variable's dtype
            and must have its shape.
        collect_losses: Whether losses added by layers inside (``add_loss``) are collected in
            ``scope.losses``.
        initialize_variables: Accepted for Keras compatibility: kshim creates variables with their
            values, so there is nothing left to initialize when the scope ends.

    Raises:
        ValueError: If a key of ``state_mapping`` is not a variable, or a value's shape differs from
            its variable's.

    Example:
        >>> import kshim
        >>> v = kshim.Variable([1.0, 2.0])
        >>> with kshim.StatelessScope([(v, [5.0, 6.0])]) as scope:
        ...     _ = v.assign_add([1.0, 1.0])
        >>> [float(t) for t in kshim.ops.convert_to_numpy(scope.get_current_value(v))]
        [6.0, 7.0]
        >>> [float(t) for t in kshim.ops.convert_to_numpy(v.value)]
        [1.0, 2.0]
    """

    def __init__(
        self,
        state_mapping: Iterable[tuple[Any, Any]] | None = None,
        collect_losses: bool = False,
        initialize_variables: bool = True,
    ) -> None:
        from . import ops
        from .variables import Variable

        pairs = []
        for variable, value in state_mapping or ():
            if not isinstance(variable, Variable):
                raise ValueError(
                    f"Invalid reference variable in StatelessScope: all keys in `state_mapping` must be "
                    f"Variable instances. Received instead: {variable!r:.80}"
                )
            value = value.value if isinstance(value, Variable) else value
            value = ops.cast(ops.convert_to_tensor(value), variable.dtype)
            if tuple(ops.shape(value)) != tuple(variable.shape):
                raise ValueError(
                    f"Invalid variable value in StatelessScope: the value for variable {variable.path!r} "
                    f"has shape {tuple(ops.shape(value))}, the variable {tuple(variable.shape)}."
                )
            pairs.append((variable, value))
        super().__init__(pairs, collect_losses=collect_losses, record_all=True)
        self.initialize_variables = initialize_variables

    def get_current_value(self, variable: Any) -> Any:
        """The variable's value in this scope: assigned inside, else mapped, else ``None``.

        Args:
            variable: A variable.

        Returns:
            A backend tensor, or ``None`` for a variable neither mapped nor assigned.
        """
        return self.update_for(variable)

    def add_update(self, update: tuple) -> None:
        """Record ``(variable, value)`` as the variable's new value in this scope.

        Args:
            update: The pair.
        """
        variable, value = update
        self.assign(variable, value)

    def add_loss(self, loss: Any) -> None:
        """Append ``loss`` to ``scope.losses``.

        Args:
            loss: A scalar tensor.
        """
        self.losses.append(loss)

    @property
    def state_mapping(self) -> dict:
        """``{id(variable): value}`` for every mapped or assigned variable (as Keras' attribute)."""
        return {**self.values, **self.updates}
