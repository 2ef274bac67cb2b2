"""Apps: create, get, update and list rules for /v2/apps.

Covers the create answer (id, name, timestamps), the name rules (required, 255 bytes, Unicode
letters and numbers, '_' and '-', unique), GET and PUT (config merge, immutable name, body id
mismatch, unknown app), syslog_url and shape validation, the name filter of the list, and how
the timestamps look and move.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.resources import Factory, Names

TIME_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
#: A well-formed id that no server hands out in practice (its time part is the epoch).
UNKNOWN_ID = "0" * 26

App = dict[str, Any]


# -- helpers -------------------------------------------------------------------------------


def _view(app: App) -> App:
    """The stored fields of an app, with upstream's omitted-when-empty fields filled in.

    Annotations are left out: a datastore may inject annotations of its own on reads.
    """
    return {
        "id": app.get("id"),
        "name": app.get("name"),
        "config": app.get("config") or {},
        "syslog_url": app.get("syslog_url") or None,
        "shape": app.get("shape") or None,
        "created_at": app.get("created_at"),
        "updated_at": app.get("updated_at"),
    }


def _expect_unchanged(fn: FnClient, before: App, *, req: str, why: str) -> None:
    """GET shows the app exactly as ``before`` (same config, same updated_at...)."""
    response = fn.get_app(before["id"])
    after = expect.ok(response, req=req)
    expect.equal(_view(after), _view(before), f"app after {why}", response=response, req=req)


def _sized_name(names: Names, total: int, unit: str = "a") -> str:
    """A unique app name of exactly ``total`` UTF-8 bytes made of ``unit`` (padded with 'a')."""
    head = names.scoped("")
    count, rest = divmod(total - len(head.encode()), len(unit.encode()))
    name = head + unit * count + "a" * rest
    assert len(name.encode()) == total, "the run prefix is longer than the wanted name"
    return name


def _instant(value: Any, what: str, response: requests.Response, *, req: str) -> datetime:
    """Parse an RFC 3339 timestamp, failing ``req`` when it is not one."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise expect.fail(
            f"{what} is not an RFC 3339 timestamp",
            f"Received: {value!r}\nExpected: e.g. 2024-01-02T03:04:05.678Z",
            response=response,
            req=req,
        ) from None


# -- create ----------------------------------------------------------------------------------


@pytest.mark.requirement("FN-APP-001")
def test_create_app_answers_200_with_full_app(fn: FnClient, names: Names) -> None:
    name = names.app()
    response = fn.create_app({"name": name})
    app = expect.ok(response, req="FN-APP-001")
    app_id = expect.server_id(app, "A new app", response=response, req="FN-APP-001")
    other = expect.ok(fn.create_app({"name": names.app()}), req="FN-APP-001")
    expect.true(
        other.get("id") != app_id,
        "Two apps got the same id",
        f"Received: {app_id!r} twice\nExpected: a unique id per app",
        req="FN-APP-001",
    )
    expect.equal(app.get("name"), name, "app name", response=response, req="FN-APP-001")
    for key in ("created_at", "updated_at"):
        expect.true(
            isinstance(app.get(key), str) and app[key] != "",
            f"App has no {key}",
            f"Received: {app.get(key)!r}\nExpected: a timestamp",
            response=response,
            req="FN-APP-001",
        )
    expect.equal(
        app["updated_at"],
        app["created_at"],
        "updated_at of a new app (vs created_at)",
        response=response,
        req="FN-APP-001",
    )


@pytest.mark.requirement("FN-APP-002")
@pytest.mark.parametrize("kind", ["unknown-id", "existing-id"])
def test_create_app_with_id_answers_400(
    fn: FnClient, make: Factory, names: Names, kind: str
) -> None:
    app_id = UNKNOWN_ID if kind == "unknown-id" else make.app()["id"]
    expect.error(fn.create_app({"id": app_id, "name": names.app()}), 400, req="FN-APP-002")


@pytest.mark.requirement("FN-APP-003")
@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"config": {"k": "v"}}],
    ids=["empty-body", "empty-name", "config-only"],
)
def test_create_app_without_name_answers_400(fn: FnClient, body: App) -> None:
    expect.error(fn.create_app(body), 400, req="FN-APP-003")


