"""The route table: every operation the reference serves, as data, named by operationId.

Operations on one path share a starlette Route that dispatches on the method, so an unserved
method on a known path is a 405 whose ``Allow`` header lists every method of that path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..config import Settings
from . import apps, fns, hybrid, invoke, status, triggers

Endpoint = Callable[[Request], Awaitable[Response]]
TRIGGER_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


#: The node types (FN_NODE_TYPE) that serve each kind of operation: management and the
#: hybrid read API where the datastore is, invoke where calls are run or placed; a pure
#: runner serves only /, /version and /metrics over HTTP (calls come over gRPC).
EVERY_NODE = frozenset({"api", "full", "lb", "pure-runner"})
MANAGEMENT = frozenset({"api", "full"})
HYBRID_READ = frozenset({"api", "full"})
INVOKE = frozenset({"full", "lb"})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint
    operation_id: str
    nodes: frozenset[str] = MANAGEMENT  # the node types that serve it


def _trigger_operations(path: str, base_id: str) -> list[Operation]:
    return [
        Operation(
            m,
            path,
            invoke.invoke_http_trigger,
            base_id if m == "GET" else base_id + m.capitalize(),
            nodes=INVOKE,
        )
        for m in TRIGGER_METHODS
    ]


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/", status.root, "getRoot", EVERY_NODE),
    Operation("GET", "/version", status.version, "getVersion", EVERY_NODE),
    Operation("GET", "/metrics", status.metrics, "getMetrics", EVERY_NODE),
    Operation("GET", "/v2/apps", apps.list_apps, "listApps"),
    Operation("POST", "/v2/apps", apps.create_app, "createApp"),
    Operation("GET", "/v2/apps/{app_id}", apps.get_app, "getApp"),
    Operation("PUT", "/v2/apps/{app_id}", apps.update_app, "updateApp"),
    Operation("DELETE", "/v2/apps/{app_id}", apps.delete_app, "deleteApp"),
    Operation("GET", "/v2/fns", fns.list_fns, "listFns"),
    Operation("POST", "/v2/fns", fns.create_fn, "createFn"),
    Operation("GET", "/v2/fns/{fn_id}", fns.get_fn, "getFn"),
    Operation("PUT", "/v2/fns/{fn_id}", fns.update_fn, "updateFn"),
    Operation("DELETE", "/v2/fns/{fn_id}", fns.delete_fn, "deleteFn"),
    Operation("GET", "/v2/triggers", triggers.list_triggers, "listTriggers"),
    Operation("POST", "/v2/triggers", triggers.create_trigger, "createTrigger"),
    Operation("GET", "/v2/triggers/{trigger_id}", triggers.get_trigger, "getTrigger"),
    Operation("PUT", "/v2/triggers/{trigger_id}", triggers.update_trigger, "updateTrigger"),
    Operation("DELETE", "/v2/triggers/{trigger_id}", triggers.delete_trigger, "deleteTrigger"),
    Operation(
        "GET",
        "/v2/runner/apps/{app_id}/triggerBySource/{trigger_type}/{source:path}",
        hybrid.get_trigger_by_source,
        "getTriggerBySource",
        HYBRID_READ,
    ),
    Operation("POST", "/invoke/{fn_id}", invoke.invoke_fn, "invokeFn", INVOKE),
    *_trigger_operations("/t/{app_name}", "invokeHttpTrigger"),
    *_trigger_operations("/t/{app_name}/{source:path}", "invokeHttpTriggerSource"),
)


def operations_for(settings: Settings) -> list[Operation]:
    return [op for op in OPERATIONS if settings.node_type in op.nodes]


def _dispatcher(by_method: dict[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        endpoint = by_method.get(request.method) or by_method["GET"]  # HEAD falls back to GET
        return await endpoint(request)

    return dispatch


def routes_for(settings: Settings) -> list[Route]:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for op in operations_for(settings):
        grouped.setdefault(op.path, {})[op.method] = op.endpoint
    return [
        Route(path, _dispatcher(by_method), methods=list(by_method))
        for path, by_method in grouped.items()
    ]


__all__ = ["INVOKE", "MANAGEMENT", "OPERATIONS", "Operation", "operations_for", "routes_for"]
