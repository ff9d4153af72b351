"""``kshim.datasets``: the bundled 8×8 digits set (offline) and Keras' downloadable loaders
(``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``, ``boston_housing``,
``california_housing``).

Downloaded files are cached as Keras caches them, under ``<home>/datasets`` where ``<home>`` is
``$KSHIM_HOME``, else ``$KERAS_HOME``, else ``~/.kshim``; an already-cached file is used without
network access.
"""

from . import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,  # noqa: F401
    reuters,
)
