"""``Model``: a Layer with training (``Trainer``), saving and summary; ``Model(inputs, outputs)``
gives a functional model, subclassing gives a custom one."""
from __future__ import annotations

from typing import Any

from ..layers.layer import Layer
from ..trainers.trainer import Trainer


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features (``keras.Model``)."""

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any):
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
        raise TypeError(f"Model {self.name!r} is not a Sequential model: `add` only exists on "
                        f"kshim.Sequential. Use Sequential([...]) or build the graph with the functional API.")

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

    def summary(self, line_length: int | None = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print Keras 3's summary table (layers, output shapes, parameter counts)."""
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
        """Save to a ``.keras`` file (Keras 3 format)."""
        from ..saving.saving_api import save_model
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, max_shard_size: Any = None) -> None:
        from ..saving.saving_api import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        from ..saving.saving_api import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        import json

        from ..saving.serialization import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_config(self) -> dict:
        cfg = Layer.get_config(self)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "layers" in config and "input_layers" in config:
            from .functional import Functional
            return Functional.from_config(config, custom_objects)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(f"Unable to revive model {cls.__name__!r} from its config: {e}. A subclassed model "
                            f"must implement get_config()/from_config() to be saved and loaded.") from None

