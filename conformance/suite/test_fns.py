"""Fns: create, get, update and list rules for /v2/fns.

Covers defaults, the required fields, the fn name rules (ASCII letters, digits and $&+-.:=@_~,
255 bytes), the memory/timeout/idle_timeout bounds, references to the parent app, uniqueness
per app, PUT (replaced fields, config merge, refused values, body id mismatch, fixed name and
app_id), config always being an object, and the list filters.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.resources import Factory, Names

#: A well-formed id that no server hands out in practice (its time part is the epoch).
UNKNOWN_ID = "0" * 26
LIMITS = {"memory": 8192, "timeout": 300, "idle_timeout": 3600}
DEFAULTS = {"memory": 128, "timeout": 30, "idle_timeout": 30}

Entity = dict[str, Any]


# -- helpers -------------------------------------------------------------------------------


def _fresh_app(make: Factory) -> Entity:
    return make.app()


def _fn_body(app: Entity, names: Names, image: str, /, **fields: Any) -> Entity:
    """A valid create body for a fn of ``app``; ``fields`` override or add fields."""
    return {"app_id": app["id"], "name": names.fn(), "image": image, **fields}


def _view(fn_entity: Entity) -> Entity:
    """The stored fields of a fn; annotations are left out (servers may add their own)."""
    keys = ("id", "name", "app_id", "image", "memory", "timeout", "idle_timeout")
    view = {key: fn_entity.get(key) for key in keys}
    view["config"] = fn_entity.get("config") or {}
    view["created_at"] = fn_entity.get("created_at")
    view["updated_at"] = fn_entity.get("updated_at")
    return view


def _expect_unchanged(fn: FnClient, before: Entity, *, req: str, why: str) -> Entity:
    response = fn.get_fn(before["id"])
    after = expect.ok(response, req=req)
    expect.equal(_view(after), _view(before), f"fn after {why}", response=response, req=req)
    return after  # type: ignore[no-any-return]


def _items(response: requests.Response, *, req: str) -> list[Entity]:
    return expect.items(response, req=req)


def _expect_config_object(
    entity: Entity, expected: dict[str, str], where: str, response: requests.Response
) -> None:
    config = entity.get("config")
    expect.true(
        isinstance(config, dict),
        f"Fn config on {where} is not a JSON object",
        f"Received: {config!r}\nExpected: a JSON object ({{}} when empty)",
        response=response,
        req="FN-FN-012",
    )
    expect.equal(config, expected, f"fn config on {where}", response=response, req="FN-FN-012")


def _sized_fn_name(names: Names, total: int) -> str:
    head = names.scoped("")
    name = head + "a" * (total - len(head))
    assert len(name.encode()) == total, "the run prefix is longer than the wanted name"
    return name


# -- create ----------------------------------------------------------------------------------


@pytest.mark.requirement("FN-FN-001", "FN-FN-012")
def test_create_fn_answers_200_with_defaults(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig
) -> None:
    app = _fresh_app(make)
    body = _fn_body(app, names, fn_config.fn_image)
    response = fn.create_fn(body)
    created = expect.ok(response, req="FN-FN-001")
    expect.server_id(created, "A new fn", response=response, req="FN-FN-001")
    sent = {key: body[key] for key in ("app_id", "name", "image")}
    expect.equal(
        {key: created.get(key) for key in sent},
        sent,
        "fn fields",
        response=response,
        req="FN-FN-001",
    )
    expect.equal(
        {key: created.get(key) for key in DEFAULTS},
        DEFAULTS,
        "fn defaults",
        response=response,
        req="FN-FN-001",
    )
    _expect_config_object(created, {}, "create", response)


@pytest.mark.requirement("FN-FN-002")
def test_create_fn_with_id_answers_400(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig
) -> None:
    body = _fn_body(_fresh_app(make), names, fn_config.fn_image, id=UNKNOWN_ID)
    expect.error(fn.create_fn(body), 400, req="FN-FN-002")


@pytest.mark.requirement("FN-FN-003")
@pytest.mark.parametrize("field", ["app_id", "name", "image"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_create_fn_without_required_field_answers_400(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig, field: str, how: str
) -> None:
    body = _fn_body(_fresh_app(make), names, fn_config.fn_image)
    if how == "absent":
        del body[field]
    else:
        body[field] = ""
    expect.error(fn.create_fn(body), 400, req="FN-FN-003")


@pytest.mark.requirement("FN-FN-004")
@pytest.mark.parametrize(
    "suffix",
    ["Az09", "$&+-.:=@_~", "v1.2", "user@host", "a~b"],
    ids=["letters-digits", "all-specials", "dot", "at", "tilde"],
)
def test_create_fn_name_with_allowed_characters_is_accepted(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig, suffix: str
) -> None:
    name = names.scoped(suffix)
    response = fn.create_fn(_fn_body(_fresh_app(make), names, fn_config.fn_image, name=name))
    created = expect.ok(response, req="FN-FN-004")
    expect.equal(created.get("name"), name, "fn name", response=response, req="FN-FN-004")


@pytest.mark.requirement("FN-FN-004")
@pytest.mark.parametrize(
    "suffix",
    ["a b", "a/b", "é", "a%20", "a#b", "a?b", "日本"],
    ids=["space", "slash", "non-ascii-letter", "percent", "hash", "question-mark", "cjk"],
)
def test_create_fn_name_with_other_characters_answers_400(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig, suffix: str
) -> None:
    body = _fn_body(_fresh_app(make), names, fn_config.fn_image, name=names.scoped(suffix))
    expect.error(fn.create_fn(body), 400, req="FN-FN-004")


@pytest.mark.requirement("FN-FN-004")
@pytest.mark.parametrize(("total", "accepted"), [(255, True), (256, False)], ids=["255", "256"])
def test_create_fn_name_length_is_limited_to_255_bytes(
    fn: FnClient,
    make: Factory,
    names: Names,
    fn_config: ConformanceConfig,
    total: int,
    accepted: bool,
) -> None:
    name = _sized_fn_name(names, total)
    response = fn.create_fn(_fn_body(_fresh_app(make), names, fn_config.fn_image, name=name))
    if accepted:
        created = expect.ok(response, req="FN-FN-004")
        expect.equal(created.get("name"), name, "fn name", response=response, req="FN-FN-004")
    else:
        expect.error(response, 400, req="FN-FN-004")


_ACCEPTED_LIMITS = [(field, 1, 1) for field in LIMITS] + [(f, v, v) for f, v in LIMITS.items()]
_ACCEPTED_LIMITS.append(("memory", 0, DEFAULTS["memory"]))  # 0 means "the default" on create


@pytest.mark.requirement("FN-FN-005")
@pytest.mark.parametrize(
    ("field", "value", "stored"),
    _ACCEPTED_LIMITS,
    ids=[f"{f}-{v}" for f, v, _ in _ACCEPTED_LIMITS],
)
def test_create_fn_with_limit_in_range_is_accepted(
    fn: FnClient,
    make: Factory,
    names: Names,
    fn_config: ConformanceConfig,
    field: str,
    value: int,
    stored: int,
) -> None:
    body = _fn_body(_fresh_app(make), names, fn_config.fn_image, **{field: value})
    response = fn.create_fn(body)
    created = expect.ok(response, req="FN-FN-005")
    expect.equal(created.get(field), stored, field, response=response, req="FN-FN-005")


_REFUSED_LIMITS = [(f, v + 1) for f, v in LIMITS.items()] + [(f, -1) for f in LIMITS]


@pytest.mark.requirement("FN-FN-005")
@pytest.mark.parametrize(
    ("field", "value"), _REFUSED_LIMITS, ids=[f"{f}-{v}" for f, v in _REFUSED_LIMITS]
)
def test_create_fn_with_limit_out_of_range_answers_400(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig, field: str, value: int
) -> None:
    body = _fn_body(_fresh_app(make), names, fn_config.fn_image, **{field: value})
    expect.error(fn.create_fn(body), 400, req="FN-FN-005")


@pytest.mark.requirement("FN-FN-006")
def test_create_valid_fn_for_unknown_app_answers_404(
    fn: FnClient, names: Names, fn_config: ConformanceConfig
) -> None:
    body = _fn_body({"id": UNKNOWN_ID}, names, fn_config.fn_image)
    expect.error(fn.create_fn(body), 404, req="FN-FN-006")


@pytest.mark.requirement("FN-FN-006")
@pytest.mark.parametrize(
    "fault",
    [{"image": ""}, {"memory": LIMITS["memory"] + 1}, {"name": "not valid"}, {"id": UNKNOWN_ID}],
    ids=["no-image", "memory-too-large", "bad-name", "with-id"],
)
def test_create_invalid_fn_for_unknown_app_answers_400(
    fn: FnClient, names: Names, fn_config: ConformanceConfig, fault: Entity
) -> None:
    body = _fn_body({"id": UNKNOWN_ID}, names, fn_config.fn_image, **fault)
    expect.error(fn.create_fn(body), 400, req="FN-FN-006")


@pytest.mark.requirement("FN-FN-007")
def test_create_fn_with_duplicate_name_in_app_answers_409(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig
) -> None:
    app = _fresh_app(make)
    existing = make.fn(app)
    body = _fn_body(app, names, fn_config.fn_image, name=existing["name"], memory=256)
    expect.error(fn.create_fn(body), 409, req="FN-FN-007")


@pytest.mark.requirement("FN-FN-007")
def test_create_fn_with_name_used_in_another_app_answers_200(
    fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig
) -> None:
    existing = make.fn(_fresh_app(make))
    other_app = _fresh_app(make)
    body = _fn_body(other_app, names, fn_config.fn_image, name=existing["name"])
    response = fn.create_fn(body)
    created = expect.ok(response, req="FN-FN-007")
    expect.equal(
        (created.get("app_id"), created.get("name")),
        (other_app["id"], existing["name"]),
        "(app_id, name) of the fn",
        response=response,
        req="FN-FN-007",
    )


# -- get -------------------------------------------------------------------------------------


@pytest.mark.requirement("FN-FN-008")
def test_get_fn_answers_200_with_stored_fn(fn: FnClient, make: Factory) -> None:
    created = make.fn(_fresh_app(make), memory=256, timeout=60, config={"k": "v"})
    response = fn.get_fn(created["id"])
    stored = expect.ok(response, req="FN-FN-008")
    expect.equal(_view(stored), _view(created), "fn on GET", response=response, req="FN-FN-008")


@pytest.mark.requirement("FN-FN-008")
def test_get_unknown_fn_answers_404(fn: FnClient) -> None:
    expect.error(fn.get_fn(UNKNOWN_ID), 404, req="FN-FN-008")


# -- update ----------------------------------------------------------------------------------


@pytest.mark.requirement("FN-FN-009")
def test_update_fn_replaces_fields_and_merges_config(
    fn: FnClient, make: Factory, fn_config: ConformanceConfig
) -> None:
    created = make.fn(_fresh_app(make), config={"keep": "1", "change": "2", "drop": "3"})
    change = {
        "image": fn_config.fn_image + "-other",
        "memory": 256,
        "timeout": 60,
        "idle_timeout": 120,
    }
    body = {**change, "config": {"change": "two", "drop": "", "add": "4"}}
    expected = {**change, "config": {"keep": "1", "change": "two", "add": "4"}}
    response = fn.update_fn(created["id"], body)
    updated = expect.ok(response, req="FN-FN-009")
    expect.equal(
        {key: updated.get(key) for key in expected},
        expected,
        "fn after PUT",
        response=response,
        req="FN-FN-009",
    )
    response = fn.get_fn(created["id"])
    stored = expect.ok(response, req="FN-FN-009")
    expect.equal(
        {key: stored.get(key) for key in expected},
        expected,
        "fn on GET after PUT",
        response=response,
        req="FN-FN-009",
    )


_REFUSED_UPDATES = [(f, v + 1) for f, v in LIMITS.items()] + [("memory", -1), ("timeout", -1)]


@pytest.mark.requirement("FN-FN-009")
@pytest.mark.parametrize(
    ("field", "value"), _REFUSED_UPDATES, ids=[f"{f}-{v}" for f, v in _REFUSED_UPDATES]
)
def test_update_fn_with_limit_out_of_range_answers_400_and_changes_nothing(
    fn: FnClient, make: Factory, fn_config: ConformanceConfig, field: str, value: int
) -> None:
    created = make.fn(_fresh_app(make), config={"k": "v"})
    body = {field: value, "image": fn_config.fn_image + "-other", "config": {"k": "changed"}}
    expect.error(fn.update_fn(created["id"], body), 400, req="FN-FN-009")
    _expect_unchanged(fn, created, req="FN-FN-009", why=f"a PUT with {field} {value}")


@pytest.mark.requirement("FN-FN-010")
@pytest.mark.parametrize("kind", ["unknown-id", "sibling-fn-id"])
def test_update_fn_with_mismatched_body_id_answers_400_and_changes_nothing(
    fn: FnClient, make: Factory, fn_config: ConformanceConfig, kind: str
) -> None:
    app = _fresh_app(make)
    target = make.fn(app, config={"k": "v"})
    sibling = make.fn(app, config={"k": "sibling"})
    body_id = UNKNOWN_ID if kind == "unknown-id" else sibling["id"]
    body = {"id": body_id, "image": fn_config.fn_image + "-other", "config": {"k": "changed"}}
    expect.error(fn.update_fn(target["id"], body), 400, req="FN-FN-010")
    _expect_unchanged(fn, target, req="FN-FN-010", why="a PUT with a mismatched id")
    _expect_unchanged(fn, sibling, req="FN-FN-010", why="a PUT naming it in the body")


@pytest.mark.requirement("FN-FN-011")
@pytest.mark.parametrize("field", ["name", "app_id"])
def test_update_fn_never_changes_name_or_app_id(
    fn: FnClient, make: Factory, names: Names, field: str
) -> None:
    app = _fresh_app(make)
    other_app = _fresh_app(make)
    created = make.fn(app)
    new_value = names.fn() if field == "name" else other_app["id"]
    response = fn.update_fn(created["id"], {field: new_value})
    expect.true(
        response.status_code == 200 or 400 <= response.status_code < 500,
        f"Unexpected status for a PUT that changes the fn {field}",
        f"Received: {response.status_code}\nExpected: 200 (ignored) or a 4xx (refused)",
        response=response,
        req="FN-FN-011",
    )
    if response.status_code == 200:
        shown = expect.ok(response, req="FN-FN-011").get(field)
        expect.equal(
            shown,
            created[field],
            f"fn {field} in the PUT answer",
            response=response,
            req="FN-FN-011",
        )
    _expect_unchanged(fn, created, req="FN-FN-011", why=f"a PUT with another {field}")
    if field == "app_id":
        listed = _items(fn.list_fns(app_id=other_app["id"]), req="FN-FN-013")
        expect.equal(
            [item.get("id") for item in listed],
            [],
            "fns listed for the other app",
            req="FN-FN-011",
        )


# -- config is an object ---------------------------------------------------------------------


@pytest.mark.requirement("FN-FN-012")
def test_fn_config_is_an_object_when_empty_on_get_and_list(fn: FnClient, make: Factory) -> None:
    app = _fresh_app(make)
    created = make.fn(app)
    response = fn.get_fn(created["id"])
    _expect_config_object(expect.ok(response, req="FN-FN-008"), {}, "GET", response)
    response = fn.list_fns(app_id=app["id"])
    for item in _items(response, req="FN-FN-013"):
        _expect_config_object(item, {}, "list", response)


@pytest.mark.requirement("FN-FN-012")
def test_fn_config_is_an_object_after_last_key_is_removed(fn: FnClient, make: Factory) -> None:
    created = make.fn(_fresh_app(make), config={"only": "1"})
    response = fn.update_fn(created["id"], {"config": {"only": ""}})
    _expect_config_object(expect.ok(response, req="FN-FN-009"), {}, "PUT", response)
    response = fn.get_fn(created["id"])
    _expect_config_object(expect.ok(response, req="FN-FN-008"), {}, "GET after PUT", response)


# -- list ------------------------------------------------------------------------------------


@pytest.mark.requirement("FN-FN-013")
def test_list_fns_without_app_id_answers_400(fn: FnClient) -> None:
    expect.error(fn.list_fns(), 400, req="FN-FN-013")
    expect.error(fn.list_fns(app_id=""), 400, req="FN-FN-013")


@pytest.mark.requirement("FN-FN-013")
def test_list_fns_by_app_id_lists_exactly_the_fns_of_that_app(fn: FnClient, make: Factory) -> None:
    app = _fresh_app(make)
    mine = {make.fn(app)["id"] for _ in range(3)}
    make.fn(_fresh_app(make))  # a fn of another app, never listed
    response = fn.list_fns(app_id=app["id"])
    listed = _items(response, req="FN-FN-013")
    expect.equal(
        sorted(item.get("id") for item in listed),
        sorted(mine),
        "ids of the fns listed",
        response=response,
        req="FN-FN-013",
    )


@pytest.mark.requirement("FN-FN-013")
def test_list_fns_filtered_by_name_lists_exactly_that_fn(fn: FnClient, make: Factory) -> None:
    app = _fresh_app(make)
    wanted = make.fn(app)
    make.fn(app, name=wanted["name"] + "x")  # shares the name as a prefix, must not be listed
    make.fn(_fresh_app(make), name=wanted["name"])  # same name in another app
    response = fn.list_fns(app_id=app["id"], name=wanted["name"])
    listed = _items(response, req="FN-FN-013")
    expect.equal(
        [item.get("id") for item in listed],
        [wanted["id"]],
        "ids of the fns listed",
        response=response,
        req="FN-FN-013",
    )
