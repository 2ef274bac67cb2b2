"""Optional capabilities of a target: the one registry of them.

A requirement that only applies to targets with a capability names it in the catalogue
(``capability:``); its tests are *disabled* when the capability is off. A capability is off
only when the user says so (``--capability NAME=off``) or when the configuration the user gave
implies it (no known request size limit means ``request_size_limit`` is off). The suite never
infers a missing capability from how a target answers: a MUST is never "unsupported" by guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Capability:
    name: str
    meaning: str
    #: Whether it is on when the user does not say: a function of the suite's configuration.
    default: Callable[[Any], bool]


def _always(_: Any) -> bool:
    return True


REGISTRY: Mapping[str, Capability] = {
    c.name: c
    for c in (
        Capability(
            "request_size_limit",
            "the target refuses request bodies over a limit the suite is told "
            "(--max-request-size); on when that limit is given",
            lambda cfg: cfg.max_request_size > 0,
        ),
        Capability(
            "hybrid_api",
            "the target serves the runner-facing read API (/v2/runner/...) that LB and runner "
            "nodes resolve triggers through; on unless declared off",
            _always,
        ),
        Capability(
            "memory_limit",
            "the suite knows how much memory the target's node gives containers "
            "(--node-memory); on when that is given",
            lambda cfg: cfg.node_memory > 0,
        ),
        Capability(
            "evictor",
            "the suite has full nodes whose memory fits one probe container (--evictor-node); "
            "on when one is given (the embedded run starts them)",
            lambda cfg: bool(cfg.evictor_nodes),
        ),
        Capability(
            "lb",
            "the suite has an LB node in front of pure runners (--lb-url); on when one is "
            "given (the embedded cluster run starts one)",
            lambda cfg: bool(cfg.lb_url),
        ),
        Capability(
            "lb_metrics",
            "the LB exports the placer and runner latency metrics (the seed's LB views; the "
            "stock upstream binary at HEAD does not register them); on unless declared off",
            _always,
        ),
        Capability(
            "runner_status",
            "the suite can ask pure runners for their Status over gRPC (--runner); on when "
            "runners are given",
            lambda cfg: bool(cfg.runners),
        ),
        Capability(
            "status_image",
            "the runners run a status image for Status (FN_STATUS_IMAGE, --status-image); on "
            "when runners are given, unless declared off",
            lambda cfg: bool(cfg.runners),
        ),
        Capability(
            "runner_control",
            "the suite may stop and start pure runners (--runner-command; the embedded "
            "cluster run can)",
            lambda cfg: bool(cfg.runner_command and cfg.runners),
        ),
        Capability(
            "evict_idle_threshold",
            "a container becomes evictable only after FN_EJECT_IDLE_MSECS idle (the seed; "
            "later upstream versions evict at once); on unless declared off",
            _always,
        ),
    )
}
NAMES = tuple(REGISTRY)


def enabled(name: str, cfg: Any, overrides: Mapping[str, bool]) -> bool:
    """Is capability ``name`` on for a run with configuration ``cfg``?"""
    if name in overrides:
        return overrides[name]
    return REGISTRY[name].default(cfg)


__all__ = ["NAMES", "REGISTRY", "Capability", "enabled"]
