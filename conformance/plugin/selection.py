"""Which tests run, in what order: requirement markers, profile, user narrowing, disruption.

* Every suite test names its requirements (``@pytest.mark.requirement``); an unknown ID or a
  suite test without one stops collection.
* Tests of no requirement in the profile are dropped (out of scope, not narrowing).
* ``--requirement PATTERN`` and ``--no-disruptive`` leave tests out; so do ``-k`` and ``-m``.
  Each left-out test is remembered with the reason, so its requirements end *not-run*.
* A test of a requirement that needs a capability which is off is *disabled*.
* Disruptive tests (``@pytest.mark.disruptive``: input known to break fragile servers) run
  last, so everything else is measured first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from ..results import Collected
from .options import selected_requirements
from .state import RunState

SUITE_DIR = Path(__file__).resolve().parents[1] / "suite"
COLLECTED_FILE = "collected.json"


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(mark.args)
    return tuple(dict.fromkeys(ids))


def is_disruptive(item: pytest.Item) -> bool:
    return item.get_closest_marker("disruptive") is not None


def in_suite(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return path == SUITE_DIR or SUITE_DIR in path.parents


def before_user_selection(state: RunState, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check markers, apply the profile, --requirement and --no-disruptive, order the items."""
    catalogue = state.catalogue
    cfg = state.cfg
    profile_ids = [r.id for r in catalogue.in_profile(cfg.profile)]
    wanted = selected_requirements(cfg, profile_ids)
    keep: list[pytest.Item] = []
    out_of_profile: list[pytest.Item] = []
    for item in items:
        ids = requirements_of(item)
        if not ids:
            if in_suite(item):
                raise pytest.UsageError(
                    f"{item.nodeid} declares no requirement (@pytest.mark.requirement)"
                )
            keep.append(item)  # not a conformance test: left alone
            continue
        unknown = [req_id for req_id in ids if req_id not in catalogue]
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid} names unknown requirements: {', '.join(unknown)}"
            )
        if not set(ids) & set(profile_ids):
            out_of_profile.append(item)
            continue
        reason = ""
        if not set(ids) & wanted:
            reason = f"--requirement {' '.join(cfg.requirements)}"
        elif not cfg.disruptive and is_disruptive(item):
            reason = "--no-disruptive"
        state.collected.append(Collected(item.nodeid, ids, not reason, is_disruptive(item), reason))
        if reason:
            out_of_profile.append(item)
            continue
        _disable_without_capability(state, item, ids)
        keep.append(item)
    if out_of_profile:
        config.hook.pytest_deselected(items=out_of_profile)
    keep.sort(key=is_disruptive)  # stable: disruptive tests last, in their order
    items[:] = keep


def _disable_without_capability(state: RunState, item: pytest.Item, ids: Iterable[str]) -> None:
    for req_id in ids:
        capability = state.catalogue[req_id].capability
        if capability and not state.cfg.capability(capability):
            item.add_marker(
                pytest.mark.skip(
                    reason=f"disabled: {req_id} needs the capability {capability}, which is off"
                )
            )
            return


def after_user_selection(state: RunState, items: list[pytest.Item]) -> None:
    """Remember what -k and -m left out, and share the collection with the controller."""
    chosen = {item.nodeid for item in items}
    state.collected = [
        c
        if c.nodeid in chosen or not c.selected
        else Collected(c.nodeid, c.requirements, False, c.disruptive, "-k/-m selection")
        for c in state.collected
    ]
    write_collected(state.folder, state.collected)


def write_collected(folder: Path, collected: list[Collected]) -> None:
    """The collection as every process of the run saw it (they all collect the same)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / COLLECTED_FILE
    if path.exists():
        return
    tmp = folder / f".{COLLECTED_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps([c.__dict__ for c in collected]), encoding="utf-8")
    tmp.replace(path)


def read_collected(folder: Path) -> list[Collected]:
    path = folder / COLLECTED_FILE
    if not path.exists():
        return []
    return [
        Collected(
            d["nodeid"], tuple(d["requirements"]), d["selected"], d["disruptive"], d["left_out"]
        )
        for d in json.loads(path.read_text(encoding="utf-8"))
    ]


def narrowing(config: pytest.Config, state: RunState) -> list[str]:
    """How the user narrowed the run (whether or not it left anything out)."""
    said = []
    if config.option.keyword:
        said.append(f"-k {config.option.keyword!r}")
    if config.option.markexpr:
        said.append(f"-m {config.option.markexpr!r}")
    if state.cfg.requirements:
        said.append(f"--requirement {' '.join(state.cfg.requirements)}")
    if not state.cfg.disruptive:
        said.append("--no-disruptive")
    suite_args = [a for a in config.args if not _is_whole_suite(a)]
    if suite_args:
        said.append(f"test selection {' '.join(suite_args)}")
    return said


def _is_whole_suite(arg: str) -> bool:
    if arg in ("conformance.suite", "conformance/suite"):
        return True
    return Path(arg).resolve() == SUITE_DIR


__all__ = [
    "SUITE_DIR",
    "after_user_selection",
    "before_user_selection",
    "in_suite",
    "is_disruptive",
    "narrowing",
    "read_collected",
    "requirements_of",
]
