"""Fixtures for the reference server tests: one ``backend`` (and ``datastore``) per datastore.

Every test in ``test_contract.py`` runs against SQLite and against PostgreSQL. PostgreSQL
needs a server, named by ``FN_TEST_POSTGRES_URL``; ``.ci/postgres.sh`` starts a throwaway one.
Each PostgreSQL test gets a schema of its own (created here, selected through the URL's
``search_path`` option, migrated by the datastore, dropped afterwards), so tests never see
each other's rows.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference_impl.datastore import Datastore, open_datastore

POSTGRES_URL_ENV = "FN_TEST_POSTGRES_URL"
POSTGRES_SKIP = (
    'PostgreSQL tests skipped: set FN_TEST_POSTGRES_URL (e.g. eval "$(bash .ci/postgres.sh)")'
)


class Backend:
    """A datastore location that tests can open more than once (to reopen, or to race)."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self._opened: list[Datastore] = []

    def open(self) -> Datastore:
        store = open_datastore(self.url)
        self._opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self._opened:
            store.close()
        self._opened.clear()


def _postgres_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        store = Backend("sqlite", f"sqlite3://{tmp_path}/data/fn.db")
        yield store
        store.close_all()
        return

    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        pytest.skip(POSTGRES_SKIP)
    import psycopg

    schema = f"fn_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    store = Backend("postgres", _postgres_schema_url(base, schema))
    try:
        yield store
    finally:
        store.close_all()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def datastore(backend: Backend) -> Datastore:
    """A freshly migrated, empty datastore; closed when the test ends."""
    return backend.open()


RACERS = 20


def race(attempt: Callable[[int], object]) -> Counter[str]:
    """Run ``attempt(i)`` in RACERS threads released together by a barrier; count outcomes:
    the exception's class name, the result when it is a string (e.g. an HTTP status), or "ok"."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        barrier.wait()
        try:
            result = attempt(index)
            outcome = result if isinstance(result, str) else "ok"
        except Exception as exc:  # every outcome is counted, and compared by the caller
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)
