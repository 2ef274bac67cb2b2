"""``fn-reference`` / ``python -m reference_impl``: serve the reference Fn server."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .config import Settings
from .errors import ConfigError

_LEVELS = {"debug": "debug", "info": "info", "warn": "warning", "warning": "warning",
           "error": "error", "fatal": "critical", "panic": "critical"}  # fmt: skip


def main() -> int:
    try:
        settings = Settings.from_env()
        logging.basicConfig(level=_LEVELS[settings.log_level].upper(), stream=sys.stderr)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"fn-reference: configuration error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=settings.bind_address,
        port=settings.port,
        log_level=_LEVELS[settings.log_level],
        access_log=settings.log_level == "debug",
        server_header=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
