"""Running invocations: the agent of a full node or pure runner (hot containers, agent.py),
and the LB's placer that runs them on pure runners instead (lb.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .agent import Agent, AgentEvents
from .call import Call
from .lookups import DatastoreLookups, Lookups
from .uds import Answer


class Invoker(Protocol):
    """What the invoke endpoints need: run a call, and stop at shutdown."""

    async def submit(self, call: Call, disconnected: Callable[[], Awaitable[bool]]) -> Answer: ...
    async def close(self) -> None: ...


__all__ = ["Agent", "AgentEvents", "Answer", "Call", "DatastoreLookups", "Invoker", "Lookups"]
