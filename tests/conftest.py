"""Shared pytest setup: the ``--backend`` option and the ``backend`` fixture.

``--backend numpy|jax|torch|all`` (default ``all``, or ``$KSHIM_TEST_BACKEND``) parametrizes every
test that takes the ``backend`` fixture; uninstalled backends are skipped. The fixture yields the
backend object and makes it active (``kshim.backend.use``) for the test. Downstream projects can
reuse it with ``pytest_plugins = ["kshim.testing.pytest_plugin"]``.
"""
pytest_plugins = ["kshim.testing.pytest_plugin"]
