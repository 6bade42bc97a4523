"""The root conftest: this repository adopts the dualstore harness (through its adapter,
suites/plugin.py) and uses pytester for the harness's own tests."""

pytest_plugins = ["suites.plugin", "pytester"]
