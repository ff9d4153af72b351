"""Export's one-line messages, printed as Keras' ``io_utils.print_msg`` prints them."""

from __future__ import annotations

import logging
import sys

from .._config import is_interactive_logging_enabled


def print_msg(message: str) -> None:
    """Write ``message`` and a newline to stdout (to the ``kshim`` logger when interactive logging is off)."""
    if is_interactive_logging_enabled():
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
    else:
        logging.getLogger("kshim").info(message)
