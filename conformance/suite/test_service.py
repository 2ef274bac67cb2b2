"""/, /version, unknown paths and methods."""

from __future__ import annotations

import pytest

from conformance import expect
from conformance.client import FnClient


@pytest.mark.requirement("FN-ERR-008")
def test_root_and_version_answer_json(fn: FnClient) -> None:
    expect.ok(fn.get_root(), req="FN-ERR-008")
    body = expect.ok(fn.get_version(), req="FN-ERR-008")
    expect.true(
        isinstance(body.get("version"), str) and body["version"] != "",
        "/version names no version",
        f"Received: {body}",
        req="FN-ERR-008",
    )


@pytest.mark.requirement("FN-ERR-001")
@pytest.mark.parametrize("path", ["/v2/nothing-here", "/v2/apps/a/b/c", "/no/such/path"])
def test_unknown_path_answers_404_json(fn: FnClient, path: str) -> None:
    expect.error(fn.request("GET", path), 404, req="FN-ERR-001")


@pytest.mark.requirement("FN-ERR-002")
@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/v2/apps"), ("DELETE", "/v2/apps"), ("PATCH", "/v2/fns"), ("PUT", "/v2/triggers")],
)
def test_wrong_method_answers_405_json(fn: FnClient, method: str, path: str) -> None:
    expect.error(fn.request(method, path), 405, req="FN-ERR-002")
