"""The shipped conformance tests (``pytest --pyargs conformance.suite``, ``fn-conformance run``)."""
