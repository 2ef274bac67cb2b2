"""Datastores: pick a backend from the ``FN_DB_URL`` scheme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .annotated import AnnotatingDatastore
from .base import AppFilter, Datastore, FnFilter, ListKey, TriggerFilter

SQLITE_SCHEMES = ("sqlite3://", "sqlite://")
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def open_datastore(url: str, *, extra_annotations: Mapping[str, Any] | None = None) -> Datastore:
    """Open (and migrate) the datastore at ``url``.

    ``sqlite3:///abs/path.db`` makes the file and its directories; ``sqlite3://:memory:`` is a
    private in-memory database; ``postgres://user:pw@host:port/db`` uses PostgreSQL.
    """
    store: Datastore
    if url.startswith(SQLITE_SCHEMES):
        from .sqlite import open_sqlite

        path = url.split("://", 1)[1]
        if not path:
            raise ConfigError(f"FN_DB_URL has no path: {url!r}")
        store = open_sqlite(path)
    elif url.startswith(POSTGRES_SCHEMES):
        from .postgres import open_postgres

        store = open_postgres(url)
    else:
        raise ConfigError(f"FN_DB_URL scheme not supported (sqlite3, postgres): {url!r}")
    if extra_annotations:
        store = AnnotatingDatastore(store, extra_annotations)
    return store


__all__ = ["AppFilter", "Datastore", "FnFilter", "ListKey", "TriggerFilter", "open_datastore"]