@pytest.mark.requirement("FN-APP-004")
@pytest.mark.parametrize(
    ("unit", "total", "accepted"),
    [
        ("a", 255, True),
        ("a", 256, False),
        ("é", 255, True),  # two bytes each
        ("é", 256, False),
        ("日", 255, True),  # three bytes each
        ("日", 300, False),  # fewer than 255 characters, but 300 bytes
    ],
    ids=["ascii-255", "ascii-256", "2-byte-255", "2-byte-256", "3-byte-255", "3-byte-300"],
)
def test_create_app_name_length_is_limited_to_255_bytes(
    fn: FnClient, names: Names, unit: str, total: int, accepted: bool
) -> None:
    name = _sized_name(names, total, unit)
    response = fn.create_app({"name": name})
    if accepted:
        app = expect.ok(response, req="FN-APP-004")
        expect.equal(app.get("name"), name, "app name", response=response, req="FN-APP-004")
    else:
        expect.error(response, 400, req="FN-APP-004")


@pytest.mark.requirement("FN-APP-005")
@pytest.mark.parametrize(
    "suffix",
    ["é", "日本", "²", "Ω", "٣", "under_score", "da-sh", "MiXeD9"],
    ids=[
        "latin-letter",
        "cjk",
        "superscript-number",
        "greek",
        "arabic-digit",
        "underscore",
        "dash",
        "mixed-case",
    ],
)
def test_create_app_name_with_unicode_letters_and_numbers_is_accepted(
    fn: FnClient, names: Names, suffix: str
) -> None:
    name = names.scoped(suffix)
    response = fn.create_app({"name": name})
    app = expect.ok(response, req="FN-APP-005")
    expect.equal(app.get("name"), name, "app name", response=response, req="FN-APP-005")


@pytest.mark.requirement("FN-APP-005")
@pytest.mark.parametrize(
    "suffix",
    ["a.b", "a b", "a/b", "a!", "a@b", "a+b", "😀", "a\tb"],
    ids=["dot", "space", "slash", "bang", "at", "plus", "emoji", "tab"],
)
def test_create_app_name_with_other_characters_answers_400(
    fn: FnClient, names: Names, suffix: str
) -> None:
    expect.error(fn.create_app({"name": names.scoped(suffix)}), 400, req="FN-APP-005")


@pytest.mark.requirement("FN-APP-006")
def test_create_app_with_duplicate_name_answers_409(fn: FnClient, make: Factory) -> None:
    app = make.app()
    response = fn.create_app({"name": app["name"], "config": {"other": "config"}})
    expect.error(response, 409, req="FN-APP-006")


# -- get -----------------------------------------------------------------------------------


@pytest.mark.requirement("FN-APP-007")
def test_get_app_answers_200_with_stored_app(fn: FnClient, make: Factory) -> None:
    app = make.app(config={"k": "v"})
    response = fn.get_app(app["id"])
    stored = expect.ok(response, req="FN-APP-007")
    expect.equal(_view(stored), _view(app), "app on GET", response=response, req="FN-APP-007")


@pytest.mark.requirement("FN-APP-007")
def test_get_unknown_app_answers_404(fn: FnClient) -> None:
    expect.error(fn.get_app(UNKNOWN_ID), 404, req="FN-APP-007")


# -- update --------------------------------------------------------------------------------


@pytest.mark.requirement("FN-APP-008")
def test_update_app_merges_config_and_empty_value_removes_key(fn: FnClient, make: Factory) -> None:
    app = make.app(config={"keep": "1", "change": "2", "drop": "3"})
    response = fn.update_app(app["id"], {"config": {"change": "two", "drop": "", "add": "4"}})
    updated = expect.ok(response, req="FN-APP-008")
    expected = {"keep": "1", "change": "two", "add": "4"}
    expect.equal(
        updated.get("config"), expected, "config after PUT", response=response, req="FN-APP-008"
    )
    response = fn.get_app(app["id"])
    stored = expect.ok(response, req="FN-APP-008")
    expect.equal(
        stored.get("config"),
        expected,
        "config on GET after PUT",
        response=response,
        req="FN-APP-008",
    )


@pytest.mark.requirement("FN-APP-008")
def test_update_app_removing_last_config_key_leaves_no_config(fn: FnClient, make: Factory) -> None:
    app = make.app(config={"only": "1"})
    expect.ok(fn.update_app(app["id"], {"config": {"only": ""}}), req="FN-APP-008")
    response = fn.get_app(app["id"])
    stored = expect.ok(response, req="FN-APP-008")
    expect.equal(
        stored.get("config") or {}, {}, "config on GET", response=response, req="FN-APP-008"
    )


