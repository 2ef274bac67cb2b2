"""/v2/apps handlers: parse, apply the model rules, persist, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import ids, models
from ..datastore import AppFilter
from .http import context, entity_json, no_content, read_json, read_modify_write, render, store
from .paging import Paging


async def create_app(request: Request) -> Response:
    data = await read_json(request)
    app = models.app_from_create(data, app_id=ids.new_id(), now=models.utc_now())
    created = await store(request, context(request).datastore.create_app, app)
    return render(entity_json(request, created))


async def get_app(request: Request) -> Response:
    app = await store(request, context(request).datastore.get_app, request.path_params["app_id"])
    return render(entity_json(request, app))


async def update_app(request: Request) -> Response:
    app_id = request.path_params["app_id"]
    ds = context(request).datastore
    updated = await read_modify_write(
        request, app_id, ds.get_app, models.app_from_update, ds.update_app
    )
    return render(entity_json(request, updated))


async def delete_app(request: Request) -> Response:
    await store(request, context(request).datastore.delete_app, request.path_params["app_id"])
    return no_content()


async def list_apps(request: Request) -> Response:
    paging = Paging(request)
    flt = AppFilter(name=request.query_params.get("name") or None)
    apps = await store(
        request,
        lambda: context(request).datastore.list_apps(flt, after=paging.after, limit=paging.limit),
    )
    last = (apps[-1].name, apps[-1].id) if apps else None
    return render(paging.page([entity_json(request, a) for a in apps], last))
