"""The target of a run: the embedded reference server when none is given; the preflight; how a
crashed target is brought back.

When the suite starts the target itself (the embedded reference server), it can restart it
after a crash: the controller owns the server process and serves restart requests from any
process of the run (:class:`~conformance.plugin.watchdog.RestartService`). For a target the
suite did not start, ``--restart-command`` says how; without one the run stops at a crash.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .._container import ContainerServer
from .._server import Cluster, LocalServer
from ..errors import TargetUnavailable
from ..preflight import preflight
from ..probe import process_command
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
#: ... and this much memory for containers, so FN-INV-008 runs (a fn of 8192 MB cannot fit).
EMBEDDED_NODE_MEMORY = 4 * 1024**3
#: The embedded evictor nodes fit one probe container of the evictor area's fns, not two.
EVICTOR_NODE_MEMORY = 160 * 1024**2
#: Where a target image and its evictor nodes share their datastore's folder.
SHARED_DATA = "/fnc-shared"
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
    """Controller: start the target if the suite owns it (an image, or the embedded server),
    then check it (exit 3 if it is not there or not an Fn server)."""
    _fresh_folder(state)
    if state.cfg.target_image:
        _start_image(state)
    elif not state.cfg.api_url:
        _start_embedded(state)
    cfg = state.cfg
    probe = preflight(cfg.api_url, headers=cfg.all_headers, budget_s=5.0 * cfg.timeout_multiplier)
    if not probe.ok:
        pytest.exit(f"fn-conformance: {probe.problem}", 3)
    for mode, url in cfg.evictor_nodes.items():  # a node the user named, checked the same way
        node = preflight(url, headers=cfg.all_headers, budget_s=5.0 * cfg.timeout_multiplier)
        if not node.ok:
            pytest.exit(f"fn-conformance: evictor node {mode}={url}: {node.problem}", 3)
    state.target = TargetInfo(
        cfg.api_url,
        cfg.invoke_url or cfg.api_url,
        embedded=isinstance(state.server, LocalServer),
        version=probe.version,
        image=cfg.target_image,
    )
    state.watchdog.api_url = cfg.api_url
    state.watchdog.restarter = restarter_from(restart_spec(state))


def _start_image(state: RunState) -> None:
    """The target image in a container the suite owns: restarted after a crash, removed at
    the end of the run; with ``target_evictor_nodes``, two more containers of it on the same
    datastore (a SQLite file in a folder the three share, unless FN_DB_URL names one)."""
    cfg = state.cfg
    env = dict(cfg.target_env)
    share = ""
    if cfg.target_evictor_nodes and "FN_DB_URL" not in env:
        share, env["FN_DB_URL"] = SHARED_DATA, f"sqlite3://{SHARED_DATA}/fn.db"
    server = _container(cfg, env, share=share)
    try:
        server.start()
    except TargetUnavailable as exc:
        pytest.exit(f"fn-conformance: the target image did not start: {exc}", 3)
    state.server = server
    _serve_restarts(state, server.restart)
    state.cfg = dataclasses.replace(cfg, api_url=server.url)
    if not cfg.target_evictor_nodes:
        return
    nodes = {}
    mounts = {server.shared: SHARED_DATA} if server.shared else {}
    for mode, non_blocking in (("blocking", "false"), ("non-blocking", "true")):
        node_env = {
            **env, "FN_MAX_TOTAL_MEMORY_BYTES": str(EVICTOR_NODE_MEMORY),
            "FN_ENABLE_NB_RESOURCE_TRACKER": non_blocking,
        }  # fmt: skip
        node = _container(cfg, node_env, mounts=mounts)
        try:
            node.start()
        except TargetUnavailable as exc:
            pytest.exit(f"fn-conformance: the {mode} evictor node did not start: {exc}", 3)
        state.helpers.append(node)
        nodes[mode] = node.url
    state.cfg = dataclasses.replace(state.cfg, evictor_nodes=nodes, evictor_fn_memory=128)


def _container(cfg: Any, env: dict[str, str], **options: Any) -> ContainerServer:
    return ContainerServer(
        cfg.target_image, env=env, port=cfg.target_port, run_id=cfg.run_id,
        headers=cfg.all_headers, startup_timeout=60.0 * cfg.timeout_multiplier, **options,
    )  # fmt: skip


def _start_embedded(state: RunState) -> None:
    cfg = state.cfg
    server = LocalServer(env=_embedded_env(cfg, EMBEDDED_NODE_MEMORY))
    try:
        server.start()
        evictors = _start_evictor_nodes(state, server.db_url)
    except TargetUnavailable as exc:
        server.stop()
        pytest.exit(f"fn-conformance: the embedded reference server did not start: {exc}", 3)
    state.server = server
    state.cfg = cfg = dataclasses.replace(
        cfg,
        api_url=server.url,
        max_request_size=EMBEDDED_MAX_REQUEST_SIZE,
        node_memory=EMBEDDED_NODE_MEMORY,
        evictor_nodes=evictors,
        evictor_fn_memory=128,
    )
    actions: dict[str, Any] = {}
    if cfg.profile == "cluster" and not cfg.lb_url:
        cluster = _start_cluster(state, server.db_url)
        actions = cluster.actions()
        state.cfg = dataclasses.replace(
            cfg,
            lb_url=cluster.lb.url if cluster.lb else "",
            runners=cluster.addresses,
            runner_command=f"{shlex.quote(sys.executable)} -m conformance.plugin.control "
            f"{shlex.quote(str(state.folder))}",
        )
    _serve_restarts(state, server.restart, actions)


def _serve_restarts(
    state: RunState, restart: Callable[[], Any], actions: dict[str, Any] | None = None
) -> None:
    """Any process of the run may ask the controller to restart the target it owns."""
    service = RestartService(state.folder, restart, actions)
    threading.Thread(target=service.serve, name="fn-restart", daemon=True).start()
    state.restart_service = service


TARGET_LOG = "target.log"


def attach_log(state: RunState) -> str:
    """Write the log of the target the suite started into the run's folder; its file name
    ("" when the suite did not start the target)."""
    if state.server is None:
        return ""
    (state.folder / TARGET_LOG).write_text(state.server.log_text(), encoding="utf-8")
    return TARGET_LOG


def _embedded_env(cfg: Any, memory: int, **extra: str) -> dict[str, str]:
    """A full node with the process driver, which runs the probe image as the probe's source."""
    return {
        "FN_MAX_REQUEST_SIZE": str(EMBEDDED_MAX_REQUEST_SIZE),
        "FN_MAX_TOTAL_MEMORY_BYTES": str(memory),
        "FN_PROCESS_IMAGES": json.dumps({cfg.probe_image: process_command()}),
        **extra,
    }