@pytest.mark.requirement("FN-APP-009")
def test_update_app_with_different_name_answers_409_and_changes_nothing(
    fn: FnClient, make: Factory, names: Names
) -> None:
    app = make.app(config={"k": "v"})
    body = {"name": names.app(), "config": {"k": "changed", "new": "x"}}
    expect.error(fn.update_app(app["id"], body), 409, req="FN-APP-009")
    _expect_unchanged(fn, app, req="FN-APP-009", why="a refused rename")


@pytest.mark.requirement("FN-APP-009")
def test_update_app_with_same_name_answers_200(fn: FnClient, make: Factory) -> None:
    app = make.app()
    response = fn.update_app(app["id"], {"name": app["name"], "config": {"k": "v"}})
    updated = expect.ok(response, req="FN-APP-009")
    expect.equal(updated.get("name"), app["name"], "app name", response=response, req="FN-APP-009")
    expect.equal(
        updated.get("config"), {"k": "v"}, "config after PUT", response=response, req="FN-APP-008"
    )


@pytest.mark.requirement("FN-APP-010")
@pytest.mark.parametrize("kind", ["unknown-id", "other-app-id"])
def test_update_app_with_mismatched_body_id_answers_400_and_changes_nothing(
    fn: FnClient, make: Factory, kind: str
) -> None:
    app = make.app(config={"k": "v"})
    other = make.app(config={"k": "other"})
    body_id = UNKNOWN_ID if kind == "unknown-id" else other["id"]
    body = {"id": body_id, "config": {"k": "changed", "new": "x"}}
    expect.error(fn.update_app(app["id"], body), 400, req="FN-APP-010")
    _expect_unchanged(fn, app, req="FN-APP-010", why="a PUT with a mismatched id")
    _expect_unchanged(fn, other, req="FN-APP-010", why="a PUT naming it in the body")


@pytest.mark.requirement("FN-APP-011")
def test_update_unknown_app_answers_404(fn: FnClient) -> None:
    expect.error(fn.update_app(UNKNOWN_ID, {"config": {"k": "v"}}), 404, req="FN-APP-011")


# -- syslog_url and shape --------------------------------------------------------------------


@pytest.mark.requirement("FN-APP-012")
@pytest.mark.parametrize(
    "url",
    ["yo", "http://logs.example:514", "ftp://logs.example", "tcpx://logs.example:514"],
    ids=["no-scheme", "http", "ftp", "lookalike-scheme"],
)
def test_create_app_with_unsupported_syslog_scheme_answers_400(
    fn: FnClient, names: Names, url: str
) -> None:
    response = fn.create_app({"name": names.app(), "syslog_url": url})
    expect.error(response, 400, req="FN-APP-012")


@pytest.mark.requirement("FN-APP-012")
@pytest.mark.parametrize(
    "url",
    ["tcp://logs.example:514", "udp://logs.example:514", "tcp+tls://logs.example:6514"],
    ids=["tcp", "udp", "tcp+tls"],
)
def test_create_app_with_supported_syslog_scheme_is_accepted(
    fn: FnClient, names: Names, url: str
) -> None:
    response = fn.create_app({"name": names.app(), "syslog_url": url})
    app = expect.ok(response, req="FN-APP-012")
    expect.equal(app.get("syslog_url"), url, "syslog_url", response=response, req="FN-APP-012")


@pytest.mark.requirement("FN-APP-013")
@pytest.mark.parametrize("shape", ["GENERIC_X87", "generic_x86", "ARM"])
def test_create_app_with_unknown_shape_answers_400(fn: FnClient, names: Names, shape: str) -> None:
    expect.error(fn.create_app({"name": names.app(), "shape": shape}), 400, req="FN-APP-013")


@pytest.mark.requirement("FN-APP-013")
@pytest.mark.parametrize("shape", ["GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM"])
def test_create_app_with_known_shape_is_accepted(fn: FnClient, names: Names, shape: str) -> None:
    response = fn.create_app({"name": names.app(), "shape": shape})
    app = expect.ok(response, req="FN-APP-013")
    expect.equal(app.get("shape"), shape, "app shape", response=response, req="FN-APP-013")


# -- list ------------------------------------------------------------------------------------


