"""The contract suite as the installed command runs it (README "Use it in your repository").

Nothing here is a copy: packaging maps `gateway_contracts._suite.tests` to the repository's tests/ folder (its
contract and fuzz packages) and `_suite.contracts` to the reference contract and the OpenAPI documents, so an
installed run collects the very files `make gate` runs. `conftest.py` loads the plugin as the checkout's root
conftest does, and `pytest.toml` holds the checkout's [tool.pytest] settings for a run without pyproject.toml.
"""
