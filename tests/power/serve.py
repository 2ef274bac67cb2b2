"""``python -m tests.power.serve NAME``: serve the reference server with variant NAME applied.

Settings come from the environment exactly as for ``python -m reference_impl`` (FN_PORT,
FN_DB_URL, FN_MAX_REQUEST_SIZE, ...); the variant's patches run before the app is built and its
ASGI wrapper, if any, goes around the finished app.
"""

from __future__ import annotations

import sys

import uvicorn


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.power.serve VARIANT", file=sys.stderr)
        return 2
    from .variants import by_name

    try:
        variant = by_name(args[0])
    except KeyError as exc:
        print(f"tests.power.serve: {exc.args[0]}", file=sys.stderr)
        return 2
    if variant.apply is not None:
        variant.apply()
    # Imported after the patches on purpose: they may replace Settings.from_env.
    from reference_impl import create_app
    from reference_impl.config import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    asgi = variant.wrap(app) if variant.wrap is not None else app
    uvicorn.run(
        asgi,
        host=settings.bind_address,
        port=settings.port,
        log_level="warning" if settings.log_level in ("debug", "info") else "error",
        access_log=False,
        server_header=False,
        http=variant.http,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
