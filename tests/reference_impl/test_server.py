"""The reference server's HTTP behaviour that the suite does not reach through a remote target:
node types, the request size limit, routing details, restarts, and the annotation hook."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conformance._server import free_port
from reference_impl import Settings, create_app


def client_for(tmp_path: Path, **env: str) -> TestClient:
    settings = Settings.from_env({"FN_DB_URL": f"sqlite3://{tmp_path}/nested/dir/fn.db", **env})
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(tmp_path, FN_MAX_REQUEST_SIZE="1000") as c:
        yield c


def test_sqlite_url_creates_directories_and_data_survives_a_restart(tmp_path: Path) -> None:
    with client_for(tmp_path) as first:
        app_id = first.post("/v2/apps", json={"name": "kept"}).json()["id"]
    assert (tmp_path / "nested" / "dir" / "fn.db").exists()
    with client_for(tmp_path) as second:
        assert second.get(f"/v2/apps/{app_id}").json()["name"] == "kept"


def test_api_node_serves_no_invoke_routes(tmp_path: Path) -> None:
    with client_for(tmp_path, FN_NODE_TYPE="api") as api:
        assert api.post("/invoke/x").status_code == 404
        assert api.get("/t/app/x").status_code == 404
        assert api.get("/v2/apps").status_code == 200


def test_full_node_resolves_invoke_targets_before_answering(client: TestClient) -> None:
    assert client.post("/invoke/01AAAAAAAAAAAAAAAAAAAAAAAA").json()["message"] == "Fn not found"
    assert client.get("/t/nosuchapp/x").json()["message"] == "App not found"


def test_body_over_the_limit_is_413_with_or_without_content_length(client: TestClient) -> None:
    big = b'{"name": "' + b"a" * 2000 + b'"}'
    declared = client.post("/v2/apps", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    streamed = client.post("/v2/apps", content=iter([big[:600], big[600:]]))
    assert streamed.status_code == 413
    assert client.get("/v2/apps").json()["items"] == []


def test_405_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.request("PATCH", "/v2/apps/some-id")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PUT", "DELETE"}
    assert response.json() == {"message": "Method not allowed: PATCH /v2/apps/some-id"}


BAD_BODIES = {
    "empty": b"",
    "truncated": b"{",
    "array": b"[]",
    "string": b'"x"',
    "null": b"null",
    "nul-char": b'{"name": "a\\u0000b"}',
    "lone-surrogate": b'{"name": "\\ud800"}',
    "deep-nesting": b"[" * 5000 + b"]" * 5000,
    "huge-number": b'{"name": "ok", "memory": 1e400}',
    "infinite-annotation": b'{"name": "ok", "annotations": {"a": 1e999}}',
    "nan-literal": b'{"name": "ok", "annotations": {"a": NaN}}',
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_400_with_one_json_error(tmp_path: Path, body: bytes) -> None:
    with client_for(tmp_path) as unlimited:
        response = unlimited.post("/v2/apps", content=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["message"], str)


def test_datastore_injected_annotations_show_on_reads_and_are_never_stored(tmp_path: Path) -> None:
    with client_for(tmp_path, FN_DS_EXTRA_ANNOTATIONS='{"ds.example/zone": "z1"}') as c:
        app = c.post("/v2/apps", json={"name": "a", "annotations": {"mine": 1}}).json()
        assert app["annotations"] == {"ds.example/zone": "z1", "mine": 1}
        updated = c.put(f"/v2/apps/{app['id']}", json=app).json()
        assert updated["annotations"] == {"ds.example/zone": "z1", "mine": 1}
    with client_for(tmp_path) as plain:
        assert plain.get(f"/v2/apps/{app['id']}").json()["annotations"] == {"mine": 1}


def test_endpoint_annotations_use_public_lb_url(tmp_path: Path) -> None:
    with client_for(tmp_path, FN_PUBLIC_LB_URL="https://fn.example/") as c:
        app = c.post("/v2/apps", json={"name": "a"}).json()
        fn = c.post("/v2/fns", json={"app_id": app["id"], "name": "f", "image": "i"}).json()
        trigger = c.post(
            "/v2/triggers",
            json={
                "app_id": app["id"],
                "fn_id": fn["id"],
                "name": "t",
                "type": "http",
                "source": "/x/y",
            },
        ).json()
    assert (
        fn["annotations"]["fnproject.io/fn/invokeEndpoint"]
        == f"https://fn.example/invoke/{fn['id']}"
    )
    assert (
        trigger["annotations"]["fnproject.io/trigger/httpEndpoint"] == "https://fn.example/t/a/x/y"
    )


def test_json_nested_thousands_deep_is_400(tmp_path: Path) -> None:
    with client_for(tmp_path) as unlimited:
        deep = b"[" * 5000 + b"]" * 5000
        response = unlimited.post("/v2/apps", content=deep)
    assert (response.status_code, response.json()) == (
        400, {"message": "Invalid JSON: nested too deeply"}
    )  # fmt: skip


def test_headers_over_the_header_limit_are_431(tmp_path: Path) -> None:
    with client_for(tmp_path, FN_MAX_REQUEST_HEADER_SIZE="2048") as small:
        refused = small.get("/v2/apps", headers={"X-Big": "x" * 4096})
        assert refused.status_code == 431
        assert "headers too large" in refused.json()["message"]
        assert small.get("/v2/apps", headers={"X-Small": "x" * 100}).status_code == 200
    with client_for(tmp_path) as default:  # 1 MiB, as upstream
        assert default.get("/v2/apps", headers={"X-Big": "x" * 4096}).status_code == 200


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 400 + b"]" * 400, "Invalid JSON: nested too deeply"),
        (b'{"name": "\xff\xfe"}', "Invalid JSON: the body is not valid UTF-8 (byte 10)"),
        (b'{"name": }', "Invalid JSON at line 1, column 10"),
        (b'{"memory": 1e400}', "Invalid JSON: a number is out of range (1e400)"),
    ],
    ids=["deep", "not-utf8", "syntax", "huge-number"],
)
def test_bad_json_is_explained_in_the_servers_own_words(
    client: TestClient, body: bytes, said: str
) -> None:
    response = client.post("/v2/apps", content=body, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"message": said})


def test_an_unexpected_error_is_one_json_500_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings.from_env({"FN_DB_URL": f"sqlite3://{tmp_path}/fn.db"}))
    store = app.fn_context.datastore  # type: ignore[attr-defined]

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk caught fire")

    store.list_apps = broken
    # The app answers and does not re-raise to the server (uvicorn would log it again):
    # TestClient raises whatever an app lets out.
    with TestClient(app) as c, caplog.at_level("ERROR"):
        response = c.get("/v2/apps")
    assert (response.status_code, response.json()) == (500, {"message": "internal server error"})
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    assert "disk caught fire" in "".join(traceback.format_exception(*logged[0].exc_info))


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"FN_DB_URL": "sqlite3:///proc/no-such-place/fn.db"}, "cannot open the SQLite database"),
        ({"FN_DB_URL": "postgres://fn@127.0.0.1:1/fn"}, "cannot connect to the PostgreSQL"),
        ({"FN_NODE_TYPE": "sideways"}, "FN_NODE_TYPE must be one of"),
        ({"FN_PORT": "http"}, "FN_PORT must be an integer"),
        (
            {"FN_AGENT_DRIVER": "docker", "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
            "cannot reach a Docker engine",
        ),
        ({"FN_PROCESS_IMAGES": '{"img": "not a list"}'}, "must be a list of strings"),
        ({"FN_ENABLE_NB_RESOURCE_TRACKER": "maybe"}, "must be true or false"),
        ({"FN_IOFS_PATH": "/tmp/" + "x" * 80}, "FN_IOFS_PATH is too long"),
    ],
    ids=[
        "unwritable-sqlite",
        "unreachable-postgres",
        "bad-node-type",
        "bad-port",
        "no-docker-engine",
        "bad-process-images",
        "bad-boolean",
        "long-iofs-path",
    ],
)
def test_start_up_failures_are_one_configuration_error_line(
    tmp_path: Path, env: dict[str, str], said: str
) -> None:
    full = {**os.environ, "FN_DB_URL": f"sqlite3://{tmp_path}/fn.db", "FN_PORT": "0", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "reference_impl"], env=full, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("fn-reference: configuration error: "), lines
    assert said in lines[0]


def test_start_up_log_names_the_datastore_and_the_address(tmp_path: Path) -> None:
    port = str(free_port())
    env = {**os.environ, "FN_DB_URL": f"sqlite3://{tmp_path}/fn.db", "FN_PORT": port,
           "FN_LOG_LEVEL": "info"}  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-m", "reference_impl"], env=env, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            first = proc.stderr.readline() if proc.stderr else ""
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    assert f"datastore sqlite3://{tmp_path}/fn.db" in first
    assert f"serving http://127.0.0.1:{port}" in first
