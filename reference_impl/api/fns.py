"""/v2/fns handlers. Reads carry the ``fnproject.io/fn/invokeEndpoint`` annotation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import ids, models
from ..datastore import FnFilter
from ..errors import BadRequest
from ..models import Fn
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

INVOKE_ENDPOINT = "fnproject.io/fn/invokeEndpoint"


def fn_json(request: Request, fn: Fn) -> JSONObject:
    body = entity_json(request, fn)
    body["annotations"][INVOKE_ENDPOINT] = f"{public_base(request)}/invoke/{fn.id}"
    return body


async def create_fn(request: Request) -> Response:
    data = await read_json(request)
    fn = models.fn_from_create(data, fn_id=ids.new_id(), now=models.utc_now())
    created = await store(request, context(request).datastore.create_fn, fn)
    return render(fn_json(request, created))


async def get_fn(request: Request) -> Response:
    fn = await store(request, context(request).datastore.get_fn, request.path_params["fn_id"])
    return render(fn_json(request, fn))


async def update_fn(request: Request) -> Response:
    fn_id = request.path_params["fn_id"]
    ds = context(request).datastore
    updated = await read_modify_write(
        request, fn_id, ds.get_fn, models.fn_from_update, ds.update_fn
    )
    return render(fn_json(request, updated))


async def delete_fn(request: Request) -> Response:
    await store(request, context(request).datastore.delete_fn, request.path_params["fn_id"])
    return no_content()


async def list_fns(request: Request) -> Response:
    app_id = request.query_params.get("app_id")
    if not app_id:
        raise BadRequest("Missing AppID on Fn")
    paging = Paging(request)
    flt = FnFilter(app_id=app_id, name=request.query_params.get("name") or None)
    fns = await store(
        request,
        lambda: context(request).datastore.list_fns(flt, after=paging.after, limit=paging.limit),
    )
    last = (fns[-1].name, fns[-1].id) if fns else None
    return render(paging.page([fn_json(request, f) for f in fns], last))
