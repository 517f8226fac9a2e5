# The suite's options, fixtures and hooks live in one plugin module; this file only loads it.
pytest_plugins = ["gateway_contracts.plugin", "gateway_contracts.dialect_select"]
