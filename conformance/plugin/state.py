"""What the plugin keeps for one run, per process (the controller, or one xdist worker)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..client import Budget
from ..config import ConformanceConfig
from ..recorder import Recorder
from ..requirements import Catalogue
from ..results import Collected, RunCollector, RunResult, TargetInfo
from .watchdog import DisruptionLock, Watchdog

if TYPE_CHECKING:
    from .._container import ContainerServer
    from .._server import Cluster, LocalServer
    from .finish import SigintShield
    from .watchdog import RestartService

STATE = pytest.StashKey["RunState"]()


@dataclass
class RunState:
    cfg: ConformanceConfig
    #: "" without xdist, else the worker id ("gw0", ...).
    worker: str
    #: reports/<run-id>/: reports, ledgers and the files the run's processes share.
    folder: Path
    catalogue: Catalogue
    baseline: dict[str, str]
    watchdog: Watchdog
    target: TargetInfo
    recorder: Recorder = field(default_factory=Recorder)
    budget: Budget | None = None
    #: Held by each test under xdist (exclusively by a disruptive one).
    lock: DisruptionLock | None = None
    #: The target, when the suite started it (the embedded server, or a target image).
    server: LocalServer | ContainerServer | None = None
    #: Further servers the embedded run started (the evictor nodes), stopped with it.
    helpers: list[LocalServer | Cluster | ContainerServer] = field(default_factory=list)
    restart_service: RestartService | None = None
    collector: RunCollector | None = None
    collected: list[Collected] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    interrupted: bool = False
    #: A Ctrl-C arrived (whether or not its KeyboardInterrupt got through).
    sigint: bool = False
    #: Tests left per catalogue area, for the progress lines (controller).
    pending_per_area: dict[str, set[str]] = field(default_factory=dict)
    pytest_config: Any = None
    result: RunResult | None = None
    shield: SigintShield | None = None
    report_paths: dict[str, str] = field(default_factory=dict)

    @property
    def is_controller(self) -> bool:
        return self.worker == ""

    @property
    def process_name(self) -> str:
        return self.worker or "main"

    def shared_budget(self) -> Budget:
        if self.budget is None:
            self.budget = Budget(self.cfg.request_budget or None)
        return self.budget


def get(config: pytest.Config) -> RunState | None:
    return config.stash.get(STATE, None)


__all__ = ["STATE", "RunState", "get"]
