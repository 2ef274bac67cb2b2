"""Report writers. Each takes the finished :class:`~conformance.results.RunResult` and a folder,
writes one file and returns its path; none reads the plugin's state or talks to the target.
pytest's own ``junit.xml`` (one case per test) is written next to them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..results import RunResult
from . import badge, html, json_report, junit, markdown

Writer = Callable[[RunResult, Path], Path]
WRITERS: dict[str, Writer] = {
    "results": json_report.write,
    "report": markdown.write,
    "junit-requirements": junit.write,
    "html": html.write,
    "badge": badge.write,
}


def write_reports(run: RunResult, folder: Path) -> dict[str, str]:
    """Every writer's file, by name (pytest's per-test JUnit file included when present)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: str(writer(run, folder)) for name, writer in WRITERS.items()}
    if (folder / "junit.xml").exists():
        paths["junit"] = str(folder / "junit.xml")
    return paths


__all__ = ["WRITERS", "Writer", "write_reports"]
