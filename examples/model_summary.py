"""model.summary() and its options: print_fn, line_length, positions, show_trainable,
expand_nested, layer_range; an unbuilt model prints like Keras."""
import keras
from keras import layers


def summary_text(model, **kwargs):
    lines = []
    model.summary(print_fn=lambda line, **kw: lines.append(line), **kwargs)
    return "\n".join(lines)


# An unbuilt Sequential: shapes unknown, no parameters yet
unbuilt = keras.Sequential([layers.Dense(8), layers.Dense(2)], name="unbuilt")
text = summary_text(unbuilt)
print(text)
assert "?" in text and "0 (unbuilt)" in text, text

block = keras.Sequential([keras.Input((16,)), layers.Dense(16, activation="relu"), layers.Dense(16)], name="block")
inputs = keras.Input((8,), name="inputs")
h = layers.Dense(16, name="stem")(inputs)
h = block(h)
frozen = layers.Dense(4, name="frozen_head")
frozen.trainable = False
outputs = frozen(h)
model = keras.Model(inputs, outputs, name="nested")
model.summary()

text = summary_text(model)
assert "nested" in text and "block (Sequential)" in text
assert "Total params: 756" in text and "Non-trainable params: 68" in text, text

expanded = summary_text(model, expand_nested=True)
assert "dense" in expanded and expanded.count("\n") > text.count("\n")   # the block's inner layers

trainable = summary_text(model, show_trainable=True)
assert "Trainable" in trainable.splitlines()[2] or "Trainable" in trainable, trainable

narrow = summary_text(model, line_length=60)
assert max(len(line) for line in narrow.splitlines()) <= 60
moved = summary_text(model, positions=[0.5, 0.7, 0.85, 1.0])       # column boundaries as fractions
assert moved.splitlines()[2].index("Output") > text.splitlines()[2].index("Output")

ranged = summary_text(model, layer_range=["stem", "block"])
assert "stem" in ranged and "block" in ranged and "frozen_head" not in ranged.split("Total params")[0]