def _start_evictor_nodes(state: RunState, db_url: str) -> dict[str, str]:
    """Two more full nodes on the same datastore, one per resource mode, each fitting one
    container of 128 MB; they are stopped with the run."""
    nodes = {}
    for mode, non_blocking in (("blocking", "false"), ("non-blocking", "true")):
        env = _embedded_env(
            state.cfg, EVICTOR_NODE_MEMORY, FN_DB_URL=db_url,
            FN_ENABLE_NB_RESOURCE_TRACKER=non_blocking,
        )  # fmt: skip
        node = LocalServer(env=env).start()
        state.helpers.append(node)
        nodes[mode] = node.url
    return nodes


def _start_cluster(state: RunState, db_url: str) -> Cluster:
    """The cluster profile's topology: an API node on the target's datastore, two pure
    runners (probe and status images) and an LB; stopped with the run."""
    cfg = state.cfg
    cluster = Cluster(
        db_url, probe_image=cfg.probe_image, status_image=cfg.status_image,
        env={"FN_MAX_REQUEST_SIZE": str(EMBEDDED_MAX_REQUEST_SIZE)},
    )  # fmt: skip
    try:
        cluster.start()
    except TargetUnavailable as exc:
        pytest.exit(f"fn-conformance: the embedded cluster did not start: {exc}", 3)
    state.helpers.append(cluster)
    return cluster


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
    while state.helpers:
        state.helpers.pop().stop()
    if state.server is not None:
        state.server.stop()
        state.server = None


__all__ = [
    "EMBEDDED_MAX_REQUEST_SIZE",
    "TARGET_LOG",
    "attach_log",
    "restart_spec",
    "restarter_from",
    "start",
    "stop",
]
