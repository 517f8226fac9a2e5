# The installed suite's root conftest (the checkout's conftest.py): it only loads the plugin.
pytest_plugins = ["gateway_contracts.plugin"]
