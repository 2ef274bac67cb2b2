"""Broken variants, part 1: entity rules (apps, fns, triggers, deletes, annotations).

Each function breaks ONE rule of the reference server. It is called once in a fresh server
process before ``create_app()`` and replaces attributes of ``reference_impl`` modules, models
or the SQL datastore (see :mod:`tests.power._patch`); handlers and models look those up at
call time. Handlers themselves are bound in the route table, so they are replaced there.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from starlette.responses import JSONResponse, Response

from reference_impl import errors
from reference_impl.api import apps, fns, http, triggers
from reference_impl.datastore import sql
from reference_impl.models import app as app_model
from reference_impl.models import fn as fn_model

from . import _patch
from ._patch import replace, wrap

# -- deletes ------------------------------------------------------------------------------


def delete_answers_200_with_json() -> None:
    for module in (apps, fns, triggers):
        replace(module, "no_content", lambda: JSONResponse({"deleted": True}))


def _no_rule(*_: Any, **__: Any) -> None:
    """A datastore rule that lets everything through."""


def app_delete_keeps_children() -> None:
    _patch.sqlite_foreign_keys_off()
    replace(sql.SqlDatastore, "_delete_app_children", _no_rule)


def fn_delete_keeps_triggers() -> None:
    _patch.sqlite_foreign_keys_off()
    replace(sql.SqlDatastore, "_delete_fn_children", _no_rule)


# -- apps ---------------------------------------------------------------------------------


def missing_app_answers_200() -> None:
    _patch.stub_when_missing("getApp", errors.AppNotFound, "app_id")


def app_name_accepts_dot() -> None:
    wrap(app_model, "is_unicode_name", lambda original: lambda n: original(n.replace(".", "_")))


def app_name_length_unbounded() -> None:
    replace(app_model, "name_too_long", lambda name: False)


def _without(data: Any, key: str) -> Any:
    return {k: v for k, v in data.items() if k != key} if isinstance(data, dict) else data


def app_create_ignores_id() -> None:
    _patch.model_ignores("app_from_create", "id")


def app_put_ignores_body_id() -> None:
    _patch.model_ignores("app_from_update", "id")


def app_put_renames() -> None:
    import reference_impl.models as models

    def make(original: Any) -> Any:
        def update(current: Any, data: Any, *, path_id: str, now: str) -> Any:
            name = data.get("name") if isinstance(data, dict) else None
            if not isinstance(name, str) or not name or name == current.name:
                return original(current, data, path_id=path_id, now=now)
            updated = original(current, _without(data, "name"), path_id=path_id, now=now)
            return dataclasses.replace(updated, name=name, updated_at=now)

        return update

    wrap(models, "app_from_update", make)


def app_config_put_replaces() -> None:
    from reference_impl.models import merge

    wrap(merge, "merge_config", lambda original: lambda current, change: original({}, change))


def app_duplicate_name_returns_existing() -> None:
    def make(original: Any) -> Any:
        def create_app(self: Any, app: Any) -> Any:
            try:
                return original(self, app)
            except errors.AppAlreadyExists:
                return self.get_app_by_name(app.name)

        return create_app

    wrap(sql.SqlDatastore, "create_app", make)


def app_name_filter_matches_prefix() -> None:
    def name(self: Any, value: str | None) -> Any:
        if value is not None:
            self.clauses.append("substr(name, 1, ?) = ?")
            self.params.extend([len(value), value])
        return self

    replace(sql._Query, "name", name)


# -- fns ----------------------------------------------------------------------------------


def fn_default_memory_256() -> None:
    replace(fn_model, "DEFAULT_MEMORY", 256)


def fn_memory_unbounded() -> None:
    replace(fn_model, "MAX_MEMORY", 2**31)


def fn_config_null_on_read() -> None:
    def make(original: Any) -> Any:
        def fn_json(request: Any, fn: Any) -> Any:
            body = original(request, fn)
            if request.method == "GET" and not body["config"]:
                body["config"] = None
            return body

        return fn_json

    wrap(fns, "fn_json", make)


def fn_put_ignores_body_id() -> None:
    _patch.model_ignores("fn_from_update", "id")


def fn_list_without_app_id_lists_nothing() -> None:
    def make(original: Any) -> Any:
        async def list_fns(request: Any) -> Response:
            if not request.query_params.get("app_id"):
                return JSONResponse({"items": []})
            response: Response = await original(request)
            return response

        return list_fns

    _patch.endpoint("listFns", make)


def fn_put_renames() -> None:
    import reference_impl.models as models

    def make(original: Any) -> Any:
        def update(current: Any, data: Any, *, path_id: str, now: str) -> Any:
            updated = original(current, data, path_id=path_id, now=now)
            name = data.get("name") if isinstance(data, dict) else None
            if isinstance(name, str) and name and name != current.name:
                updated = dataclasses.replace(updated, name=name, updated_at=now)
            return updated

        return update

    wrap(models, "fn_from_update", make)


def fn_name_not_unique() -> None:
    replace(sql.SqlDatastore, "_fn_name_free", _no_rule)
    _patch.sqlite_fn_table_without_unique_name()


# -- triggers -----------------------------------------------------------------------------


def trigger_put_ignores_source_rule() -> None:
    """Creates keep the source rule; updates may move a trigger onto a taken source."""

    def make(original: Any) -> Any:
        def update_trigger(self: Any, trigger: Any) -> Any:
            self._trigger_source_free = _no_rule  # for this one update only
            try:
                return original(self, trigger)
            finally:
                del self._trigger_source_free

        return update_trigger

    wrap(sql.SqlDatastore, "update_trigger", make)
    _patch.sqlite_trigger_table(unique_source=False)


def trigger_list_ignores_fn_filter() -> None:
    def make(original: Any) -> Any:
        def list_triggers(self: Any, flt: Any, **kw: Any) -> Any:
            return original(self, dataclasses.replace(flt, fn_id=None), **kw)

        return list_triggers

    wrap(sql.SqlDatastore, "list_triggers", make)


def hybrid_lookup_ignores_app() -> None:
    def get_trigger_by_source(self: Any, app_id: str, type_: str, source: str) -> Any:
        statement = (
            f"SELECT {sql.TRIGGER_COLUMNS} FROM triggers WHERE type = ? AND source = ? "
            "ORDER BY id LIMIT 1"
        )
        return sql._trigger(self._one(statement, [type_, source], errors.TriggerNotFound))

    replace(sql.SqlDatastore, "get_trigger_by_source", get_trigger_by_source)


def trigger_source_not_unique() -> None:
    replace(sql.SqlDatastore, "_trigger_source_free", _no_rule)
    _patch.sqlite_trigger_table(unique_source=False)


def trigger_name_not_unique() -> None:
    replace(sql.SqlDatastore, "_trigger_name_free", _no_rule)
    _patch.sqlite_trigger_table(unique_name=False)


def trigger_fn_of_other_app_accepted() -> None:
    def make(original: Any) -> Any:
        def owned(self: Any, db: Any, trigger: Any) -> None:
            with contextlib.suppress(errors.BadRequest):  # the fn must exist, in any app
                original(self, db, trigger)

        return owned

    wrap(sql.SqlDatastore, "_trigger_fn_owned", make)


def hybrid_lookup_always_404() -> None:
    async def get_trigger_by_source(request: Any) -> Response:
        raise errors.TriggerNotFound()

    _patch.endpoint("getTriggerBySource", lambda original: get_trigger_by_source)


# -- annotations --------------------------------------------------------------------------


def annotations_put_replaces() -> None:
    from reference_impl.models import merge

    wrap(merge, "merge_annotations", lambda original: lambda current, change: original({}, change))


def annotation_count_unbounded() -> None:
    from reference_impl.models import validation

    replace(validation, "MAX_ANNOTATIONS", 10**6)


def annotation_key_with_space() -> None:
    import re

    from reference_impl.models import validation

    replace(validation, "_ANNOTATION_KEY", re.compile(r"^[ -~]+$"))


def null_annotation_value_crashes() -> None:
    """A null annotation value raises an unexpected error: 500 (as upstream does)."""
    from reference_impl.models import validation

    def make(original: Any) -> Any:
        def check(key: str, value: Any) -> None:
            if value is None:
                raise TypeError("annotation value is None")
            original(key, value)

        return check

    wrap(validation, "check_annotation_entry", make)


def delete_of_missing_answers_204() -> None:
    def make(original: Any) -> Any:
        def delete(self: Any, entity_id: str) -> None:
            with contextlib.suppress(errors.NotFound):
                original(self, entity_id)

        return delete

    for name in ("delete_app", "delete_fn", "delete_trigger"):
        wrap(sql.SqlDatastore, name, make)


def app_without_created_at() -> None:
    from reference_impl.models.app import App

    def make(original: Any) -> Any:
        def to_json(self: Any) -> Any:
            body = original(self)
            body.pop("created_at", None)
            return body

        return to_json

    wrap(App, "to_json", make)


def refused_app_create_leaves_app() -> None:
    """A create refused for a bad field still stores an app of that name."""
    import json

    from reference_impl import ids, models
    from reference_impl.models.app import App, check_app_name

    def make(original: Any) -> Any:
        async def create_app(request: Any) -> Response:
            raw = await request.body()  # cached: the handler reads it again
            try:
                response: Response = await original(request)
            except errors.BadRequest:
                try:
                    name = check_app_name(json.loads(raw).get("name"))
                    now = models.utc_now()
                    store = http.context(request).datastore
                    store.create_app(
                        App(id=ids.new_id(), name=name, created_at=now, updated_at=now)
                    )
                except (ValueError, AttributeError, TypeError, errors.FnError):
                    pass
                raise
            return response

        return create_app

    _patch.endpoint("createApp", make)
