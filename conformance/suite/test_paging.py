"""Listing: per_page, next_cursor, order and filters on the app, fn and trigger lists.

The property tests create a generated set of names in a fresh scope (a fresh app for fns and
triggers, fresh app names for apps), follow ``next_cursor`` until it is absent and check every
page and the whole walk. Cursors are opaque: they are only ever passed back, never decoded. A
walk is bounded, so a cursor that leads nowhere fails instead of looping. Each example deletes
the app (or apps) it created to keep the target small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from conformance import expect
from conformance.checks import run_checks
from conformance.client import FnClient, observe
from conformance.failures import inconclusive
from conformance.resources import Factory, Names
from conformance.strategies import fn_name_suffixes, suffix_sets, unicode_name_suffixes

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
#: per_page values for walks over all apps; raised when the target holds many apps.
APP_PER_PAGE = (1, 2, 3, 7, 30, 100)
#: A walk over all apps with the drawn per_page may take about this many pages.
APP_PAGES_PER_WALK = 20
#: A target with more apps than this many full pages is too busy to walk all its apps.
APP_CENSUS_PAGES = 200

Item = dict[str, Any]
ListCall = Callable[..., requests.Response]


def effective_per_page(per_page: Any) -> int:
    """What the contract says a page holds at most for a given ``per_page`` parameter."""
    try:
        value = int(per_page)
    except (TypeError, ValueError):
        return DEFAULT_PER_PAGE
    return DEFAULT_PER_PAGE if value <= 0 else min(value, MAX_PER_PAGE)


def walk(
    list_call: ListCall,
    *,
    per_page: Any,
    max_pages: int,
    on_limit: Callable[[str], Any] | None = None,
    once_req: str = "FN-PAGE-004",
) -> list[Item]:
    """Follow ``next_cursor`` from the first page to the last; check each page on the way.

    Items must come once each and in byte order of their names, checked as they arrive.
    ``on_limit`` is called (it must raise) when ``max_pages`` pages did not reach the end;
    without it that is a failure of ``once_req``, as is any item that comes back twice.
    """
    limit = effective_per_page(per_page)
    cursor: str | None = None
    seen: dict[str, int] = {}
    items: list[Item] = []
    previous: str | None = None
    for page_number in range(1, max_pages + 1):
        params: dict[str, Any] = {} if per_page is None else {"per_page": per_page}
        if cursor is not None:
            params["cursor"] = cursor
        response = list_call(**params)
        page, cursor = _read_page(response, limit)
        on_page: set[str] = set()
        for item in page:
            first = seen.setdefault(item["id"], page_number)
            expect.true(
                first == page_number and item["id"] not in on_page,
                "An item comes back twice while following next_cursor",
                f"Received: {item['name']!r} (id {item['id']}) on page {page_number}, "
                f"already on page {first}\nExpected: every item exactly once",
                response=response,
                req=once_req,
            )
            on_page.add(item["id"])
            if previous is not None:
                _expect_after(previous, item["name"], response)
            previous = item["name"]
        items.extend(page)
        if cursor is None:
            return items
    message = f"{max_pages} pages of per_page={per_page} did not reach a page without next_cursor"
    if on_limit is not None:
        on_limit(message)
    raise expect.fail(
        "next_cursor does not lead to the end of the list",
        f"Received: {message} (items so far: {len(items)})\nExpected: the walk ends",
        req=once_req,
    )


def _read_page(response: requests.Response, limit: int) -> tuple[list[Item], str | None]:
    body = expect.ok(response, req="FN-PAGE-001")
    page = body.get("items")
    expect.true(
        isinstance(page, list)
        and all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in page)
        and all(isinstance(i.get("name"), str) for i in page),
        "'items' is not an array of entities",
        f"Received: {str(page)[:300]}\nExpected: an array of objects with string id and name",
        response=response,
        req="FN-PAGE-001",
    )
    present = "next_cursor" in body
    cursor = body.get("next_cursor")
    expect.true(
        not present or isinstance(cursor, str),
        "next_cursor is present but not a string",
        f"Received: {cursor!r}\nExpected: a string, or no next_cursor",
        response=response,
        req="FN-PAGE-001",
    )
    expect.true(
        len(page) <= limit,
        "A page holds more items than per_page allows",
        f"Received: {len(page)} items\nExpected: at most {limit}",
        response=response,
        req="FN-PAGE-002",
    )
    expect.true(
        present == (len(page) == limit),
        "next_cursor does not match whether the page is full",
        f"Received: {len(page)} items, next_cursor {'present' if present else 'absent'}\n"
        f"Expected: next_cursor present exactly when the page holds {limit} items",
        response=response,
        req="FN-PAGE-003",
    )
    return page, cursor if present else None


def expect_exactly_once(items: list[Item], wanted: Iterable[str], what: str, *, req: str) -> None:
    """Each id of ``wanted`` appears once in ``items``; ``items`` may hold others."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item["id"]] = counts.get(item["id"], 0) + 1
    wrong = {i: counts.get(i, 0) for i in wanted if counts.get(i, 0) != 1}
    expect.true(
        not wrong,
        f"The walk over the {what} does not hold every created item exactly once",
        f"Received: ids seen a wrong number of times {wrong}\nExpected: each once",
        req=req,
    )


