"""Errors of the suite itself (outcome *error*), never findings about a target."""

from __future__ import annotations


class ConformanceError(Exception):
    """Root of every problem in the suite or its environment."""


class InvalidConfig(ConformanceError, ValueError):
    """The suite's configuration is wrong (unknown key, bad value, unknown requirement)."""


class TargetUnavailable(ConformanceError):
    """The target cannot be reached or did not start."""


class CatalogueError(ConformanceError):
    """The requirement catalogue is malformed or a test names an unknown requirement."""


__all__ = ["CatalogueError", "ConformanceError", "InvalidConfig", "TargetUnavailable"]
