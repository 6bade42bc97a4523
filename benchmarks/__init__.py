"""Benchmarks of this repository (`nox -s bench`): the storage operations and the test
isolation, measured side by side on each backend."""
