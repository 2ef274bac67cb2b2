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
