"""Uniqueness holds under concurrent HTTP requests, on both datastores: of 20 simultaneous
creates of one trigger source (or one app name), exactly one answers 200 and 19 answer 409."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from conformance._server import LocalServer

from .conftest import RACERS, Backend, race


@pytest.fixture
def server(backend: Backend) -> Iterator[LocalServer]:
    with LocalServer(env={"FN_DB_URL": backend.url}) as srv:
        yield srv


def post(url: str, body: dict[str, Any]) -> str:
    """POST ``body``; the answer's status as text (a race outcome)."""
    return str(requests.post(url, json=body, timeout=30).status_code)


def test_concurrent_creates_of_one_app_name_give_one_200_and_409s(server: LocalServer) -> None:
    counts = race(
        lambda i: post(f"{server.url}/v2/apps", {"name": "raced", "config": {"i": str(i)}})
    )
    assert counts == Counter({"200": 1, "409": RACERS - 1})
    listed = requests.get(f"{server.url}/v2/apps", params={"name": "raced"}, timeout=10).json()
    assert len(listed["items"]) == 1


def test_concurrent_creates_of_one_trigger_source_give_one_200_and_409s(
    server: LocalServer,
) -> None:
    app = requests.post(f"{server.url}/v2/apps", json={"name": "a"}, timeout=30).json()
    fn_body = {"app_id": app["id"], "name": "f", "image": "i"}
    fn = requests.post(f"{server.url}/v2/fns", json=fn_body, timeout=30).json()
    counts = race(
        lambda i: post(
            f"{server.url}/v2/triggers",
            {
                "app_id": app["id"],
                "fn_id": fn["id"],
                "name": f"t{i}",
                "type": "http",
                "source": "/same",
            },
        )
    )
    assert counts == Counter({"200": 1, "409": RACERS - 1})
    listed = requests.get(f"{server.url}/v2/triggers", params={"app_id": app["id"]}, timeout=10)
    assert [t["source"] for t in listed.json()["items"]] == ["/same"]


ROUNDS = 30


def _act(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> str:
    response = requests.request(method, url + path, json=body, timeout=30)
    return str(response.status_code)


def test_deletes_racing_creates_under_them_never_answer_5xx(server: LocalServer) -> None:
    """30 rounds: one app delete and one fn delete race fn and trigger creates under them.

    Writes under an app lock its row first, and the fn's after it, so PostgreSQL never
    deadlocks; every answer is 200, 204 or 404 (the parent was gone), never a 5xx.
    """
    url = server.url
    seen: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        app = requests.post(f"{url}/v2/apps", json={"name": f"r{round_}"}, timeout=30).json()
        fns = [
            requests.post(
                f"{url}/v2/fns", json={"app_id": app["id"], "name": f"f{i}", "image": "i"},
                timeout=30,
            ).json()
            for i in range(2)
        ]  # fmt: skip

        def attempt(i: int, app: dict[str, Any] = app, fns: list[Any] = fns) -> str:
            if i == RACERS // 2:
                return _act(url, "DELETE", f"/v2/apps/{app['id']}")
            if i == RACERS // 4:
                return _act(url, "DELETE", f"/v2/fns/{fns[1]['id']}")
            if i % 3 == 0:
                body = {"app_id": app["id"], "name": f"g{i}", "image": "i"}
                return _act(url, "POST", "/v2/fns", body)
            owner = fns[i % 2]
            body = {"app_id": app["id"], "fn_id": owner["id"], "name": f"t{i}", "type": "http",
                    "source": f"/s{i}"}  # fmt: skip
            return _act(url, "POST", "/v2/triggers", body)

        seen += race(attempt)
    assert set(seen) <= {"200", "204", "404"}, seen
    assert ROUNDS <= seen["204"] <= 2 * ROUNDS  # the fn delete may find its app gone
