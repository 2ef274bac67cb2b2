"""``fn-reference`` / ``python -m reference_impl``: serve the reference Fn server."""

from __future__ import annotations

import logging
import os
import socket
import sys
from urllib.parse import urlsplit

# Function processes are forked while gRPC (lb, pure-runner) runs: its fork handlers are not
# needed (the child execs at once) and would log a line per container.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import uvicorn

from .app import create_app
from .config import Settings
from .errors import ConfigError
from .version import __version__

log = logging.getLogger("reference_impl")

_LEVELS = {"debug": "debug", "info": "info", "warn": "warning", "warning": "warning",
           "error": "error", "fatal": "critical", "panic": "critical"}  # fmt: skip


def main() -> int:
    try:
        settings = Settings.from_env()
        logging.basicConfig(level=_LEVELS[settings.log_level].upper(), stream=sys.stderr)
        app = create_app(settings)
        _check_address(settings)
    except ConfigError as exc:
        print(f"fn-reference: configuration error: {exc}", file=sys.stderr)
        return 2
    log.info(
        "fn-reference %s: %s node, datastore %s, serving http://%s:%d",
        __version__, settings.node_type, _redacted(settings.db_url), settings.bind_address,
        settings.port,
    )  # fmt: skip
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


def _redacted(url: str) -> str:
    """The datastore URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _check_address(settings: Settings) -> None:
    """Fail at start, in one line, when the address cannot be served."""
    with socket.socket(socket.AF_INET6 if ":" in settings.bind_address else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((settings.bind_address, settings.port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {settings.bind_address}:{settings.port} "
                f"(FN_BIND_ADDRESS, FN_PORT): {exc.strerror or exc}"
            ) from None


if __name__ == "__main__":
    sys.exit(main())
