"""The shipped conformance tests: ``pytest --pyargs conformance.suite`` or ``fn-conformance run``."""
