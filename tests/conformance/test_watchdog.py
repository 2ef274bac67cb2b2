"""The watchdog's parts against a real server: liveness needs a real read, and a server the
suite owns is restarted on request from any process, keeping its data."""

from __future__ import annotations

import threading
from pathlib import Path

import requests

from conformance._server import LocalServer
from conformance.plugin.watchdog import RestartService, command_restarter, request_restarter
from conformance.preflight import alive, preflight


def test_a_killed_embedded_server_is_restarted_on_request_with_its_data(tmp_path: Path) -> None:
    with LocalServer() as server:
        app = requests.post(f"{server.url}/v2/apps", json={"name": "kept"}, timeout=10).json()
        service = RestartService(tmp_path, server.restart)
        threading.Thread(target=service.serve, daemon=True).start()
        try:
            assert server._proc is not None
            server._proc.kill()
            server._proc.wait(timeout=10)
            assert not alive(server.url, timeout=1).ok
            assert request_restarter(tmp_path, timeout=60)() == ""
            assert alive(server.url).ok
            again = requests.get(f"{server.url}/v2/apps/{app['id']}", timeout=10)
            assert again.json()["name"] == "kept"
        finally:
            service.stop()


def test_preflight_reads_the_version_of_an_fn_server() -> None:
    with LocalServer() as server:
        probe = preflight(server.url)
    assert probe.ok and probe.version


def test_a_failing_restart_command_says_why() -> None:
    assert command_restarter("exit 3")() == "the restart command exited 3: "
    assert "exited 1: nope" in command_restarter("echo nope >&2; exit 1")()
    assert command_restarter("true")() == ""
