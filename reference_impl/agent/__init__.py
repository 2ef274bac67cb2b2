"""The agent of a full node: runs invocations in hot containers (see agent.py)."""

from __future__ import annotations

from .agent import Agent, AgentEvents
from .call import Call
from .lookups import DatastoreLookups, Lookups

__all__ = ["Agent", "AgentEvents", "Call", "DatastoreLookups", "Lookups"]
