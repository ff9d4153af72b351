"""Shared pytest setup: the ``--backend`` option and the ``backend`` fixture.

They come from kshim's pytest plugin (``kshim.testing.pytest_plugin``), which installing kshim
registers through its ``pytest11`` entry point: ``--backend numpy|jax|torch|all`` (default ``all``, or
``$KSHIM_TEST_BACKEND``) parametrizes every test that takes the ``backend`` fixture; uninstalled
backends are skipped. The line below registers it when the entry point did not (kshim not installed,
or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``); when it did, pytest sees the same name and skips it.
"""
pytest_plugins = ["kshim.testing.pytest_plugin"]
