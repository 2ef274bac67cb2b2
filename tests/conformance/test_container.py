"""The container target's restart, without an engine: a container that stopped on its own
between the look and the kill (the crash the watchdog is restarting it for) is started again;
a kill the engine refuses for any other reason is not hidden."""

from __future__ import annotations

from typing import Any

import pytest

docker = pytest.importorskip("docker", reason="needs the docker extra")

from conformance._container import ContainerServer  # noqa: E402


class FakeContainer:
    """What ContainerServer uses of a docker SDK container."""

    def __init__(self, *, dies_before_kill: bool, kill_refused: bool = False) -> None:
        self.status = "running"
        self.calls: list[str] = []
        self._dies = dies_before_kill
        self._refused = kill_refused

    def kill(self) -> None:
        self.calls.append("kill")
        if self._dies:  # it exited by itself just now: the engine refuses the kill
            self.status = "exited"
            raise docker.errors.APIError("container state improper: stopped")
        if self._refused:
            raise docker.errors.APIError("permission denied")
        self.status = "exited"

    def reload(self) -> None:
        self.calls.append("reload")

    def wait(self, timeout: float) -> dict[str, Any]:
        self.calls.append("wait")
        return {"StatusCode": 137}

    def start(self) -> None:
        self.calls.append("start")
        self.status = "running"


class Wrapper:
    def __init__(self, container: FakeContainer) -> None:
        self.container = container

    def get_wrapped_container(self) -> FakeContainer:
        return self.container


def _server(container: FakeContainer, monkeypatch: pytest.MonkeyPatch) -> ContainerServer:
    server = ContainerServer("localhost/x:1")
    server._container = Wrapper(container)
    monkeypatch.setattr(server, "_wait_ready", lambda: container.calls.append("ready"))
    return server


@pytest.mark.parametrize("dies_before_kill", [False, True], ids=["running", "just-died"])
def test_restart_kills_if_needed_and_starts_the_same_container_again(
    dies_before_kill: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = FakeContainer(dies_before_kill=dies_before_kill)
    _server(container, monkeypatch).restart()
    assert container.calls[0] == "kill" and container.calls[-3:] == ["wait", "start", "ready"]
    assert container.status == "running"


def test_a_kill_refused_while_it_still_runs_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    container = FakeContainer(dies_before_kill=False, kill_refused=True)
    with pytest.raises(docker.errors.APIError, match="permission denied"):
        _server(container, monkeypatch).restart()
    assert "start" not in container.calls
