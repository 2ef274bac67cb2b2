"""/, /version, unknown paths and methods, and the shape of every error answer."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect
from conformance.client import FnClient
from conformance.resources import Factory

#: A well-formed id (upstream's form) that no server issues in practice.
UNKNOWN_ID = "0" * 26
JSON = {"Content-Type": "application/json"}


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


def _error_requests(make: Factory) -> list[tuple[str, str, Any]]:
    """Requests that must be refused, among them those upstream answers with two documents."""
    app = make.app()
    func, other = make.fn(app), make.fn(app)
    trigger = make.trigger(app, func)
    return [
        ("GET", "/v2/no-such-path", None),
        ("PATCH", "/v2/apps", None),
        ("POST", "/v2/apps", b"{not json"),
        ("GET", f"/v2/apps/{UNKNOWN_ID}", None),
        ("GET", "/v2/triggers", None),  # no app_id
        ("GET", "/v2/fns", None),  # no app_id
        ("PUT", f"/v2/fns/{func['id']}", {"id": other["id"], "image": "changed"}),
        ("PUT", f"/v2/triggers/{trigger['id']}", {"id": UNKNOWN_ID, "source": "/changed"}),
        ("POST", "/v2/fns", {"app_id": app["id"], "name": func["name"], "image": "i"}),  # 409
    ]


@pytest.mark.requirement("FN-ERR-003", "FN-ERR-004")
def test_every_error_is_one_json_document_typed_json(fn: FnClient, make: Factory) -> None:
    """The generic checks judge each answer's body and type (their findings fail this test)."""
    for method, path, body in _error_requests(make):
        if isinstance(body, bytes):
            response = fn.request(method, path, data=body, headers=JSON)
        elif body is None:
            response = fn.request(method, path)
        else:
            response = fn.request(method, path, json=body)
        expect.true(
            400 <= response.status_code < 500,
            f"A bad request was not refused: {method} {path}",
            f"Received: {response.status_code}\nExpected: a 4xx",
            response=response,
            req="FN-ERR-003",
        )
