"""``kshim.utils.Progbar`` / ``ProgbarLogger`` output, checked against literal strings and,
when real Keras 3 is installed, byte for byte against Keras' own progress bar."""
from __future__ import annotations

import os
import re
import types

import pytest

from kshim.callbacks import CallbackList, ProgbarLogger
from kshim.utils import progbar as kprogbar
from kshim.utils.progbar import Progbar

BOLD, END, GREEN, GREY = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m"


class Clock:
    """A settable stand-in for ``time.time`` (patched into the progbar modules)."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def time(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(kprogbar, "time", types.SimpleNamespace(time=c.time))
    return c


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _mask(text: str) -> str:
    """Mask what depends on wall-clock timings only: ETA/elapsed, time per step, and the
    backspace/padding runs whose length follows the width of those fields."""
    text = re.sub(r"\d+(?:s|ms|us)/(step|sample)", r"<T>/\1", text)
    text = re.sub(r"\x1b\[1m\d+(?::\d\d){0,2}s?\x1b\[0m", "<ETA>", text)
    text = re.sub(r" - \d+s - ", " - <S> - ", text)
    text = re.sub(r"\x08+", "<BS>", text)
    text = re.sub(r" +(?=<BS>|\n|$)", "", text)
    return text


def _bar(done: int, width: int = 20) -> str:
    out = f"{GREEN}{'━' * done}{END}" if done else ""
    return out + f"{GREY}{'━' * (width - done)}{END}"


# --------------------------------------------------------------- literal formats
def test_verbose2_single_line(clock, capsys):
    bar = Progbar(32, verbose=2, stateful_metrics=["accuracy", "loss"])
    for i in range(1, 32):
        clock.t += 0.003
        bar.update(i, [("accuracy", 0.5), ("loss", 0.7)])
    assert capsys.readouterr().out == ""
    clock.t = 1001.4
    bar.update(32, [("accuracy", 0.9), ("loss", 0.3)])
    # time per step ignores the first step: (1001.4 - 1000.003) / 31 = 45ms
    assert capsys.readouterr().out == "32/32 - 1s - 45ms/step - accuracy: 0.9000 - loss: 0.3000\n"


def test_verbose1_dynamic_line(clock, capsys):
    bar = Progbar(32, verbose=1)
    bar._dynamic_display = True
    clock.t += 0.5
    bar.update(1, [("loss", 1.0)])
    first = capsys.readouterr().out
    # ETA = 0.5 s/step * 31 steps = 15s
    expected_first = f"\r{BOLD} 1/32{END} {_bar(0)} {BOLD}15s{END} 500ms/step - loss: 1.0000"
    assert first == expected_first
    clock.t += 0.003 * 31
    bar.update(32, [("loss", 0.5)])
    out = capsys.readouterr().out
    width = len(" 1/32 ") + 20 + len(" 15s 500ms/step - loss: 1.0000")
    assert out == ("\b" * width + f"\r{BOLD}32/32{END} {_bar(20)} {BOLD}1s{END} 3ms/step - loss: 0.5000"
                   + " " * 3 + "\n")


def test_verbose1_non_dynamic_and_averaging(clock, capsys):
    bar = Progbar(4, verbose=1, interval=0.0)
    bar._dynamic_display = False
    for i, loss in enumerate([4.0, 2.0, 1.0, 1.0], start=1):
        clock.t += 2.0
        bar.update(i, [("loss", loss)])
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == ""  # every update starts a new line
    assert lines[1] == f"{BOLD}1/4{END} {_bar(5)} {BOLD}6s{END} 2s/step - loss: 4.0000"
    assert lines[2] == f"{BOLD}2/4{END} {_bar(10)} {BOLD}4s{END} 2s/step - loss: 3.0000"
    # finalized: elapsed time, and stateless metrics are not averaged on the last update
    assert lines[4] == f"{BOLD}4/4{END} {_bar(20)} {BOLD}8s{END} 2s/step - loss: 1.0000"
    assert lines[5] == ""


def test_interval_throttles_updates(clock, capsys):
    bar = Progbar(100, verbose=1, interval=0.05)
    bar._dynamic_display = False
    clock.t += 0.001
    bar.update(1)
    clock.t += 0.001
    bar.update(2)  # within the interval: not shown
    clock.t += 0.1
    bar.update(3)
    assert capsys.readouterr().out.count("\n") == 2


@pytest.mark.parametrize("value,text", [(0.5, "0.5000"), (1e-4, "1.0000e-04"), (-2.0, "-2.0000"),
                                        (-1e-5, "-1.0000e-05"), (1234.56789, "1234.5679")])
def test_value_format_verbose1(clock, capsys, value, text):
    bar = Progbar(1, verbose=1)
    clock.t += 1
    bar.update(1, [("m", value)])
    assert capsys.readouterr().out.endswith(f" - m: {text}\n")


def test_value_format_verbose2_uses_signed_threshold(clock, capsys):
    bar = Progbar(1, verbose=2)
    clock.t += 1
    bar.update(1, [("m", -2.0)])
    # Keras compares the signed value in verbose 2, so negatives use ``.4e``
    assert capsys.readouterr().out == "1/1 - 1s - 1s/step - m: -2.0000e+00\n"


@pytest.mark.parametrize("per_step,eta", [(0.2, "19s"), (1.0, "1:39"), (50.0, "1:22:30")])
def test_eta_format(clock, capsys, per_step, eta):
    bar = Progbar(100, verbose=1)
    clock.t += per_step
    bar.update(1)
    assert f"{BOLD}{eta}{END}" in capsys.readouterr().out


@pytest.mark.parametrize("per_step,text", [(2.4, "2s/step"), (0.0123, "12ms/step"), (0.00025, "250us/step")])
def test_time_per_step_format(clock, capsys, per_step, text):
    bar = Progbar(1, verbose=2, unit_name="step")
    clock.t += per_step
    bar.update(1)
    assert f" - {text}" in capsys.readouterr().out


def test_unknown_target_and_add(clock, capsys):
    bar = Progbar(None, verbose=1)
    bar._dynamic_display = False
    clock.t += 1
    bar.add(3, [("loss", 2.0)])
    assert capsys.readouterr().out == f"\n      3/Unknown {BOLD}1s{END} 333ms/step - loss: 2.0000"
    bar.target = 3
    bar.update(3, [("loss", 1.0)], finalize=True)
    assert "3/3" in capsys.readouterr().out


def test_stateless_and_stateful_exclusive():
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_verbose0_silent(clock, capsys):
    bar = Progbar(2, verbose=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_progbar_logger_epoch_headers_verbose2(clock, capsys):
    cbs = CallbackList(None, add_history=True, add_progbar=True, verbose=2, epochs=2, steps=3)
    assert isinstance(cbs.callbacks[-1], ProgbarLogger) and cbs.callbacks[-1].verbose == 2
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for b in range(3):
            cbs.on_train_batch_begin(b)
            clock.t += 0.01
            cbs.on_train_batch_end(b, {"loss": 1.0 / (b + 1), "accuracy": 0.5})
        cbs.on_test_begin()
        cbs.on_test_batch_end(0, {"loss": 9.0})
        cbs.on_test_end({"loss": 9.0})
        cbs.on_epoch_end(epoch, {"loss": 0.25, "accuracy": 0.75, "val_loss": 0.5, "val_accuracy": 0.625})
    cbs.on_train_end()
    out = _mask(capsys.readouterr().out)
    assert out == ("Epoch 1/2\n3/3 - <S> - <T>/step - accuracy: 0.7500 - loss: 0.2500 - val_accuracy: 0.6250"
                   " - val_loss: 0.5000\n"
                   "Epoch 2/2\n3/3 - <S> - <T>/step - accuracy: 0.7500 - loss: 0.2500 - val_accuracy: 0.6250"
                   " - val_loss: 0.5000\n")


def test_progbar_logger_single_epoch_no_header_and_evaluate(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, verbose=1, epochs=1, steps=None)
    cbs.on_test_begin()
    for b in range(2):
        clock.t += 1
        cbs.on_test_batch_end(b, {"loss": 1.5})
    cbs.on_test_end({"loss": 1.25})
    out = capsys.readouterr().out
    assert "Epoch" not in out
    assert out.endswith(f"\r{BOLD}2/2{END} {_bar(20)} {BOLD}2s{END} 1s/step - loss: 1.2500\n")


# ------------------------------------------------------------ against real Keras
def _drive(bar_cls, clock, script, **kw):
    bar = bar_cls(**kw)
    for dt, current, values, finalize in script:
        clock.t += dt
        bar.update(current, values, finalize=finalize)
    return bar


SCRIPTS = {
    "averaged": [(0.3, 1, [("loss", 2.0), ("acc", 0.25)], None), (0.01, 2, [("loss", 1.0), ("acc", 0.5)], None),
                 (0.2, 4, [("loss", 0.5), ("acc", 0.75)], None), (0.2, 10, [("loss", 1e-4), ("acc", 1.0)], None)],
    "stateful": [(1.2, 1, [("loss", 3.0)], None), (70.0, 5, [("loss", -1.0)], None),
                 (4000.0, 7, [("loss", 1e-9)], None), (0.5, 12, [("loss", 0.1)], None)],
    "unknown": [(0.001, 1, [("loss", 1.0)], None), (0.3, 5, [("loss", 0.5)], None),
                (0.3, 5, [("loss", 0.25)], True)],
}


@pytest.mark.oracle
@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.parametrize("dynamic", [True, False])
def test_progbar_matches_keras_exactly(monkeypatch, capsys, verbose, name, dynamic):
    _keras()
    from keras.src.utils import progbar as keras_progbar

    target = {"averaged": 10, "stateful": 12, "unknown": None}[name]
    extra = {"stateful_metrics": ["loss"]} if name == "stateful" else {}
    outs = []
    for module, cls in ((keras_progbar, keras_progbar.Progbar), (kprogbar, Progbar)):
        c = Clock()
        monkeypatch.setattr(module, "time", types.SimpleNamespace(time=c.time))

        class Bar(cls):
            def __init__(self, **kw):
                super().__init__(**kw)
                self._dynamic_display = dynamic

        _drive(Bar, c, SCRIPTS[name], target=target, verbose=verbose, **extra)
        outs.append(capsys.readouterr().out)
    assert outs[1] == outs[0]
    if verbose == 1:
        assert outs[0]


class _Recorder:
    """Keras callback recording every hook's logs and driving the fake clock."""

    def __init__(self, keras, clock):
        rec = self

        class Rec(keras.callbacks.Callback):
            def _tick(self, name, *args):
                clock.t += 0.013
                rec.events.append((name, args))

            def on_train_begin(self, logs=None): self._tick("on_train_begin", dict(logs or {}))
            def on_train_end(self, logs=None): self._tick("on_train_end", dict(logs or {}))
            def on_epoch_begin(self, e, logs=None): self._tick("on_epoch_begin", e, dict(logs or {}))
            def on_epoch_end(self, e, logs=None): self._tick("on_epoch_end", e, dict(logs or {}))
            def on_train_batch_begin(self, b, logs=None): self._tick("on_train_batch_begin", b, dict(logs or {}))
            def on_train_batch_end(self, b, logs=None): self._tick("on_train_batch_end", b, dict(logs or {}))
            def on_test_begin(self, logs=None): self._tick("on_test_begin", dict(logs or {}))
            def on_test_end(self, logs=None): self._tick("on_test_end", dict(logs or {}))
            def on_test_batch_begin(self, b, logs=None): self._tick("on_test_batch_begin", b, dict(logs or {}))
            def on_test_batch_end(self, b, logs=None): self._tick("on_test_batch_end", b, dict(logs or {}))
            def on_predict_begin(self, logs=None): self._tick("on_predict_begin", {})
            def on_predict_end(self, logs=None): self._tick("on_predict_end", {})
            def on_predict_batch_end(self, b, logs=None): self._tick("on_predict_batch_end", b, {})

        self.events = []
        self.callback = Rec()


