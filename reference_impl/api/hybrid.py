"""The runner-facing read API that a hybrid runner or LB node uses to resolve triggers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .http import context, entity_json, render, store


async def get_trigger_by_source(request: Request) -> Response:
    """``/v2/runner/apps/{app_id}/triggerBySource/{type}/{source}``.

    The source is everything after ``{type}/``, so the stored source ``/foo`` is addressed as
    ``.../triggerBySource/http//foo``. The trigger is returned undecorated.
    """
    params = request.path_params
    trigger = await store(
        request,
        context(request).datastore.get_trigger_by_source,
        params["app_id"],
        params["trigger_type"],
        params["source"],
    )
    return render(entity_json(request, trigger))
