"""The route table: every path and method the reference serves, named by operationId."""

from __future__ import annotations

from starlette.routing import Route

from ..config import Settings
from . import apps, fns, hybrid, invoke, status, triggers

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def management_routes() -> list[Route]:
    return [
        Route("/", status.root, methods=["GET"], name="getRoot"),
        Route("/version", status.version, methods=["GET"], name="getVersion"),
        Route("/metrics", status.metrics, methods=["GET"], name="getMetrics"),
        Route("/v2/apps", apps.list_apps, methods=["GET"], name="listApps"),
        Route("/v2/apps", apps.create_app, methods=["POST"], name="createApp"),
        Route("/v2/apps/{app_id}", apps.get_app, methods=["GET"], name="getApp"),
        Route("/v2/apps/{app_id}", apps.update_app, methods=["PUT"], name="updateApp"),
        Route("/v2/apps/{app_id}", apps.delete_app, methods=["DELETE"], name="deleteApp"),
        Route("/v2/fns", fns.list_fns, methods=["GET"], name="listFns"),
        Route("/v2/fns", fns.create_fn, methods=["POST"], name="createFn"),
        Route("/v2/fns/{fn_id}", fns.get_fn, methods=["GET"], name="getFn"),
        Route("/v2/fns/{fn_id}", fns.update_fn, methods=["PUT"], name="updateFn"),
        Route("/v2/fns/{fn_id}", fns.delete_fn, methods=["DELETE"], name="deleteFn"),
        Route("/v2/triggers", triggers.list_triggers, methods=["GET"], name="listTriggers"),
        Route("/v2/triggers", triggers.create_trigger, methods=["POST"], name="createTrigger"),
        Route("/v2/triggers/{trigger_id}", triggers.get_trigger, methods=["GET"], name="getTrigger"),
        Route(
            "/v2/triggers/{trigger_id}", triggers.update_trigger, methods=["PUT"],
            name="updateTrigger",
        ),  # fmt: skip
        Route(
            "/v2/triggers/{trigger_id}", triggers.delete_trigger, methods=["DELETE"],
            name="deleteTrigger",
        ),  # fmt: skip
        Route(
            "/v2/runner/apps/{app_id}/triggerBySource/{trigger_type}/{source:path}",
            hybrid.get_trigger_by_source, methods=["GET"], name="getTriggerBySource",
        ),  # fmt: skip
    ]


def invoke_routes() -> list[Route]:
    return [
        Route("/invoke/{fn_id}", invoke.invoke_fn, methods=["POST"], name="invokeFn"),
        Route("/t/{app_name}", invoke.invoke_http_trigger, methods=ALL_METHODS, name="invokeHttpTrigger"),
        Route(
            "/t/{app_name}/{source:path}", invoke.invoke_http_trigger, methods=ALL_METHODS,
            name="invokeHttpTriggerSource",
        ),  # fmt: skip
    ]


def routes_for(settings: Settings) -> list[Route]:
    table = management_routes()
    if settings.serves_invoke:
        table += invoke_routes()
    return table


__all__ = ["routes_for"]
