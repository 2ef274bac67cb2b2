"""The target of a run: the embedded reference server when none is given; the preflight; how a
crashed target is brought back.

When the suite starts the target itself (the embedded reference server), it can restart it
after a crash: the controller owns the server process and serves restart requests from any
process of the run (:class:`~conformance.plugin.watchdog.RestartService`). For a target the
suite did not start, ``--restart-command`` says how; without one the run stops at a crash.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from .._server import LocalServer
from ..errors import TargetUnavailable
from ..preflight import preflight
from ..results import TargetInfo
from .state import RunState
from .watchdog import (
    DOWN_FILE,
    RESTART_REQUESTS,
    Restarter,
    RestartService,
    command_restarter,
    request_restarter,
)

#: The embedded reference server is started with this request size limit, so FN-SEC-001 runs.
EMBEDDED_MAX_REQUEST_SIZE = 1024 * 1024
#: Files of an earlier run with the same id that would mislead this one (ledgers are kept:
#: what that run left is cleaned up with this run's).
_STALE = (DOWN_FILE, "crashes.jsonl", "collected.json", "tests.lock")


def _fresh_folder(state: RunState) -> None:
    state.folder.mkdir(parents=True, exist_ok=True)
    for name in _STALE:
        (state.folder / name).unlink(missing_ok=True)
    for path in state.folder.glob("requests-*.txt"):
        path.unlink()
    for path in (state.folder / RESTART_REQUESTS).glob("*"):
        path.unlink()


def start(state: RunState) -> None:
    """Controller: start the embedded server if needed, then check the target (exit 3 if bad)."""
    _fresh_folder(state)
    cfg = state.cfg
    if not cfg.api_url:
        server = LocalServer(env={"FN_MAX_REQUEST_SIZE": str(EMBEDDED_MAX_REQUEST_SIZE)})
        try:
            server.start()
        except TargetUnavailable as exc:
            pytest.exit(f"fn-conformance: the embedded reference server did not start: {exc}", 3)
        state.server = server
        state.cfg = cfg = dataclasses.replace(
            cfg, api_url=server.url, max_request_size=EMBEDDED_MAX_REQUEST_SIZE
        )
        service = RestartService(state.folder, server.restart)
        threading.Thread(target=service.serve, name="fn-restart", daemon=True).start()
        state.restart_service = service
    probe = preflight(cfg.api_url, headers=cfg.all_headers, budget_s=5.0 * cfg.timeout_multiplier)
    if not probe.ok:
        pytest.exit(f"fn-conformance: {probe.problem}", 3)
    state.target = TargetInfo(
        cfg.api_url,
        cfg.invoke_url or cfg.api_url,
        embedded=state.server is not None,
        version=probe.version,
    )
    state.watchdog.api_url = cfg.api_url
    state.watchdog.restarter = restarter_from(restart_spec(state))


def restart_spec(state: RunState) -> dict[str, Any] | None:
    """How any process of the run restarts the target (None: it cannot)."""
    if state.server is not None:
        return {"request": str(state.folder)}
    if state.cfg.restart_command:
        return {"command": state.cfg.restart_command}
    return None


def restarter_from(spec: dict[str, Any] | None) -> Restarter | None:
    if spec is None:
        return None
    if "request" in spec:
        return request_restarter(Path(spec["request"]))
    return command_restarter(spec["command"])


def stop(state: RunState) -> None:
    if state.restart_service is not None:
        state.restart_service.stop()
    if state.server is not None:
        state.server.stop()
        state.server = None


__all__ = ["EMBEDDED_MAX_REQUEST_SIZE", "restart_spec", "restarter_from", "start", "stop"]
