"""``python -m kshim script.py [args]`` runs a Keras script on kshim (as ``kshim run``);
``python -m kshim info|matrix|compare|run ...`` is the ``kshim`` command."""

from __future__ import annotations

import sys

from .cli import SUBCOMMANDS, main


def _argv(argv: list[str]) -> list[str]:
    if argv and argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        return ["run", *argv]
    return argv


if __name__ == "__main__":
    sys.exit(main(_argv(sys.argv[1:])))
