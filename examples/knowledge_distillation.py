"""Knowledge distillation (keras.io): a Distiller with a custom compile() and compute_loss(),
a trained teacher and a smaller student."""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(42)


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature ** 2)
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


teacher = keras.Sequential(
    [keras.Input(shape=(64,)), layers.Dense(128, activation="relu"), layers.Dense(10)], name="teacher")
student = keras.Sequential(
    [keras.Input(shape=(64,)), layers.Dense(24, activation="relu"), layers.Dense(10)], name="student")
student_scratch = keras.models.clone_model(student)

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
# a subset in whole batches keeps the example fast
x_train, y_train = x_train[:1280].reshape(-1, 64).astype("float32") / 16.0, y_train[:1280]
x_test, y_test = x_test[:320].reshape(-1, 64).astype("float32") / 16.0, y_test[:320]

teacher.compile(optimizer=keras.optimizers.Adam(1e-2),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[keras.metrics.SparseCategoricalAccuracy()])
teacher.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
teacher_acc = teacher.evaluate(x_test, y_test, verbose=0)[1]

teacher.trainable = False                     # distillation only moves the student
teacher_weights = [w.copy() for w in teacher.get_weights()]
distiller = Distiller(student=student, teacher=teacher)
distiller.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
    student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    distillation_loss_fn=keras.losses.KLDivergence(),
    alpha=0.1,
    temperature=10,
)
history = distiller.fit(x_train, y_train, epochs=6, batch_size=128, verbose=0)
distilled_acc = distiller.evaluate(x_test, y_test, verbose=0, return_dict=True)["sparse_categorical_accuracy"]
print("teacher", teacher_acc, "distilled student", distilled_acc)
assert history.history["loss"][-1] < history.history["loss"][0]
assert teacher_acc > 0.9 and distilled_acc > 0.85, (teacher_acc, distilled_acc)
for before, after in zip(teacher_weights, teacher.get_weights()):
    np.testing.assert_array_equal(before, after)
# the student is an ordinary model afterwards
assert np.mean(np.argmax(student.predict(x_test, verbose=0), -1) == y_test) > 0.85
