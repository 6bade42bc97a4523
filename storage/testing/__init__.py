"""The dualstore pytest plugin: runs the same suites against every selected backend."""
