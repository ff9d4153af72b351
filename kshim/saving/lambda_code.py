"""Saving a Lambda's function: the implementation is :mod:`kshim._lambda_code`; this name is the same module."""

import sys

from .. import _lambda_code

sys.modules[__name__] = _lambda_code
