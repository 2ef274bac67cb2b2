"""What the invoke areas share: fns of the probe function, and reading what the probe says.

The probe (``conformance/probe/func.py``) does what the ``X-Probe`` header of each request asks
and tags every answer with ``X-Probe-Instance`` (one per container), so a test can tell which
container served a call. :class:`Probe` makes apps and fns that run it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from . import expect
from .client import FnClient
from .config import ConformanceConfig
from .resources import Factory

Entity = dict[str, Any]
INSTANCE = "X-Probe-Instance"


def asks(*pairs: tuple[str, Any], **options: Any) -> dict[str, str]:
    """The ``X-Probe`` header asking for ``options`` (``pairs`` for repeated keys)."""
    items = [*pairs, *options.items()]
    return {"X-Probe": urlencode([(k, str(v)) for k, v in items])}


def instance(response: requests.Response, *, req: str) -> str:
    """Which container served the call (the probe's X-Probe-Instance)."""
    value = response.headers.get(INSTANCE, "")
    expect.true(
        bool(value),
        "The answer of the probe function lost its X-Probe-Instance header",
        f"Received headers: {dict(response.headers)}\nExpected: X-Probe-Instance",
        response=response,
        req=req,
    )
    return value


def expect_new_container(
    response: requests.Response, before: str, title: str, *, after: str, req: str
) -> None:
    """``response`` came from another container than ``before`` (one that served earlier)."""
    expect.true(
        instance(response, req=req) != before,
        title,
        f"Received: container {before} again {after}\nExpected: a new container",
        response=response,
        req=req,
    )


def report(response: requests.Response, *, req: str) -> dict[str, Any]:
    """The probe's JSON report of itself and the request (asked for with ``report=1``)."""
    expect.status(response, 200, req=req)
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    expect.true(
        isinstance(body, dict) and "env" in body,
        "The probe's report did not come back as its JSON body",
        f"Received: {response.content[:300]!r}\nExpected: the probe's JSON report",
        response=response,
        req=req,
    )
    result: dict[str, Any] = body
    return result


class Probe:
    """Apps and fns of the probe image, and calls of them."""

    def __init__(self, client: FnClient, make: Factory, cfg: ConformanceConfig) -> None:
        self.client = client
        self.make = make
        self.cfg = cfg

    def fn(self, app: Entity | None = None, **fields: Any) -> tuple[Entity, Entity]:
        app = app if app is not None else self.make.app()
        return app, self.make.fn(app, image=self.cfg.probe_image, **fields)

    def triggered(self, source: str | None = None, **fields: Any) -> tuple[Entity, Entity, Entity]:
        """An app, a probe fn and an http trigger of it."""
        app, func = self.fn(**fields)
        extra = {"source": source} if source is not None else {}
        return app, func, self.make.trigger(app, func, **extra)

    def call(self, func: Entity, data: bytes | str = b"", **options: Any) -> requests.Response:
        headers = asks(**options) if options else None
        return self.client.invoke(func["id"], data, headers=headers)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` times the timeout multiplier (for idle times the target needs)."""
        time.sleep(seconds * self.cfg.timeout_multiplier)

    def eventually(
        self, attempt: Callable[[], Any], done: Callable[[Any], bool], *, within: float
    ) -> Any:
        """Repeat ``attempt`` until ``done(result)`` or ``within`` seconds (times the
        multiplier) have passed; the last result."""
        limit = time.monotonic() + within * self.cfg.timeout_multiplier
        while True:
            result = attempt()
            if done(result) or time.monotonic() > limit:
                return result
            time.sleep(0.2)


class EvictorNodes:
    """The run's evictor nodes (full nodes on the target's datastore whose memory fits one
    probe container), each used by one test at a time across the run's processes."""

    def __init__(self, nodes: dict[str, str], lock_folder: Path) -> None:
        self.nodes = nodes
        self._folder = lock_folder

    @contextlib.contextmanager
    def exclusive(self, mode: str) -> Iterator[str]:
        """The invoke URL of the node of ``mode``, held for this test alone."""
        url = self.nodes.get(mode)
        if url is None:
            import pytest

            pytest.skip(f"disabled: no {mode} evictor node (--evictor-node {mode}=URL)")
        self._folder.mkdir(parents=True, exist_ok=True)
        with open(self._folder / f"evictor-{mode}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield url
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = [
    "INSTANCE",
    "EvictorNodes",
    "Probe",
    "asks",
    "expect_new_container",
    "instance",
    "report",
]
