"""``kshim.datasets``: the bundled 8×8 digits set (offline) and Keras' downloadable loaders.

Downloaded files are cached under ``$KSHIM_HOME/datasets`` (default ``~/.kshim/datasets``); an
already-cached file is used without network access.
"""
from . import boston_housing, cifar10, digits, fashion_mnist, mnist  # noqa: F401
