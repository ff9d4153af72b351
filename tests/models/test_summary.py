"""``model.summary()`` prints exactly what Keras 3 prints, for every option (``expand_nested``,
``show_trainable``, ``layer_range``, ``line_length``, ``positions``, ``print_fn``), for Sequential,
functional (chain, branching, shared layers, nested) and subclassed models, built or not, and at
several terminal widths. Each case runs on kshim under the test's backend and on real Keras (JAX)."""
import logging
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import kshim  # noqa: E402


def seq(K):
    return K.Sequential([K.Input((4,)), K.layers.Dense(8, activation="relu", name="d1"),
                         K.layers.Dropout(0.1, name="drop"), K.layers.Dense(3, name="d2")], name="seq")


def seq_unbuilt(K):
    return K.Sequential([K.layers.Dense(8, name="d1"), K.layers.Dense(3, name="d2")], name="unb")


def seq_frozen(K):
    m = K.Sequential([K.Input((4,)), K.layers.Dense(8, name="d1"), K.layers.Dropout(0.1, name="drop"),
                      K.layers.BatchNormalization(name="bn"), K.layers.Dense(3, name="d2")], name="frz")
    m.get_layer("d1").trainable = False
    return m


def chain(K):
    i = K.Input((4,), name="inp")
    return K.Model(i, K.layers.Dense(3, name="d2")(K.layers.Dense(8, name="d1")(i)), name="chain")


def branch(K):
    a, b = K.Input((4,), name="a"), K.Input((2,), name="b")
    x = K.layers.Concatenate(name="cat")([a, b])
    return K.Model([a, b], [K.layers.Dense(2, name="out")(x), K.layers.BatchNormalization(name="bn")(x)],
                   name="branch")


def nested(K):
    inner = K.Sequential([K.Input((4,)), K.layers.Dense(6, name="i1"), K.layers.Dense(5, name="i2")], name="inner")
    i = K.Input((4,), name="x")
    return K.Model(i, K.layers.Dense(2, name="head")(inner(i)), name="outer")


def nested_seq(K):
    inner = K.Sequential([K.Input((4,)), K.layers.Dense(6, name="i1"), K.layers.Dense(5, name="i2")], name="inner")
    return K.Sequential([K.Input((4,)), inner, K.layers.Dense(2, name="head")], name="outer_seq")


def nested_func(K):
    ii = K.Input((4,), name="ii")
    inner = K.Model(ii, K.layers.Dense(3, name="id")(ii), name="innerf")
    a, b = K.Input((4,), name="a"), K.Input((4,), name="b")
    return K.Model([a, b], K.layers.Add(name="add")([inner(a), inner(b)]), name="nf")


def shared(K):
    d = K.layers.Dense(2, name="shared")
    i = K.Input((2,), name="i")
    return K.Model(i, d(d(i)), name="sh")


def multi_output_chain(K):
    i = K.Input((3,), name="i")
    a = K.layers.Dense(2, name="a")(i)
    return K.Model(i, [a, K.layers.Dense(4, name="b")(a)], name="mo")


def one_d_output(K):
    i = K.Input((3,), name="i")
    return K.Model(i, K.layers.Lambda(lambda t: K.ops.sum(t, axis=-1), name="lam")(i), name="l1d")


