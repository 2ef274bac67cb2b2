"""/, /version and /metrics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..version import __version__
from .http import render


async def root(request: Request) -> Response:
    return render({"hello": "world!", "goto": "https://fnproject.io"})


async def version(request: Request) -> Response:
    return render({"version": __version__})


async def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.exposition()
    return Response(body, media_type=content_type)
