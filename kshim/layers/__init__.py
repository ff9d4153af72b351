"""``kshim.layers``: the Keras 3 layer catalogue."""

from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from .adaptive_pooling import (  # noqa: F401
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from .attention import AdditiveAttention, Attention  # noqa: F401
from .convolutional import (  # noqa: F401
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from .core import Activation, Dense, EinsumDense, Embedding, Identity, Lambda  # noqa: F401
from .dtype_policy import DTypePolicy  # noqa: F401
from .group_query_attention import GroupedQueryAttention, GroupQueryAttention  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .input_spec import InputSpec  # noqa: F401
from .jax_layer import FlaxLayer, JaxLayer  # noqa: F401
from .layer import Layer  # noqa: F401
from .masking import Masking  # noqa: F401
from . import op_layer as _op_layer  # noqa: F401  (registers the op-node layer with kshim.ops.node)
from .merging import (  # noqa: F401
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .multi_head_attention import MultiHeadAttention  # noqa: F401
from .normalization import (  # noqa: F401
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from .pooling import (  # noqa: F401
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .preprocessing import *  # noqa: F401,F403
from .regularization import (  # noqa: F401
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .rnn import (  # noqa: F401
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from .reversible_embedding import ReversibleEmbedding  # noqa: F401
from .spectral_normalization import SpectralNormalization  # noqa: F401
from .torch_module_wrapper import TorchModuleWrapper  # noqa: F401
from .wrapper import Wrapper  # noqa: F401
from .reshaping import (  # noqa: F401
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

# Keras aliases
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)


def serialize(layer: Layer) -> dict:
    """The Keras 3 config dict of a layer (``serialize_keras_object``).

    Args:
        layer: The layer to serialize.

    Returns:
        A JSON-compatible dict with ``module``, ``class_name``, ``config`` and ``registered_name`` (and
        ``build_config`` where the layer records one).
    """
    from .._serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Rebuild a layer from the dict ``serialize`` returned (``deserialize_keras_object``).

    Args:
        config: The layer's config dict.
        custom_objects: Optional dict mapping names to custom classes or functions.

    Returns:
        The new layer (built when the config records a ``build_config``).

    Raises:
        TypeError: If the class named by the config cannot be found.
        ValueError: If the config is malformed.
    """
    from .._serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)