@pytest.mark.requirement("FN-APP-014")
def test_list_apps_filtered_by_name_returns_exactly_that_app(
    fn: FnClient, make: Factory, names: Names
) -> None:
    app = make.app()
    make.app(name=app["name"] + "x")  # shares the name as a prefix, must not be listed
    response = fn.list_apps(name=app["name"])
    items = expect.ok(response, req="FN-APP-014").get("items")
    listed = [(i.get("id"), i.get("name")) for i in items] if isinstance(items, list) else items
    expect.equal(
        listed,
        [(app["id"], app["name"])],
        "apps listed for the name filter",
        response=response,
        req="FN-APP-014",
    )
    response = fn.list_apps(name=names.app("absent"))
    expect.equal(
        expect.ok(response, req="FN-APP-014").get("items"),
        [],
        "apps listed for a name nobody has",
        response=response,
        req="FN-APP-014",
    )


# -- timestamps ------------------------------------------------------------------------------


def _timestamps(app: dict[str, object]) -> None:
    """The create answer must carry both timestamps before their behaviour can be checked."""
    for key in ("created_at", "updated_at"):
        expect.true(
            isinstance(app.get(key), str),
            f"Created app has no {key}",
            f"Received: {sorted(app)}\nExpected: a {key} string",
            req="FN-APP-001",
        )


@pytest.mark.requirement("FN-APP-015")
def test_update_app_with_change_moves_updated_at_and_keeps_created_at(
    fn: FnClient, make: Factory
) -> None:
    app = make.app(config={"k": "v"})
    _timestamps(app)
    time.sleep(0.01)  # so that millisecond timestamps can differ
    response = fn.update_app(app["id"], {"config": {"k": "changed"}})
    updated = expect.ok(response, req="FN-APP-008")
    expect.equal(
        updated.get("created_at"),
        app["created_at"],
        "created_at after PUT",
        response=response,
        req="FN-APP-015",
    )
    before = _instant(app["updated_at"], "updated_at", response, req="FN-APP-016")
    after = _instant(updated.get("updated_at"), "updated_at", response, req="FN-APP-016")
    expect.true(
        after > before,
        "updated_at did not move forward on a PUT that changed the config",
        f"Received: {updated.get('updated_at')!r}\nExpected: later than {app['updated_at']!r}",
        response=response,
        req="FN-APP-015",
    )
    response = fn.get_app(app["id"])
    stored = expect.ok(response, req="FN-APP-007")
    expect.equal(
        (stored.get("created_at"), stored.get("updated_at")),
        (app["created_at"], updated.get("updated_at")),
        "(created_at, updated_at) on GET after PUT",
        response=response,
        req="FN-APP-015",
    )


@pytest.mark.requirement("FN-APP-015")
def test_update_app_without_change_keeps_both_timestamps(fn: FnClient, make: Factory) -> None:
    app = make.app(config={"k": "v"})
    _timestamps(app)
    time.sleep(0.01)
    response = fn.update_app(app["id"], {"config": {"k": "v"}})
    updated = expect.ok(response, req="FN-APP-008")
    expect.equal(
        (updated.get("created_at"), updated.get("updated_at")),
        (app["created_at"], app["updated_at"]),
        "(created_at, updated_at) after a PUT that changed nothing",
        response=response,
        req="FN-APP-015",
    )


@pytest.mark.requirement("FN-APP-016")
def test_app_timestamps_are_rfc3339_utc_with_milliseconds(fn: FnClient, make: Factory) -> None:
    app = make.app()
    time.sleep(0.01)
    responses = {
        "create": None,
        "GET": fn.get_app(app["id"]),
        "PUT": fn.update_app(app["id"], {"config": {"k": "v"}}),
    }
    for step, response in responses.items():
        body = app if response is None else expect.ok(response, req="FN-APP-016")
        for key in ("created_at", "updated_at"):
            value = body.get(key)
            expect.true(
                isinstance(value, str) and bool(TIME_PATTERN.match(value)),
                f"{key} on {step} is not RFC 3339 UTC with milliseconds",
                f"Received: {value!r}\nExpected: e.g. 2024-01-02T03:04:05.678Z",
                response=response,
                req="FN-APP-016",
            )


@pytest.mark.requirement("FN-APP-017")
def test_ids_have_the_upstream_form(make: Factory) -> None:
    """A SHOULD: clients treat ids as opaque, so a server with other ids (UUIDs) conforms."""
    app = make.app()
    func = make.fn(app)
    entities = {"app": app, "fn": func, "trigger": make.trigger(app, func)}
    odd = {kind: entity.get("id") for kind, entity in entities.items()
           if not expect.UPSTREAM_ID.match(str(entity.get("id")))}  # fmt: skip
    expect.true(
        not odd,
        "Ids do not have upstream's form",
        f"Received: {odd}\nExpected: 26 characters of 0-9 and A-Z",
        req="FN-APP-017",
    )