def _expect_after(before: str, name: str, response: requests.Response) -> None:
    expect.true(
        before.encode("utf-8") <= name.encode("utf-8"),
        "Items are not ordered by name in byte order",
        f"Received: {before!r} before {name!r}\nExpected: names ascending by UTF-8 bytes",
        response=response,
        req="FN-PAGE-005",
    )


def walk_scope(list_call: ListCall, created: set[str], *, per_page: int, req: str) -> None:
    """The items of a fresh scope (at most 100): first on one page, where a wrong order shows
    as such, then page by page, where it would only show as a skipped item."""
    assert len(created) < MAX_PER_PAGE
    walk(list_call, per_page=MAX_PER_PAGE, max_pages=2, once_req=req)
    listing = walk(list_call, per_page=per_page, max_pages=len(created) + 3, once_req=req)
    expect_exactly_once(listing, created, f"items with per_page={per_page}", req=req)
    expect.equal(len(listing), len(created), "number of items listed", req=req)


def _delete_apps(fn: FnClient, app_ids: Iterable[str]) -> None:
    for app_id in app_ids:
        expect.status(fn.delete_app(app_id), 204, req="FN-DEL-001")


def _per_page_values() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(1, 5), st.integers(1, 120))


# -- walks over generated name sets (FN-PAGE-001..005) ----------------------------------------

WALK_REQUIREMENTS = ("FN-PAGE-001", "FN-PAGE-002", "FN-PAGE-003", "FN-PAGE-004", "FN-PAGE-005")


@pytest.mark.requirement(*WALK_REQUIREMENTS)
@given(suffixes=suffix_sets(fn_name_suffixes()), per_page=_per_page_values())
def test_fn_pages_visit_every_fn_once_in_byte_order(
    fn: FnClient, make: Factory, names: Names, suffixes: frozenset[str], per_page: int
) -> None:
    app = make.app()
    base = names.fn()
    created = {make.fn(app, name=f"{base}-{suffix}")["id"] for suffix in suffixes}
    list_call = partial(fn.list_fns, app_id=app["id"])
    walk_scope(list_call, created, per_page=per_page, req="FN-PAGE-004")
    _delete_apps(fn, [app["id"]])


@pytest.mark.requirement(*WALK_REQUIREMENTS)
@given(suffixes=suffix_sets(unicode_name_suffixes()), per_page=_per_page_values())
def test_trigger_pages_visit_every_trigger_once_in_byte_order(
    fn: FnClient, make: Factory, names: Names, suffixes: frozenset[str], per_page: int
) -> None:
    app = make.app()
    owner = make.fn(app)
    base = names.trigger()
    created = {
        make.trigger(app, owner, name=f"{base}-{suffix}", source=f"/p{n}")["id"]
        for n, suffix in enumerate(sorted(suffixes))
    }
    list_call = partial(fn.list_triggers, app_id=app["id"])
    walk_scope(list_call, created, per_page=per_page, req="FN-PAGE-004")
    _delete_apps(fn, [app["id"]])


