"""/v2/triggers handlers. Reads carry the ``fnproject.io/trigger/httpEndpoint`` annotation."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from .. import ids, models
from ..datastore import Datastore, TriggerFilter
from ..errors import BadRequest
from ..models import Trigger
from ..types import JSONObject
from .http import (
    context,
    entity_json,
    no_content,
    public_base,
    read_json,
    read_modify_write,
    render,
    store,
)
from .paging import Paging

HTTP_ENDPOINT = "fnproject.io/trigger/httpEndpoint"


def trigger_json(request: Request, trigger: Trigger, app_name: str) -> JSONObject:
    body = entity_json(request, trigger)
    if trigger.type == "http":
        path = quote(f"/t/{app_name}{trigger.source}", safe="/-_.~!$&'()*+,;=:@")
        body["annotations"][HTTP_ENDPOINT] = f"{public_base(request)}{path}"
    return body


def _app_name(ds: Datastore, app_id: str) -> str:
    return ds.get_app(app_id).name


async def _render(request: Request, trigger: Trigger) -> Response:
    name = await store(request, _app_name, context(request).datastore, trigger.app_id)
    return render(trigger_json(request, trigger, name))


async def create_trigger(request: Request) -> Response:
    data = await read_json(request)
    trigger = models.trigger_from_create(data, trigger_id=ids.new_id(), now=models.utc_now())
    created = await store(request, context(request).datastore.create_trigger, trigger)
    return await _render(request, created)


async def get_trigger(request: Request) -> Response:
    trigger_id = request.path_params["trigger_id"]
    trigger = await store(request, context(request).datastore.get_trigger, trigger_id)
    return await _render(request, trigger)


async def update_trigger(request: Request) -> Response:
    trigger_id = request.path_params["trigger_id"]
    ds = context(request).datastore
    updated = await read_modify_write(
        request, trigger_id, ds.get_trigger, models.trigger_from_update, ds.update_trigger
    )
    return await _render(request, updated)


async def delete_trigger(request: Request) -> Response:
    trigger_id = request.path_params["trigger_id"]
    await store(request, context(request).datastore.delete_trigger, trigger_id)
    return no_content()


async def list_triggers(request: Request) -> Response:
    params = request.query_params
    app_id = params.get("app_id")
    if not app_id:
        raise BadRequest("Missing App ID on Trigger")
    paging = Paging(request)
    flt = TriggerFilter(
        app_id=app_id, fn_id=params.get("fn_id") or None, name=params.get("name") or None
    )
    ds = context(request).datastore

    def load() -> tuple[list[Trigger], str]:
        found = ds.list_triggers(flt, after=paging.after, limit=paging.limit)
        return found, (_app_name(ds, app_id) if found else "")

    triggers, app_name = await store(request, load)
    last = (triggers[-1].name, triggers[-1].id) if triggers else None
    return render(paging.page([trigger_json(request, t, app_name) for t in triggers], last))
