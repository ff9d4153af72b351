"""kshim's benchmark suite: ``python -m benchmarks`` (see ``benchmarks/README.md``).

Importing this package is cheap on purpose: every contender runs in its own subprocess
(``benchmarks.worker``) so that its imports, thread pools and JIT caches never meet another's.
"""