def _subclass(K):
    class Sub(K.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d1 = K.layers.Dense(5, name="s1")
            self.d2 = K.layers.Dense(2, name="s2")

        def call(self, x):
            return self.d2(self.d1(x))
    return Sub()


def subclassed_unbuilt(K):
    return _subclass(K)


def subclassed_called(K):
    m = _subclass(K)
    m(np.zeros((2, 3), "float32"))
    return m


def long_names(K):
    return K.Sequential([K.Input((4,)), K.layers.Dense(8, name="a_really_long_layer_name_that_needs_wrapping_x"),
                         K.layers.Dense(3, name="d2")], name="long")


MODELS = [seq, seq_unbuilt, seq_frozen, chain, branch, nested, nested_seq, nested_func, shared,
          multi_output_chain, one_d_output, subclassed_unbuilt, subclassed_called, long_names]
OPTIONS = {
    "default": {},
    "show_trainable": {"show_trainable": True},
    "expand_nested": {"expand_nested": True},
    "expand_nested+show_trainable": {"expand_nested": True, "show_trainable": True},
    "line_length=60": {"line_length": 60},
    "line_length=120": {"line_length": 120},
    "positions=3": {"positions": [0.5, 0.75, 1.0]},
    "positions=4": {"positions": [0.25, 0.5, 0.75, 1.0]},
    "layer_range": {"layer_range": ["d1", "drop"]},
    "layer_range reversed": {"layer_range": ["d2", "d1"]},
    "layer_range regex": {"layer_range": ["i.*", "head"]},
    "narrow, all options": {"line_length": 70, "show_trainable": True, "expand_nested": True},
}
COLUMNS = ["120", "44"]  # wide enough for every default width; narrow enough to wrap and crop


def _summary(K, build, opts):
    """The text ``print_fn`` receives, or the exception type raised."""
    out = []
    model = build(K)
    try:
        model.summary(print_fn=out.append, **opts)
    except Exception as e:  # noqa: BLE001
        return type(e)
    assert len(out) == 1  # Keras 3 calls print_fn once, with the whole table
    return out[0]


_KERAS: dict = {}


def _keras_summary(build, option, columns, monkeypatch):
    key = (build.__name__, option, columns)
    if key not in _KERAS:
        monkeypatch.setenv("COLUMNS", columns)
        _KERAS[key] = _summary(keras, build, OPTIONS[option])
    return _KERAS[key]


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("build", MODELS, ids=lambda f: f.__name__)
def test_summary_text_matches_keras(build, option, columns, backend, monkeypatch):
    # The table is laid out above the backend protocol; what a backend contributes (built shapes,
    # weight counts) is the same under every option, so JAX and torch run the default option only.
    if backend.name != "numpy" and option != "default":
        pytest.skip("layout options are backend-independent: checked on numpy")
    expected = _keras_summary(build, option, columns, monkeypatch)
    monkeypatch.setenv("COLUMNS", columns)
    got = _summary(kshim, build, OPTIONS[option])
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, expected), (got, expected)
    else:
        assert got == expected


def test_summary_after_fit_counts_optimizer_variables(backend, monkeypatch):
    """Same text as Keras, except the byte sizes that include the optimizer's step counter: kshim keeps
    ``iterations`` as int64 (Keras uses int32 on JAX/PyTorch, int64 on TensorFlow)."""
    monkeypatch.setenv("COLUMNS", "100")

    def fitted(K):
        m = seq(K)
        m.compile("adam", "mse")
        m.fit(np.zeros((4, 4), "float32"), np.zeros((4, 3), "float32"), verbose=0)
        return m
    k_lines, s_lines = _summary(keras, fitted, {}).splitlines(), _summary(kshim, fitted, {}).splitlines()
    assert len(k_lines) == len(s_lines)
    for k, s in zip(k_lines, s_lines):
        if k.startswith((" Total params", " Optimizer params")):
            assert k.split("(")[0] == s.split("(")[0]  # same counts
        else:
            assert k == s
    assert " Optimizer params: 136 " in "\n".join(s_lines)


def test_summary_to_stdout_and_to_the_logger(backend, monkeypatch, capsys, caplog):
    monkeypatch.setenv("COLUMNS", "100")
    m = seq(kshim)
    captured = []
    m.summary(print_fn=captured.append)
    m.summary()
    assert capsys.readouterr().out == captured[0]
    kshim.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="kshim"):
            m.summary()
    finally:
        kshim.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert 'Model: "seq"' in caplog.text and "d1 (Dense)" in caplog.text


def test_summary_argument_errors(backend, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    m = seq(kshim)
    with pytest.raises(ValueError, match="length 2"):
        m.summary(layer_range=["d1"])
    with pytest.raises(ValueError, match="string"):
        m.summary(layer_range=[0, 1])
    with pytest.raises(ValueError, match="do not match.*'d1', 'drop', 'd2'"):
        m.summary(layer_range=["nope", "d2"])
    with pytest.raises(ValueError, match="Insufficient console width"):
        m.summary(line_length=8)
    with pytest.raises(IndexError, match="one position per column"):
        m.summary(positions=[0.5, 1.0])
