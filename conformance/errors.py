"""The suite's exceptions, under one root.

Two families hang from :class:`ConformanceException`, and the plugin keeps them apart:

* :class:`ConformanceError`: the suite or its environment broke (outcome *error*), never a
  finding about the target;
* :class:`~conformance.failures.ConformanceFailure`: the target broke a requirement (outcome
  *failed*); it is also an ``AssertionError``.

Any other exception raised by a test, a plain ``assert`` in the suite included, is an error of
the suite.
"""

from __future__ import annotations


class ConformanceException(Exception):
    """Root of every exception the suite raises on purpose."""


class ConformanceError(ConformanceException):
    """Root of every problem in the suite or its environment."""


class InvalidConfig(ConformanceError, ValueError):
    """The suite's configuration is wrong (unknown key, bad value, unknown requirement)."""


class TargetUnavailable(ConformanceError):
    """The target cannot be reached or did not start."""


class TargetDown(ConformanceError):
    """The target stopped answering during the run; later tests are not run against it."""


class CatalogueError(ConformanceError):
    """The requirement catalogue is malformed or a test names an unknown requirement."""


class BudgetExhausted(ConformanceError):
    """The run sent as many requests as its budget allows."""


class ContractMissing(ConformanceError, FileNotFoundError):
    """Neither the source checkout nor the installed package holds the contract file."""


__all__ = [
    "BudgetExhausted",
    "CatalogueError",
    "ConformanceError",
    "ConformanceException",
    "ContractMissing",
    "InvalidConfig",
    "TargetDown",
    "TargetUnavailable",
]