def _replay(events, clock, **params):
    """Feed recorded hook calls to a kshim CallbackList with a progbar."""
    cbs = CallbackList(None, add_history=True, add_progbar=params.pop("progbar", True), **params)
    for name, args in events:
        clock.t += 0.013
        getattr(cbs, name)(*args)
    return cbs


@pytest.mark.oracle
@pytest.mark.parametrize("verbose", [1, 2])
def test_fit_evaluate_predict_output_matches_keras(monkeypatch, capsys, verbose):
    """A real Keras fit/evaluate/predict with a deterministic clock, replayed through kshim's
    CallbackList + ProgbarLogger: the captured stdout must be identical. A second run with the
    real clock is compared with the timings masked."""
    keras = _keras()
    import numpy as np
    from keras.src.utils import progbar as keras_progbar

    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])

    for fake_clock in (True, False):
        kc, sc = Clock(), Clock()
        if fake_clock:
            monkeypatch.setattr(keras_progbar, "time", types.SimpleNamespace(time=kc.time))
            monkeypatch.setattr(kprogbar, "time", types.SimpleNamespace(time=sc.time))
        else:
            monkeypatch.undo()
        capsys.readouterr()
        fit_rec, eval_rec, pred_rec = (_Recorder(keras, kc) for _ in range(3))
        model.fit(x, y, epochs=2, batch_size=16, verbose=verbose, validation_split=0.25,
                  callbacks=[fit_rec.callback])
        model.evaluate(x, y, batch_size=32, verbose=verbose, callbacks=[eval_rec.callback])
        model.predict(x, batch_size=32, verbose=verbose, callbacks=[pred_rec.callback])
        keras_out = capsys.readouterr().out

        _replay(fit_rec.events, sc, verbose=verbose, epochs=2, steps=3)
        _replay(eval_rec.events, sc, verbose=verbose, epochs=1, steps=2)
        _replay(pred_rec.events, sc, verbose=verbose, epochs=1, steps=2)
        ours = capsys.readouterr().out
        assert "Epoch 1/2" in ours and "accuracy: " in ours
        if fake_clock:
            assert ours == keras_out
        else:
            # keep only each line's final state so throttled intermediate updates don't matter
            final = lambda s: [seg.split("\r")[-1] for seg in _mask(s).split("\n")]  # noqa: E731
            assert final(ours) == final(keras_out)