@pytest.mark.requirement(*WALK_REQUIREMENTS)
@given(
    suffixes=suffix_sets(unicode_name_suffixes(), max_size=8),
    granularity=st.sampled_from(APP_PER_PAGE),
)
def test_app_pages_visit_every_app_once_in_byte_order(
    fn: FnClient, names: Names, suffixes: frozenset[str], granularity: int
) -> None:
    """Other apps may exist: the walk covers all of them, ours must each appear once.

    A census walk with per_page 100 counts the apps first; on a target with many apps the drawn
    per_page is raised so that the second walk takes about APP_PAGES_PER_WALK pages.
    """
    base = names.app()
    created = [
        expect.ok(fn.create_app({"name": f"{base}-{suffix}"}), req="FN-APP-001")["id"]
        for suffix in suffixes
    ]
    census = walk(
        fn.list_apps, per_page=MAX_PER_PAGE, max_pages=APP_CENSUS_PAGES, on_limit=inconclusive
    )
    per_page = max(granularity, math.ceil(len(census) / APP_PAGES_PER_WALK))
    pages = math.ceil((len(census) + len(created)) / per_page)
    listing = walk(fn.list_apps, per_page=per_page, max_pages=2 * pages + 10, on_limit=inconclusive)
    for walked in (census, listing):
        expect_exactly_once(walked, created, "apps", req="FN-PAGE-004")
    _delete_apps(fn, created)


# -- per_page values (FN-PAGE-002) -------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded_app(make: Factory) -> Item:
    """An app holding 101 fns: more than one full page of the largest size."""
    app = make.app()
    for _ in range(MAX_PER_PAGE + 1):
        make.fn(app)
    return app


@pytest.mark.requirement("FN-PAGE-002")
@pytest.mark.parametrize(
    ("per_page", "expected"),
    [(100, 100), (101, 100), (120, 100), (1000, 100), (None, 30), (0, 30), (-1, 30),
     ("abc", 30), ("", 30)],
)  # fmt: skip
def test_fn_list_per_page_is_clamped_and_defaults_to_30(
    fn: FnClient, crowded_app: Item, per_page: Any, expected: int
) -> None:
    params = {} if per_page is None else {"per_page": per_page}
    response = fn.list_fns(app_id=crowded_app["id"], **params)
    body = expect.ok(response, req="FN-PAGE-002")
    items = body.get("items")
    expect.true(
        isinstance(items, list) and len(items) == expected,
        f"First page length for per_page={per_page!r} is wrong",
        f"Received: {len(items) if isinstance(items, list) else items!r} items\n"
        f"Expected: {expected} (101 fns exist; default 30, clamped to 100)",
        response=response,
        req="FN-PAGE-002",
    )


# -- equal trigger names on different fns (FN-PAGE-006) ----------------------------------------


@pytest.mark.requirement("FN-PAGE-006")
@given(
    fn_count=st.integers(2, 4),
    suffixes=suffix_sets(unicode_name_suffixes(), min_size=2, max_size=3),
)
def test_trigger_pages_with_equal_names_on_different_fns_visit_each_once(
    fn: FnClient, make: Factory, names: Names, fn_count: int, suffixes: frozenset[str]
) -> None:
    app = make.app()
    base = names.trigger()
    created = set()
    for f in range(fn_count):
        owner = make.fn(app)
        for n, suffix in enumerate(sorted(suffixes)):
            body = make.trigger(app, owner, name=f"{base}-{suffix}", source=f"/e{f}-{n}")
            created.add(body["id"])
    for per_page in (1, 2, 3):
        list_call = partial(fn.list_triggers, app_id=app["id"])
        walk_scope(list_call, created, per_page=per_page, req="FN-PAGE-006")
    _delete_apps(fn, [app["id"]])


# -- unusable cursors (FN-PAGE-007) ------------------------------------------------------------

#: None of these is URL-safe base64 without padding, so no target can take them as a position.
BAD_CURSORS = {
    "bang": "!!!",
    "percent": "%%%",
    "space": "a b",
    "padding": "=",
    "inner-padding": "ab=cd",
    "plus-slash": "ab+cd/ef",
    "long": "x!" * 1000,
}


@pytest.fixture(scope="module")
def plain_app(make: Factory) -> Item:
    return make.app()


