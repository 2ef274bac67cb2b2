"""Broken variants, part 3: a rule each for the MUSTs parts 1 and 2 leave uncovered, and targets
that die, wedge, or break two rules in one answer.

As in the other parts, each function breaks ONE rule, replacing the smallest unit that holds it
(a model check, a datastore rule, one handler in the route table) before ``create_app()``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from typing import Any

import anyio
from starlette.responses import JSONResponse, Response

from reference_impl import errors
from reference_impl.api import http
from reference_impl.models import app as app_model
from reference_impl.models import fn as fn_model
from reference_impl.models import trigger as trigger_model
from reference_impl.models import validation

from . import _patch
from ._patch import replace, wrap

# -- annotations ---------------------------------------------------------------------------


def array_annotations_dropped_on_read() -> None:
    """Annotation values that are arrays are accepted, but reads leave them out."""

    def make(original: Any) -> Any:
        def entity_json(request: Any, entity: Any) -> Any:
            body = original(request, entity)
            kept = {k: v for k, v in body["annotations"].items() if not isinstance(v, list)}
            body["annotations"] = kept
            return body

        return entity_json

    _patch.wrap_everywhere("entity_json", make)


def annotation_value_size_unbounded() -> None:
    replace(validation, "MAX_ANNOTATION_VALUE_BYTES", 10**6)


# -- apps ------------------------------------------------------------------------------------


def app_without_name_gets_one() -> None:
    """A create without a name is given a made-up one instead of being refused."""

    def make(original: Any) -> Any:
        def check(name: str | None) -> str:
            return str(original(name or f"unnamed-{os.urandom(4).hex()}"))

        return check

    wrap(app_model, "check_app_name", make)


def app_put_of_missing_answers_200() -> None:
    _patch.stub_when_missing("updateApp", errors.AppNotFound, "app_id")


def fn_get_of_missing_answers_200() -> None:
    _patch.stub_when_missing("getFn", errors.FnNotFound, "fn_id")


def trigger_get_of_missing_answers_200() -> None:
    _patch.stub_when_missing("getTrigger", errors.TriggerNotFound, "trigger_id")


# -- errors and routing ----------------------------------------------------------------------


def unknown_path_answers_400() -> None:
    def make(original: Any) -> Any:
        async def handle(request: Any, exc: Any) -> Response:
            response: Response = await original(request, exc)
            if response.status_code == 404:
                return JSONResponse({"message": "Bad request"}, status_code=400)
            return response

        return handle

    _patch.wrap_everywhere("handle_http_exception", make)


def unparseable_json_answers_422() -> Any:
    """An ASGI wrapper: a body that does not parse as JSON is answered 422 (not 400)."""

    def middleware(app: Any) -> Any:
        async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
                await app(scope, receive, send)
                return
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            try:
                json.loads(body)
            except ValueError:
                response = JSONResponse({"message": "Unprocessable"}, status_code=422)
                await response(scope, receive, send)
                return
            replayed = False

            async def replay() -> dict[str, Any]:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await app(scope, replay, send)

        return asgi

    return middleware


def created_at_as_epoch_number() -> None:
    """Timestamps of apps are rendered as numbers (the schema says strings)."""
    from reference_impl.models.app import App

    def make(original: Any) -> Any:
        def to_json(self: Any) -> Any:
            body = original(self)
            body["created_at"] = 1700000000
            return body

        return to_json

    wrap(App, "to_json", make)


# -- fns -------------------------------------------------------------------------------------


def fn_create_ignores_id() -> None:
    _patch.model_ignores("fn_from_create", "id")


def fn_image_defaults() -> None:
    """A fn created without an image gets a default image instead of a 400."""
    import reference_impl.models as models

    def make(original: Any) -> Any:
        def create(data: Any, **kw: Any) -> Any:
            if isinstance(data, dict) and not data.get("image"):
                data = {**data, "image": "library/default:latest"}
            return original(data, **kw)

        return create

    wrap(models, "fn_from_create", make)


def fn_name_accepts_unicode() -> None:
    replace(fn_model, "is_fn_name", lambda name: validation.is_unicode_name(name.strip("$&+.:=@~")))


def fn_unknown_app_answers_400() -> None:
    """A valid fn for an unknown app is refused with 400 instead of 404."""
    from reference_impl.datastore import sql

    def make(original: Any) -> Any:
        def parent(self: Any, db: Any, app_id: str) -> str:
            try:
                return str(original(self, db, app_id))
            except errors.AppNotFound:
                raise errors.BadRequest("Invalid app") from None

        return parent

    wrap(sql.SqlDatastore, "_parent_app", make)


def fn_put_keeps_image() -> None:
    import reference_impl.models as models

    def make(original: Any) -> Any:
        def update(current: Any, data: Any, **kw: Any) -> Any:
            return dataclasses.replace(original(current, data, **kw), image=current.image)

        return update

    wrap(models, "fn_from_update", make)


def null_put_body_changes_nothing() -> None:
    """A PUT with a null body is an empty change (200), as upstream does."""
    import reference_impl.models as models

    for name in ("app_from_update", "fn_from_update", "trigger_from_update"):
        wrap(models, name, lambda original: lambda current, data, **kw: original(
            current, {} if data is None else data, **kw))  # fmt: skip


# -- triggers --------------------------------------------------------------------------------


def trigger_create_answer_without_source() -> None:
    def make(original: Any) -> Any:
        async def create_trigger(request: Any) -> Response:
            response: Response = await original(request)
            if response.status_code != 200:
                return response
            body = json.loads(bytes(response.body))
            body.pop("source", None)
            return JSONResponse(body)

        return create_trigger

    _patch.endpoint("createTrigger", make)


def trigger_create_ignores_created_at() -> None:
    _patch.model_ignores("trigger_from_create", "created_at")


def trigger_source_without_slash() -> None:
    def make(original: Any) -> Any:
        def check(source: str | None) -> str:
            if source and not source.startswith("/"):
                return source
            return str(original(source))

        return check

    wrap(trigger_model, "_check_source", make)


def trigger_name_accepts_dot() -> None:
    def make(original: Any) -> Any:
        return lambda name: original(name.replace(".", "_") if name else name)

    wrap(trigger_model, "_check_name", make)


def trigger_put_ignores_body_id() -> None:
    _patch.model_ignores("trigger_from_update", "id")


def trigger_list_name_overrides_fn_filter() -> None:
    """Listing triggers by fn_id and name filters by name only."""
    from reference_impl.datastore import sql

    def make(original: Any) -> Any:
        def list_triggers(self: Any, flt: Any, **kw: Any) -> Any:
            if flt.name is not None:
                flt = dataclasses.replace(flt, fn_id=None)
            return original(self, flt, **kw)

        return list_triggers

    wrap(sql.SqlDatastore, "list_triggers", make)


# -- targets that die, wedge, or break two rules at once -------------------------------------


def exits_on_nul_in_path() -> None:
    """The process exits on a path id with a NUL character (as upstream 0.3.753 does)."""

    def make(original: Any) -> Any:
        async def get_app(request: Any) -> Response:
            if "\x00" in request.path_params["app_id"]:
                os._exit(1)
            response: Response = await original(request)
            return response

        return get_app

    _patch.endpoint("getApp", make)


def wedges_on_null_annotation() -> None:
    """A PUT with a null annotation value answers 500 and every later datastore request hangs,
    while ``/`` still answers (as upstream 0.3.753 does with its open transaction)."""
    wedged = threading.Event()

    def make_store(original: Any) -> Any:
        async def store(request: Any, method: Any, *args: Any) -> Any:
            if wedged.is_set():
                await anyio.sleep_forever()
            return await original(request, method, *args)

        return store

    def make_update(original: Any) -> Any:
        async def update_app(request: Any) -> Response:
            body = await request.body()
            try:
                annotations = json.loads(body).get("annotations") or {}
            except (ValueError, AttributeError):
                annotations = {}
            if isinstance(annotations, dict) and None in annotations.values():
                wedged.set()
                return JSONResponse({"message": "internal server error"}, status_code=500)
            response: Response = await original(request)
            return response

        return update_app

    _patch.wrap_everywhere("store", make_store)
    _patch.endpoint("updateApp", make_update)


def fn_put_doubles_error_and_updates_other() -> None:
    """A fn PUT whose body names another fn updates that one and answers 400 with two JSON
    documents (as upstream does): two faults in one answer, FN-FN-010 and FN-ERR-003."""

    def make(original: Any) -> Any:
        async def update_fn(request: Any) -> Response:
            body = await request.body()
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            path_id = request.path_params["fn_id"]
            if isinstance(data, dict) and data.get("id") and data["id"] != path_id:
                store = http.context(request).datastore
                message = {"message": "Fn ID in path does not match that in body"}
                try:
                    other = store.get_fn(data["id"])
                    changed = {k: v for k, v in data.items() if k in ("image", "memory")}
                    store.update_fn(dataclasses.replace(other, **changed))
                    second = {"message": "updated"}
                except errors.FnNotFound:
                    second = {"message": "Fn not found"}
                text = json.dumps(message) + "\n" + json.dumps(second) + "\n"
                return Response(text, status_code=400, media_type="application/json")
            response: Response = await original(request)
            return response

        return update_fn

    _patch.endpoint("updateFn", make)


__all__ = [name for name in dir() if not name.startswith("_")]
