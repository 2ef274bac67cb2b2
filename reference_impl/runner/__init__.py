"""The pure runner's side of the runner protocol: a gRPC service over the agent."""

from __future__ import annotations

from .server import RunnerServer
from .status import StatusTracker

__all__ = ["RunnerServer", "StatusTracker"]
