"""The distributed roles of the reference server, for real: node types, the runner protocol,
Status, FN_DOCKER_LOAD_FILE, and two API nodes over one PostgreSQL behind one LB.

The suite's cluster areas judge the LB and the runners from outside (tests/conformance and the
power test); these tests cover what the suite cannot see: start-up errors, the docker load
file, stateless API nodes sharing a database, and our LB driving a runner over the wire.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from conformance._server import Cluster, LocalServer, free_port
from conformance.cluster import Runner
from conformance.probe import PROBE_IMAGE, STATUS_IMAGE

from .conftest import Backend

ROOT = Path(__file__).resolve().parents[2]


def _start_error(env: dict[str, str]) -> str:
    """What ``fn-reference`` says when it refuses to start with ``env`` (it must exit 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "reference_impl"], env={**os.environ, **env, "FN_PORT": "0"},
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"FN_NODE_TYPE": "lb"}, "FN_RUNNER_API_URL"),
        ({"FN_NODE_TYPE": "lb", "FN_RUNNER_API_URL": "http://127.0.0.1:1"}, "FN_RUNNER_ADDRESSES"),
        ({"FN_NODE_TYPE": "lb", "FN_RUNNER_API_URL": "http://127.0.0.1:1",
          "FN_RUNNER_ADDRESSES": "nohostport"}, "host:port"),
        ({"FN_NODE_TYPE": "runner"}, "FN_NODE_TYPE"),
        ({"FN_DOCKER_LOAD_FILE": "/nowhere.tar"}, "FN_AGENT_DRIVER=docker"),
    ],
    ids=["lb-without-api", "lb-without-runners", "lb-bad-address", "unknown-type", "load-process"],
)  # fmt: skip
def test_roles_refuse_to_start_without_what_they_need(env: dict[str, str], says: str) -> None:
    assert says in _start_error(env)


def test_lb_and_runner_open_no_datastore(tmp_path: Path) -> None:
    """An LB and a pure runner never touch FN_DB_URL (a path they could not create)."""
    bad_db = "sqlite3:///proc/no-such-dir/fn.db"
    grpc_port = free_port()
    with LocalServer({"FN_NODE_TYPE": "pure-runner", "FN_GRPC_PORT": str(grpc_port),
                      "FN_DB_URL": bad_db}) as runner:  # fmt: skip
        assert requests.get(runner.url + "/version", timeout=5).status_code == 200
        assert requests.get(runner.url + "/v2/apps", timeout=5).status_code == 404
        env = {"FN_NODE_TYPE": "lb", "FN_RUNNER_API_URL": "http://127.0.0.1:1",
               "FN_RUNNER_ADDRESSES": f"127.0.0.1:{grpc_port}", "FN_DB_URL": bad_db}  # fmt: skip
        with LocalServer(env) as lb:
            assert requests.get(lb.url + "/v2/apps", timeout=5).status_code == 404
            # the API node is unreachable: a lookup fails after its retries, never a 500
            answer = requests.post(lb.url + "/invoke/01ABCDEFGHJKMNPQRSTVWXYZ00", timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.headers.get("Retry-After")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_api_nodes_over_postgres_behind_one_lb(backend: Backend) -> None:
    """Writes through either API node are seen by the other and by the LB (which reads
    through the second), calls run on the pure runners, and a name race between the two
    nodes has one winner."""
    cluster = Cluster(backend.url, probe_image=PROBE_IMAGE, status_image=STATUS_IMAGE)
    with cluster, LocalServer({"FN_NODE_TYPE": "api", "FN_DB_URL": backend.url}) as other:
        assert cluster.api is not None and cluster.lb is not None
        nodes = [other.url, cluster.api.url]
        fns = []
        for index in range(6):
            node = nodes[index % 2]
            app = requests.post(f"{node}/v2/apps", json={"name": f"scale{index}"}, timeout=10)
            assert app.status_code == 200, app.text
            fn = requests.post(f"{nodes[(index + 1) % 2]}/v2/fns", timeout=10, json={
                "app_id": app.json()["id"], "name": "f", "image": PROBE_IMAGE})  # fmt: skip
            assert fn.status_code == 200, fn.text
            trigger = requests.post(f"{node}/v2/triggers", timeout=10, json={
                "app_id": app.json()["id"], "fn_id": fn.json()["id"], "name": "t",
                "type": "http", "source": "/go"})  # fmt: skip
            assert trigger.status_code == 200, trigger.text
            fns.append((f"scale{index}", fn.json()["id"]))
        for name, fn_id in fns:
            called = requests.post(f"{cluster.lb.url}/invoke/{fn_id}", data=b"hi", timeout=30)
            assert (called.status_code, called.content) == (200, b"hi"), called.text
            triggered = requests.post(f"{cluster.lb.url}/t/{name}/go", data=b"t", timeout=30)
            assert (triggered.status_code, triggered.content) == (200, b"t"), triggered.text
        listed = requests.get(f"{nodes[0]}/v2/apps", params={"per_page": 100}, timeout=10)
        assert {a["name"] for a in listed.json()["items"]} >= {n for n, _ in fns}

        def create(node: str) -> int:
            made = requests.post(f"{node}/v2/apps", json={"name": "contended"}, timeout=10)
            return made.status_code

        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(create, nodes))
        assert statuses == [200, 409]
        # Both runners took calls (round-robin), as their Status counters say.
        received = []
        for address in cluster.addresses:
            runner = Runner(address)
            received.append(runner.status(timeout=10).requestsReceived)
            runner.close()
        assert all(count > 0 for count in received), received


