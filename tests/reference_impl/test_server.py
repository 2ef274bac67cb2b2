"""The reference server's HTTP behaviour that the suite does not reach through a remote target:
node types, the request size limit, routing details, restarts, and the annotation hook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

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
