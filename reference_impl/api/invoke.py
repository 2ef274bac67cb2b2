"""/invoke/{fn_id} and /t/{app_name}{source}: resolve the target, hand it to the agent.

This node runs no agent yet, so a call that resolves to a function is answered with 501 after
every lookup (404 for an unknown fn, app or trigger) has been made.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..errors import FnError
from .http import context, store


class AgentUnavailable(FnError):
    status = 501
    message = "This node has no agent to run functions"


async def invoke_fn(request: Request) -> Response:
    await store(request, context(request).datastore.get_fn, request.path_params["fn_id"])
    raise AgentUnavailable()


async def invoke_http_trigger(request: Request) -> Response:
    ds = context(request).datastore
    app = await store(request, ds.get_app_by_name, request.path_params["app_name"])
    source = "/" + request.path_params.get("source", "")
    trigger = await store(request, ds.get_trigger_by_source, app.id, "http", source)
    await store(request, ds.get_fn, trigger.fn_id)
    raise AgentUnavailable()
