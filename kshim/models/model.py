"""``Model``: a Layer with training (``Trainer``, which delegates to the model's ``TrainingEngine``,
``kshim/trainers/engine.py``), saving and summary; ``Model(inputs, outputs)`` gives a functional
model, subclassing gives a custom one."""

from __future__ import annotations

from typing import Any, cast

from ..layers.layer import Layer
from ..trainers.trainer import Trainer


def functional_init_arguments(args: tuple, kwargs: dict) -> bool:
    """Whether constructor arguments describe a functional model (``inputs`` and ``outputs``)."""
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs)


def _takes_no_arguments(cls: type) -> bool:
    import inspect

    # (getattr: mypy rejects reading __init__ off a class object, which is what is wanted here)
    params = list(inspect.signature(getattr(cls, "__init__")).parameters.values())[1:]
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features (``keras.Model``).

    Two ways to make one, as in Keras: ``Model(inputs, outputs)`` builds a functional model from the
    symbolic tensors of a graph of layers (the instance is then a ``Functional``); a subclass defines
    its layers in ``__init__`` and its forward pass in ``call``, calling ``super().__init__(name=...)``.

    Args:
        *args: For a functional model, ``inputs`` and ``outputs`` (see below), positionally.
        **kwargs: ``inputs``: the model's input ``KerasTensor`` (or a list/dict of them, from
            ``kshim.Input``); ``outputs``: the output tensor(s) computed from them; ``name``: the model
            name (default: derived from the class); ``trainable``: whether its weights are trained (default
            ``True``); ``dtype``: the dtype policy of a subclassed model; other base ``Layer`` arguments.

    Raises:
        TypeError: If ``inputs`` or ``outputs`` holds something other than ``KerasTensor``s (a layer itself
            raises kshim's ``ArgumentError``, also a ``ValueError``).
    """

    _saves_layers_group = True  # weights files hold a model's layers under "layers/" (saving/h5_store.py)

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is Model and functional_init_arguments(args, kwargs):
            from .functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any):
        if functional_init_arguments(args, kwargs):
            # Functional subclassing: `super().__init__(inputs=..., outputs=...)` in a subclass, or
            # `MySubclass(inputs, outputs)`. As in Keras, Functional joins the class hierarchy.
            from .functional import Functional, inject_functional

            if not isinstance(self, Functional):
                inject_functional(type(self))
            Functional.__init__(cast(Functional, self), *args, **kwargs)  # self is a Functional by now
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def build(self, input_shape: Any = None) -> None:
        """Create a subclassed model's variables by running it once on small probe inputs."""
        self.built = True
        if input_shape is None:
            return
        from ..layers.layer import _shape_to_spec

        spec = _shape_to_spec(input_shape, self.compute_dtype)
        self.compute_output_spec(spec) if not isinstance(spec, list) else self.compute_output_spec(spec)

    def add(self, layer: Any) -> None:
        from .._errors import NotSequentialError

        raise NotSequentialError(
            f"Model {self.name!r} is not a Sequential model: `add` only exists on "
            f"kshim.Sequential. Use Sequential([...]) or build the graph with the functional API."
        )

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer of the model by name or index."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Model {self.name!r} has {len(layers)} layers; index {index} is out of range.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in layers]}.")

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print Keras 3's summary table (layers, output shapes, parameter counts), in its exact layout.

        An unbuilt layer shows ``?`` as its output shape and ``0 (unbuilt)`` parameters.

        Args:
            line_length: Table width in characters (default 88, or 108 with the "Connected to"
                column, capped by the terminal width).
            positions: Right edge of each column as a fraction of ``line_length``.
            print_fn: Called once with the whole summary text; by default it goes to stdout (or to
                the ``kshim`` logger when interactive logging is disabled).
            expand_nested: Also list the layers of nested models, indented under them.
            show_trainable: Add a "Trainable" column (``Y``/``N``; ``-`` for layers without weights).
            layer_range: ``[first, last]`` layer names or regexes (``re.match``), both inclusive.

        Raises:
            ValueError: bad ``layer_range``, or columns narrower than 4 characters.
        """
        from .summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
        """Save to a ``.keras`` file (Keras 3 format)."""
        from ..saving.saving_api import save_model

        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def export(
        self,
        filepath: Any,
        format: str = "tf_saved_model",
        verbose: bool | None = None,  # noqa: A002
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Export the inference call as an artifact: ``format="onnx"``, ``"torch"`` (``.pt2``) or
        ``"jax_export"`` (kshim's). The default, ``"tf_saved_model"``, needs TensorFlow and raises
        ``ImportError``; see :func:`kshim.export.export_model` for the arguments."""
        from ..export import export_model

        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, max_shard_size: Any = None) -> None:
        from ..saving.saving_api import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        from ..saving.saving_api import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        import json

        from .._serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_config(self) -> dict:
        cfg = Layer.get_config(self)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "layers" in config and "input_layers" in config:
            from ..saving.functional_config import functional_from_config
            from .functional import Functional, functional_like_constructor

            return functional_from_config(
                cls if functional_like_constructor(cls) else Functional, config, custom_objects
            )
        try:
            return cls(**config)
        except TypeError as e:
            base_only = set(config) <= {"name", "trainable", "dtype"}
            if base_only and _takes_no_arguments(cls):
                # A subclass whose __init__ takes nothing (kshim is more forgiving than Keras here).
                model = cls()
                model.name = config.get("name", model.name)
                return model
            raise TypeError(
                f"Unable to revive model {cls.__name__!r} from its config: {e}. A subclassed model "
                f"must implement get_config()/from_config() to be saved and loaded."
            ) from None
