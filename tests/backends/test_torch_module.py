"""Issue 17 item 1: on the torch backend every kshim layer and model is a ``torch.nn.Module``.

``parameters()`` are the trainable variables (same tensors, Keras' order), buffers the non-trainable ones;
``state_dict``/``load_state_dict``, ``.to``, ``train()``/``eval()``, ``requires_grad`` following
``trainable``; a user's own torch loop trains the model and ``predict``/``fit`` see the result; under
other backends nothing of this applies (a model built under NumPy is not a module).
"""
import copy
import pickle

import numpy as np
import pytest

import kshim as keras
from kshim import layers
from kshim.backends._native_module import kshim_class

torch = pytest.importorskip("torch")


@pytest.fixture
def tb():
    with keras.backend.use("torch") as b:
        yield b


def _mlp(seed=0, dropout=False, bn=False):
    keras.utils.set_random_seed(seed)
    parts = [layers.Input((5,)), layers.Dense(7, activation="tanh")]
    if bn:
        parts.append(layers.BatchNormalization())
    if dropout:
        parts.append(layers.Dropout(0.5))
    parts.append(layers.Dense(3))
    return keras.Sequential(parts)


def _data(n=32):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 5)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")


def test_only_torch_layers_are_modules(backend):
    m = _mlp()
    assert isinstance(m, torch.nn.Module) == (backend.name == "torch")
    assert isinstance(m.layers[0], torch.nn.Module) == (backend.name == "torch")
    assert isinstance(m, keras.Sequential) and type(m).__name__ == "Sequential"
    assert kshim_class(m) is keras.Sequential


def test_parameters_are_the_trainable_variables_in_keras_order(tb):
    m = _mlp(bn=True)
    params = list(m.parameters())
    assert [p is v.value for p, v in zip(params, m.trainable_weights)] == [True] * len(m.trainable_weights)
    assert len(params) == len(m.trainable_weights) == 6
    assert all(p.requires_grad for p in params)
    buffers = list(m.buffers())
    assert [b is v.value for b, v in zip(buffers, m.non_trainable_weights)] == [True, True]
    assert not any(b.requires_grad for b in buffers)
    names = [n for n, _ in m.named_parameters()]
    # Sequential/functional layers are named by position, as in torch.nn.Sequential
    assert names == ["0.kernel", "0.bias", "1.gamma", "1.beta", "2.kernel", "2.bias"]
    assert [n for n, _ in m.named_children()] == ["0", "1", "2"]
    assert list(m.state_dict()) == names[:4] + ["1.moving_mean", "1.moving_variance"] + names[4:]


class TwoTowers(keras.Model):
    def __init__(self):
        super().__init__()
        self.left = layers.Dense(2, name="l")
        self.right = layers.Dense(2, use_bias=False)

    def call(self, x):
        return self.left(x) + self.right(x)


def test_subclassed_model_names_modules_by_attribute(tb):
    m = TwoTowers()
    m(np.ones((1, 3), "float32"))
    assert [n for n, _ in m.named_parameters()] == ["left.kernel", "left.bias", "right.kernel"]
    assert [p is v.value for p, v in zip(m.parameters(), m.trainable_weights)] == [True] * 3


def test_requires_grad_follows_trainable(tb):
    m = _mlp()
    list(m.parameters())
    m.layers[0].trainable = False
    assert len(list(m.parameters())) == 2 == len(m.trainable_weights)
    assert not m.layers[0].kernel.value.requires_grad
    assert [n for n, _ in m.named_buffers()] == ["0.kernel", "0.bias"]
    m.layers[0].trainable = True
    assert m.layers[0].kernel.value.requires_grad and len(list(m.parameters())) == 4
    m.layers[1].bias.trainable = False
    assert not m.layers[1].bias.value.requires_grad and len(list(m.parameters())) == 3


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_torch_loop_equals_fit(tb, momentum):
    """torch.optim.SGD on model.parameters() is Keras' SGD formula (momentum v = mu v - lr g; w += v
    is torch's v = mu v + g; w -= lr v for a constant lr): same weights after the same batches."""
    x, y = _data()
    ref = _mlp()
    ref.compile(keras.optimizers.SGD(0.05, momentum=momentum), "mse")
    ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    m = _mlp()
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=momentum)
    for _ in range(2):
        for i in range(0, 32, 8):
            opt.zero_grad()
            loss = torch.mean((m(torch.from_numpy(x[i:i + 8])) - torch.from_numpy(y[i:i + 8])) ** 2)
            loss.backward()
            opt.step()
    # float32 over 8 steps of a tanh MLP: both sides round every op, in different orders.
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(m.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=2e-5, atol=2e-6)


def test_fit_after_torch_use_writes_into_the_parameters(tb):
    """A model whose variables became torch Parameters trains with fit exactly as a plain one does,
    and a torch optimizer built before fit still holds the trained tensors."""
    x, y = _data()
    plain, native = _mlp(), _mlp()
    params = list(native.parameters())
    for m in (plain, native):
        m.compile(keras.optimizers.Adam(0.01), "mse")
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), native.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(p is v.value for p, v in zip(params, native.trainable_weights))
    np.testing.assert_array_equal(params[0].detach().numpy(), native.get_weights()[0])


