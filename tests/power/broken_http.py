"""Broken variants, part 2: HTTP behaviour (listing, errors, routing, input, limits).

Each function breaks ONE rule of the reference server; see :mod:`tests.power.broken_rules`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from reference_impl import errors
from reference_impl.api import apps, fns, http, paging, triggers
from reference_impl.datastore import sql

from . import _patch
from ._patch import replace, wrap

# -- listing ------------------------------------------------------------------------------


def per_page_not_clamped() -> None:
    replace(paging, "MAX_PER_PAGE", 10**6)


def _page(change: Any) -> None:
    def make(original: Any) -> Any:
        def page(self: Any, items: list[Any], last: Any) -> dict[str, object]:
            body: dict[str, object] = original(self, items, last)
            change(body)
            return body

        return page

    wrap(paging.Paging, "page", make)


def items_null_when_empty() -> None:
    _page(lambda body: body.update(items=None) if not body["items"] else None)


def no_next_cursor() -> None:
    _page(lambda body: body.pop("next_cursor", None))


def cursor_skips_one() -> None:
    """Every page after the first starts one item late."""

    def make(original: Any) -> Any:
        def listing(self: Any, flt: Any, *, after: Any, limit: int) -> list[Any]:
            if after is None:
                return list(original(self, flt, after=after, limit=limit))
            return list(original(self, flt, after=after, limit=limit + 1))[1:]

        return listing

    for name in ("list_apps", "list_fns", "list_triggers"):
        wrap(sql.SqlDatastore, name, make)


def cursor_by_name_only() -> None:
    def after(self: Any, key: Any) -> Any:
        if key is not None:
            self.clauses.append("name > ?")
            self.params.append(key[0])
        return self

    replace(sql._Query, "after", after)


def order_case_insensitive() -> None:
    def after(self: Any, key: Any) -> Any:
        if key is not None:
            self.clauses.append(
                "(lower(name) > lower(?) OR (lower(name) = lower(?) AND "
                "(name > ? OR (name = ? AND id > ?))))"
            )
            self.params.extend([key[0], key[0], key[0], key[0], key[1]])
        return self

    def render(self: Any, table: str, columns: str, limit: int) -> tuple[str, list[Any]]:
        where = f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""
        statement = f"SELECT {columns} FROM {table}{where} ORDER BY lower(name), name, id LIMIT ?"
        return statement, [*self.params, limit]

    replace(sql._Query, "after", after)
    replace(sql._Query, "render", render)


class _CursorCrash(Exception):
    """Raised where the reference raises InvalidCursor, so it becomes a 500."""


def bad_cursor_crashes() -> None:
    replace(paging, "InvalidCursor", _CursorCrash)


# -- errors and routing -------------------------------------------------------------------


def errors_typed_text_plain() -> None:
    def error_response(error: errors.FnError) -> Response:
        body = JSONResponse({"message": error.message}).body
        return Response(body, status_code=error.status, media_type="text/plain")

    replace(http, "error_response", error_response)


def error_body_doubled() -> None:
    def error_response(error: errors.FnError) -> Response:
        body = bytes(JSONResponse({"message": error.message}).body)
        return Response(body * 2, status_code=error.status, media_type="application/json")

    replace(http, "error_response", error_response)


def invalid_json_typed_text_plain() -> None:
    def make(original: Any) -> Any:
        def error_response(error: errors.FnError) -> Response:
            if isinstance(error, errors.InvalidJSON):
                body = JSONResponse({"message": error.message}).body
                return Response(body, status_code=error.status, media_type="text/plain")
            response: Response = original(error)
            return response

        return error_response

    wrap(http, "error_response", make)


def _routing_error(change: Any) -> None:
    import reference_impl.app as app_module

    def make(original: Any) -> Any:
        async def handle(request: Any, exc: Exception) -> Response:
            changed: Response | None = change(exc)
            if changed is not None:
                return changed
            response: Response = await original(request, exc)
            return response

        return handle

    wrap(app_module, "handle_http_exception", make)


def unknown_path_html() -> None:
    html = "<html><body><h1>404 Not Found</h1></body></html>"
    _routing_error(
        lambda exc: (
            HTMLResponse(html, status_code=404)
            if isinstance(exc, HTTPException) and exc.status_code == 404
            else None
        )
    )


def wrong_method_answers_404() -> None:
    def change(exc: Exception) -> Response | None:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return http.error_response(errors.PathNotFound("Path not found"))
        return None

    _routing_error(change)


def invalid_json_answers_500() -> None:
    def make(original: Any) -> Any:
        async def read_json(request: Any) -> Any:
            try:
                return await original(request)
            except errors.InvalidJSON as exc:
                raise RuntimeError("cannot parse") from exc

        return read_json

    for module in (apps, fns, triggers):
        wrap(module, "read_json", make)


# -- limits -------------------------------------------------------------------------------


def request_size_limit_ignored() -> None:
    """FN_MAX_REQUEST_SIZE is set and announced, but the server never applies it."""
    from reference_impl.config import Settings

    original = Settings.from_env

    def from_env(cls: Any, environ: Any = None) -> Settings:
        return dataclasses.replace(original(environ), max_request_size=0)

    replace(Settings, "from_env", classmethod(from_env))


def app_success_typed_text_plain() -> None:
    def render(content: Any, *, status: int = 200) -> Response:
        body = JSONResponse(content).body
        return Response(body, status_code=status, media_type="text/plain")

    replace(apps, "render", render)


def version_without_version() -> None:
    async def version(request: Any) -> Response:
        return JSONResponse({"name": "fn"})

    _patch.endpoint("getVersion", lambda original: version)


def per_page_zero_means_one() -> None:
    def make(original: Any) -> Any:
        def per_page(params: Any) -> int:
            try:
                value = int(params.get("per_page", ""))
            except ValueError:
                return int(original(params))
            return 1 if value <= 0 else int(original(params))

        return per_page

    wrap(paging, "per_page", make)


def integer_strings_coerced() -> None:
    """Numeric strings are accepted where the contract wants JSON integers."""
    from reference_impl.models import validation

    def make(original: Any) -> Any:
        def integer(self: Any, key: str) -> int | None:
            value = self._data.get(key) if isinstance(self._data, dict) else None
            if isinstance(value, str) and value.strip().isdigit():
                return int(value)
            result: int | None = original(self, key)
            return result

        return integer

    wrap(validation.Body, "integer", make)
