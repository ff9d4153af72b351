"""``python -m benchmarks [--quick] [--workloads mlp,cnn] [--contenders ...] [--out PATH]``."""
import sys

from .runner import main

sys.exit(main())
