"""``kshim.value_and_grad``: the backend-neutral way to differentiate inside a custom ``train_step``.

Keras 3 has one gradient idiom per backend (``tf.GradientTape``, ``loss.backward()``,
``jax.value_and_grad`` over ``stateless_call``). kshim adds one that runs unchanged on NumPy, JAX
and PyTorch and gives the same numbers on all three::

    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=y_pred), y_pred

        (loss, y_pred), grads = kshim.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

It is stateful like a tape (variables other than the differentiated ones that ``fn`` assigns --
BatchNormalization statistics, metrics, seed states -- are updated when it returns) yet pure
underneath, so the step still jits on JAX.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .. import ops
from .._scope import StatelessScope
from ..backend import current


def value_and_grad(fn: Callable[[], Any], variables: Sequence[Any], has_aux: bool = False) -> tuple[Any, list]:
    """Call ``fn()`` and differentiate its (first) result with respect to ``variables``.

    Args:
        fn: a function of no arguments that reads the variables (e.g. calls the model) and returns
            a scalar loss, or ``(loss, aux)`` when ``has_aux``.
        variables: the ``kshim.Variable`` objects to differentiate with respect to (typically
            ``model.trainable_variables``).
        has_aux: whether ``fn`` returns ``(loss, aux)``; ``aux`` is returned with the loss and not
            differentiated.

    Returns:
        ``(loss, grads)``, or ``((loss, aux), grads)`` with ``has_aux``; ``grads`` is a list with one
        tensor per variable (zeros where the loss does not depend on it).
    """
    variables = list(variables)
    assigned: list = []  # variables that fn assigns, in the order of the values returned as aux

    def pure(values: list) -> tuple:
        with StatelessScope(list(zip(variables, values)), record_all=True) as scope:
            out = fn()
        loss, aux = out if has_aux else (out, None)
        assigned[:] = list(scope.assigned.values())
        return loss, (aux, [scope.updates[id(v)] for v in assigned])

    (loss, (aux, updates)), grads = current().value_and_grad(pure, argnums=0, has_aux=True)(
        [v.value for v in variables]
    )
    for v, value in zip(assigned, updates):
        v.assign(ops.stop_gradient(value))
    return ((loss, aux) if has_aux else loss), list(grads)
