"""Maps the top-level ``backends/`` and ``compat/`` folders into the ``kshim`` namespace."""
import os

from setuptools import setup

ROOTS = {"kshim": "kshim", "kshim.backends": "backends", "kshim.compat": "compat"}


def _packages():
    found = []
    for pkg, root in ROOTS.items():
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "__"))]
            if "__init__.py" in filenames:
                rel = os.path.relpath(dirpath, root)
                found.append(pkg if rel == "." else pkg + "." + rel.replace(os.sep, "."))
    return found


setup(packages=_packages(), package_dir=ROOTS)
