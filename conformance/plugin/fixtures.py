"""The fixtures the suite's tests use: ``fn`` (the client), ``names``, ``make``, ``fn_ledger``,
``fn_config``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

import pytest

from ..client import FnClient
from ..cluster import ClusterAccess
from ..config import ConformanceConfig
from ..errors import ConformanceError
from ..invoking import EvictorNodes, Probe
from ..ledger import Ledger
from ..recorder import Exchange
from ..resources import Factory, Names, run_prefix
from .state import RunState, get


def _state(request: pytest.FixtureRequest) -> RunState:
    state = get(request.config)
    if state is None:
        raise ConformanceError("the Fn conformance plugin is not active (use --fn-conformance)")
    return state


def make_client(state: RunState) -> FnClient:
    """A client of the run's target: evidence to the recorder, requests against the budget,
    unanswered requests to the watchdog."""
    cfg = state.cfg
    client = FnClient(
        cfg.api_url,
        invoke_url=cfg.invoke_url or None,
        headers=cfg.all_headers,
        secrets=cfg.secrets,
        timeout=cfg.timeout,
        recorder=state.recorder,
        budget=state.shared_budget(),
    )

    def no_answer(exchange: Exchange) -> NoReturn:
        state.watchdog.no_answer(exchange, state.recorder)

    client.on_no_answer = no_answer
    return client


@pytest.fixture(scope="session")
def fn_config(request: pytest.FixtureRequest) -> ConformanceConfig:
    return _state(request).cfg


@pytest.fixture(scope="session")
def fn_ledger(request: pytest.FixtureRequest) -> Ledger:
    """This process's part of the run's ledger (cleanup happens once, at the end of the run)."""
    state = _state(request)
    return Ledger(
        state.folder / f"ledger-{state.process_name}.jsonl", prefix=run_prefix(state.cfg.run_id)
    )


@pytest.fixture(scope="session")
def fn(request: pytest.FixtureRequest, fn_ledger: Ledger) -> FnClient:
    """The client for the target; every create it sends is written to the ledger first."""
    client = make_client(_state(request))
    client.before_send.append(fn_ledger.before_send)
    client.after_answer.append(fn_ledger.after_answer)
    return client


@pytest.fixture(scope="session")
def names(request: pytest.FixtureRequest) -> Names:
    state = _state(request)
    return Names(state.cfg.run_id, state.worker.replace("gw", "w"))


@pytest.fixture(scope="session")
def make(fn: FnClient, names: Names, fn_config: ConformanceConfig) -> Factory:
    return Factory(fn, names, image=fn_config.fn_image)


@pytest.fixture(scope="session")
def probe(fn: FnClient, make: Factory, fn_config: ConformanceConfig) -> Probe:
    """Fns of the probe function, for the invoke areas."""
    return Probe(fn, make, fn_config)


@pytest.fixture(scope="session")
def evictor_nodes(request: pytest.FixtureRequest) -> EvictorNodes:
    state = _state(request)
    return EvictorNodes(dict(state.cfg.evictor_nodes), state.folder)


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[ClusterAccess]:
    """The run's LB and pure runners (the cluster areas)."""
    state = _state(request)
    access = ClusterAccess(state.cfg, state.folder)
    yield access
    access.close()


__all__ = [
    "cluster",
    "evictor_nodes",
    "fn",
    "fn_config",
    "fn_ledger",
    "make",
    "make_client",
    "names",
    "probe",
]