def test_state_dict_round_trip(tb):
    x, _ = _data()
    a, b = _mlp(seed=1, bn=True), _mlp(seed=2, bn=True)
    a.compile("sgd", "mse")
    a.fit(x, x[:, :3], epochs=1, verbose=0)  # moving statistics move away from their initial values
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    result = b.load_state_dict(a.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    with pytest.raises(RuntimeError, match="Missing key"):
        b.load_state_dict({"0.kernel": a.state_dict()["0.kernel"]})


def test_train_eval_set_the_default_training(tb):
    x, _ = _data()
    m = _mlp(dropout=True)
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(m(t).detach().numpy(), m(t, training=False).detach().numpy())  # Keras default
    m.train()
    assert m.training and m.layers[1].training
    assert not np.allclose(m(t).detach().numpy(), m(t, training=False).detach().numpy())
    m.eval()
    assert not m.training and not m.layers[1].training
    np.testing.assert_array_equal(m(t).detach().numpy(), m(t, training=False).detach().numpy())
    # fit and predict pass training explicitly, whatever the module mode
    m.train()
    np.testing.assert_array_equal(m.predict(x, verbose=0), m(t, training=False).detach().numpy())


def test_to_and_dtype_conversion(tb):
    x, _ = _data()
    m = _mlp()
    before = m.predict(x, verbose=0)
    params = list(m.parameters())
    assert m.to("cpu") is m
    assert all(p is q for p, q in zip(params, m.parameters()))
    np.testing.assert_array_equal(m.predict(x, verbose=0), before)
    m.to(torch.float64)
    assert [v.dtype for v in m.weights] == ["float64"] * 4
    assert all(p.dtype == torch.float64 for p in m.parameters())
    np.testing.assert_allclose(m(torch.from_numpy(x).double()).detach().numpy(), before, rtol=1e-6, atol=1e-6)


def test_compile_with_torch_compile(tb):
    x, _ = _data()
    m = _mlp()
    expected = m(torch.from_numpy(x)).detach().numpy()
    compiled = torch.compile(m, backend="eager")
    np.testing.assert_allclose(compiled(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_copy_and_pickle_keep_the_module(tb):
    x, _ = _data()
    m = _mlp()
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert isinstance(clone, torch.nn.Module) and kshim_class(clone) is keras.Sequential
        np.testing.assert_array_equal(clone.predict(x, verbose=0), m.predict(x, verbose=0))
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in m.named_parameters()]


def test_saved_file_loads_under_numpy(tb, tmp_path):
    x, _ = _data()
    m = _mlp()
    list(m.parameters())
    path = tmp_path / "m.keras"
    m.save(path)
    expected = m.predict(x, verbose=0)
    with keras.backend.use("numpy"):
        loaded = keras.saving.load_model(path)
        assert not isinstance(loaded, torch.nn.Module)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    assert '"class_name": "Sequential"' in m.to_json()


class Counting(layers.Layer):
    built_count = 0

    def build(self, input_shape):
        type(self).built_count += 1
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w


def test_user_layer_class_attributes_and_errors(tb):
    Counting.built_count = 0
    layer = Counting()
    layer(np.ones((2, 3), "float32"))
    assert Counting.built_count == 1  # written through type(self), seen on the user's class
    assert [n for n, _ in layer.named_parameters()] == ["w"]
    with pytest.raises(TypeError, match="add_weight"):
        layer.register_parameter("extra", torch.nn.Parameter(torch.zeros(2)))
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        layer.missing


def test_layer_built_under_numpy_gives_a_clear_error(tb):
    layer = layers.Dense(2)  # created under torch, so a module ...
    with keras.backend.use("numpy"):
        layer(np.ones((1, 3), "float32"))  # ... but its variables are NumPy's
    with pytest.raises(TypeError, match="belongs to the 'numpy' backend"):
        list(layer.parameters())


def test_docs_torch_loop_example(tb):
    """Runs the torch-loop block of docs/interop.md as written (its asserts: a module, mse < 0.01)."""
    import pathlib
    import re
    docs = pathlib.Path(__file__).resolve().parents[2] / "docs" / "interop.md"
    text = docs.read_text(encoding="utf-8")
    match = re.search(r"<!-- tested: [^>]*test_docs_torch_loop_example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "the tested example block is missing from docs/interop.md"
    namespace: dict = {"__name__": "torch_loop_docs_example"}
    exec(compile(match.group(1), str(docs), "exec"), namespace)
    assert list(namespace["state"]) == ["0.kernel", "0.bias", "1.kernel", "1.bias"]


def test_in_place_assignment_semantics(tb):
    """Trainable Parameters are written in place, also from a view of themselves; buffers are
    replaced (kshim code reads a state and then assigns its successor), so earlier reads keep their
    values: the seed generator of a dropout layer gives the same masks as without the module views."""
    layer = layers.Dense(3, use_bias=False)
    layer(np.ones((1, 3), "float32"))
    param = next(layer.parameters())
    before = param.detach().clone()
    layer.kernel.assign(keras.ops.transpose(layer.kernel.value))
    assert next(layer.parameters()) is param
    np.testing.assert_array_equal(param.detach().numpy(), before.T.numpy())

    x = np.ones((4, 6), "float32")
    plain, viewed = layers.Dropout(0.5, seed=3), layers.Dropout(0.5, seed=3)
    list(viewed.buffers())  # the seed state is now a module buffer
    assert [n for n, _ in viewed.named_buffers()] == ["seed_generator_state"]
    for _ in range(3):
        np.testing.assert_array_equal(plain(x, training=True).numpy(), viewed(x, training=True).numpy())