@pytest.fixture(scope="module")
def engine_client():  # type: ignore[no-untyped-def]
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker-compatible engine at DOCKER_HOST ({exc}); start one, e.g. "
                    'eval "$(../shared/engine/podman-engine.sh up)"')  # fmt: skip
    return client


@pytest.mark.slow
def test_docker_load_file_and_status_image(engine_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A pure runner with the docker driver loads the status image from a `docker save`
    tarball at start (no registry) and answers Status by running it; a broken tarball stops
    the node with a clear message."""
    from conformance.probe.build import build_status, save_image

    tag = "localhost/fn-status-load-test:1"
    build_status(tag, client=engine_client)
    tarball = tmp_path / "status.tar"
    save_image(engine_client, tag, tarball)
    engine_client.images.remove(tag, force=True)
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"not a tarball")
    env = {"FN_NODE_TYPE": "pure-runner", "FN_AGENT_DRIVER": "docker"}
    says = _start_error({**env, "FN_DOCKER_LOAD_FILE": str(broken)})
    assert "FN_DOCKER_LOAD_FILE" in says and "broken.tar" in says
    says = _start_error({**env, "FN_DOCKER_LOAD_FILE": str(tmp_path / "missing.tar")})
    assert "FN_DOCKER_LOAD_FILE: cannot read" in says and "missing.tar" in says
    port = free_port()
    with LocalServer({**env, "FN_GRPC_PORT": str(port), "FN_DOCKER_LOAD_FILE": str(tarball),
                      "FN_STATUS_IMAGE": tag, "FN_CONTAINER_LABEL": f"loadtest{port}"},
                     startup_timeout=120) as server:  # fmt: skip
        assert engine_client.images.get(tag)  # loaded at start
        runner = Runner(f"127.0.0.1:{port}")
        try:
            status = runner.status(timeout=60)
        finally:
            runner.close()
        assert not status.failed, (status, server.log_text()[-2000:])
        assert '"status": "ok"' in status.details
        assert status.id and status.executionDuration > 0
    # Stopping the runner removed its containers (the status container among them).
    left = engine_client.containers.list(
        all=True, filters={"label": f"fn-reference.node=loadtest{port}"}
    )
    assert left == []
    engine_client.images.remove(tag, force=True)


def test_lb_retries_busy_runners_then_answers_503(tmp_path: Path) -> None:
    """Runners with room for one container each, both busy: a third call is refused by both
    (NACKs), retried until the placer timeout (1 s), then answered 503 with Retry-After."""
    from prometheus_client.parser import text_string_to_metric_families

    memory = {"FN_MAX_TOTAL_MEMORY_BYTES": str(160 * 1024 * 1024)}
    cluster = Cluster(
        f"sqlite3://{tmp_path}/fn.db", probe_image=PROBE_IMAGE, status_image=STATUS_IMAGE,
        env=memory, placer_timeout_ms=1000,
    )  # fmt: skip
    with cluster:
        assert cluster.api is not None and cluster.lb is not None
        lb = cluster.lb.url
        app = requests.post(f"{cluster.api.url}/v2/apps", json={"name": "busy"}, timeout=10)
        body = {"app_id": app.json()["id"], "name": "f", "image": PROBE_IMAGE, "memory": 128}
        fn = requests.post(f"{cluster.api.url}/v2/fns", json=body, timeout=10)
        fn_id = fn.json()["id"]

        def slow(_: int) -> int:
            answer = requests.post(f"{lb}/invoke/{fn_id}", headers={"X-Probe": "sleep_ms=4000"},
                                   timeout=30)  # fmt: skip
            return answer.status_code

        with ThreadPoolExecutor(2) as pool:
            busy = [pool.submit(slow, i) for i in range(2)]
            time.sleep(1.5)  # both runners now run one call each
            began = time.monotonic()
            refused = requests.post(f"{lb}/invoke/{fn_id}", timeout=30)
            took = time.monotonic() - began
            assert [f.result() for f in busy] == [200, 200]
        assert refused.status_code == 503, refused.text
        assert refused.headers.get("Retry-After") and refused.headers.get("Fn-Call-Id")
        assert 0.9 <= took < 5, took
        text = requests.get(f"{lb}/metrics", timeout=10).text
        counts = {
            f.name: sum(s.value for s in f.samples if s.name.endswith("_total"))
            for f in text_string_to_metric_families(text)
        }
        assert counts["fn_lb_placer_retry_busy_count"] >= 2
        assert counts["fn_lb_placer_timeout_count"] == 1