@pytest.mark.requirement("FN-PAGE-007")
@pytest.mark.parametrize("kind", ["apps", "fns", "triggers"])
@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_list_with_unusable_cursor_answers_400(
    fn: FnClient, plain_app: Item, kind: str, cursor: str
) -> None:
    scope = {} if kind == "apps" else {"app_id": plain_app["id"]}
    response = fn.request("GET", f"/v2/{kind}", params={**scope, "cursor": cursor}, check=False)
    expect.error(response, 400, req="FN-PAGE-007")
    run_checks(observe(response, getattr(response, "exchange", None)))


# -- filters (FN-PAGE-008) ---------------------------------------------------------------------


def _ids_listed(list_call: ListCall, **filters: str) -> tuple[set[str], list[Item]]:
    listing = walk(partial(list_call, **filters), per_page=None, max_pages=20)
    for item in listing:
        mismatched = {k: item.get(k) for k, v in filters.items() if item.get(k) != v}
        expect.true(
            not mismatched,
            "A listed item does not match the filters",
            f"Received: {item['name']!r} with {mismatched}\nExpected: {filters}",
            req="FN-PAGE-008",
        )
    return {item["id"] for item in listing}, listing


@pytest.mark.requirement("FN-PAGE-008")
def test_trigger_list_filters_by_app_fn_and_name_combine(
    fn: FnClient, make: Factory, names: Names
) -> None:
    app, other_app = make.app(), make.app()
    first, second, stranger = make.fn(app), make.fn(app), make.fn(other_app)
    shared, single = names.trigger(), names.trigger()
    t = {
        "first-shared": make.trigger(app, first, name=shared)["id"],
        "first-single": make.trigger(app, first, name=single)["id"],
        "second-shared": make.trigger(app, second, name=shared)["id"],
        "stranger-shared": make.trigger(other_app, stranger, name=shared)["id"],
    }
    cases = [
        ({"app_id": app["id"], "fn_id": first["id"], "name": shared}, {"first-shared"}),
        ({"app_id": app["id"], "name": shared}, {"first-shared", "second-shared"}),
        ({"app_id": app["id"], "fn_id": first["id"]}, {"first-shared", "first-single"}),
        ({"app_id": app["id"], "fn_id": second["id"], "name": single}, set()),
        ({"app_id": app["id"], "fn_id": stranger["id"]}, set()),
        ({"app_id": other_app["id"], "name": shared}, {"stranger-shared"}),
    ]
    for filters, expected in cases:
        listed, _ = _ids_listed(fn.list_triggers, **filters)
        expect.equal(listed, {t[k] for k in expected}, f"triggers for {filters}", req="FN-PAGE-008")


@pytest.mark.requirement("FN-PAGE-008")
def test_fn_list_filters_by_app_and_name_combine(fn: FnClient, make: Factory, names: Names) -> None:
    app, other_app = make.app(), make.app()
    name = names.fn()
    mine = make.fn(app, name=name)
    make.fn(app, name=f"{name}-1")
    theirs = make.fn(other_app, name=name)
    cases = [
        ({"app_id": app["id"], "name": name}, {mine["id"]}),
        ({"app_id": other_app["id"], "name": name}, {theirs["id"]}),
        ({"app_id": app["id"], "name": name[:-1]}, set()),
    ]
    for filters, expected in cases:
        listed, _ = _ids_listed(fn.list_fns, **filters)
        expect.equal(listed, expected, f"fns for {filters}", req="FN-PAGE-008")


@pytest.mark.requirement("FN-PAGE-008")
def test_app_list_name_filter_matches_the_exact_name_only(
    fn: FnClient, make: Factory, names: Names
) -> None:
    name = names.app()
    exact = make.app(name=name)
    longer = make.app(name=f"{name}-1")
    ours = {exact["id"], longer["id"]}
    for query, expected in [(name, {exact["id"]}), (f"{name}-1", {longer["id"]})]:
        listed, _ = _ids_listed(fn.list_apps, name=query)
        expect.equal(listed, expected, f"apps named {query!r}", req="FN-PAGE-008")
    for query in (name[:-1], name.upper()):
        listed, _ = _ids_listed(fn.list_apps, name=query)
        expect.equal(listed & ours, set(), f"our apps listed for name {query!r}", req="FN-PAGE-008")
