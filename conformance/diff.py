"""``fn-conformance diff A B``: what changed, requirement by requirement, between two runs.

A and B are run folders or ``results.json`` files (read by
:func:`~conformance.report.schema.read_results`, which refuses versions this suite does not
read). For every requirement in both, an outcome that changed is *newly failing* (A passed, B
failed), *newly passing* (A failed, B passed) or an *other change* (any other pair, or a change
of known-deviation status); a requirement failed in both whose findings differ has *changed
evidence*. Findings are compared by title and message after removing what differs between any
two runs (:func:`normaliser`). Requirements in one run only (another profile or catalogue) are
listed apart. The summary goes to stdout, ``diff-<A>-<B>.json`` and ``.md`` to a folder; the
exit code is 1 when something that passed in A fails in B, 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .report import diff_text, json_report
from .report.schema import ResultsError, read_results
from .resources import run_prefix

EXIT_SAME, EXIT_REGRESSED, EXIT_USAGE = 0, 1, 2
#: The groups of changed requirements, in the order they are shown.
GROUPS = ("newly_failing", "newly_passing", "other_changes", "changed_evidence")

_FN_ID = re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{26}(?![0-9A-Za-z])")
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9A-Za-z])"
)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(ms|s)\b")
_NUMBER = re.compile(r"\d+")


def normaliser(document: dict[str, Any]) -> Callable[[str], str]:
    """A function that removes from a text of ``document``'s run what differs between runs.

    The run's resource names (``fnc<run_id>-12``) become ``fnc<run>-<n>`` (their counters shift
    when an earlier test stops early), the target's URLs and host:port ``<target>``, Fn ids
    (26 characters) and UUIDs ``<id>``, timestamps ``<time>``, and the number of a duration
    (``1.23 s``, ``45 ms``) ``<n>``.
    """
    names = re.compile(re.escape(run_prefix(document["run_id"])) + r"([A-Za-z0-9_.-]*)")
    target = document["target"]
    urls = {target["api_url"], target["invoke_url"]} - {""}
    hosts = {urlsplit(url).netloc for url in urls} - {""}
    places = sorted(urls, key=len, reverse=True) + sorted(hosts, key=len, reverse=True)

    def normalise(text: str) -> str:
        text = names.sub(lambda m: "fnc<run>" + _NUMBER.sub("<n>", m[1]), text)
        for place in places:
            text = text.replace(place, "<target>")
        text = _TIMESTAMP.sub("<time>", text)
        text = _UUID.sub("<id>", _FN_ID.sub("<id>", text))
        return _DURATION.sub(lambda m: f"<n> {m[1]}", text)

    return normalise


def _findings(row: dict[str, Any], normalise: Callable[[str], str]) -> set[tuple[str, str]]:
    return {(normalise(f["title"]), normalise(f["message"])) for f in row["findings"]}


def _side(document: dict[str, Any], file: str) -> dict[str, Any]:
    musts = [r["outcome"] for r in document["requirements"] if r["level"] == "MUST"]
    return {
        "run_id": document["run_id"],
        "file": file,
        "target": document["target"],
        "profile": document["profile"],
        "verdict": document["verdict"]["status"],
        "exit_code": document["verdict"]["exit_code"],
        "musts": {
            "total": len(musts),
            "passed": musts.count("passed"),
            "failed": musts.count("failed"),
        },
    }


def _entry(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": b["id"],
        "level": b["level"],
        "title": b["title"],
        "a_outcome": a["outcome"],
        "b_outcome": b["outcome"],
        "a_known_deviation": a["known_deviation"],
        "b_known_deviation": b["known_deviation"],
    }


def _alone(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "level", "title", "outcome", "known_deviation")
    return {key: row[key] for key in keys}


def _pairs(found: set[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "message": message} for title, message in sorted(found)]


def compare(
    a: dict[str, Any], b: dict[str, Any], *, a_file: str = "", b_file: str = ""
) -> dict[str, Any]:
    """The diff of two results documents (what ``diff-<A>-<B>.json`` holds)."""
    rows_a = {r["id"]: r for r in a["requirements"]}
    rows_b = {r["id"]: r for r in b["requirements"]}
    norm_a, norm_b = normaliser(a), normaliser(b)
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in GROUPS}
    both = sorted(rows_a.keys() & rows_b.keys())
    for req_id in both:
        ra, rb = rows_a[req_id], rows_b[req_id]
        was, now = ra["outcome"], rb["outcome"]
        entry = _entry(ra, rb)
        if (was, now) == ("passed", "failed"):
            groups["newly_failing"].append(entry)
        elif (was, now) == ("failed", "passed"):
            groups["newly_passing"].append(entry)
        elif was != now or (ra["known_deviation"] is None) != (rb["known_deviation"] is None):
            groups["other_changes"].append(entry)
        elif now == "failed":
            found_a, found_b = _findings(ra, norm_a), _findings(rb, norm_b)
            if found_a != found_b:
                groups["changed_evidence"].append(
                    {
                        **entry,
                        "a_findings": sorted({title for title, _ in found_a}),
                        "b_findings": sorted({title for title, _ in found_b}),
                        "findings_only_in_a": _pairs(found_a - found_b),
                        "findings_only_in_b": _pairs(found_b - found_a),
                    }
                )
    return {
        "a": _side(a, a_file),
        "b": _side(b, b_file),
        "in_both": len(both),
        **groups,
        "only_in_a": [_alone(rows_a[i]) for i in sorted(rows_a.keys() - rows_b.keys())],
        "only_in_b": [_alone(rows_b[i]) for i in sorted(rows_b.keys() - rows_a.keys())],
    }


def changed_ids(diff: dict[str, Any]) -> set[str]:
    """The requirements whose outcome (or known-deviation status) changed."""
    groups = ("newly_failing", "newly_passing", "other_changes")
    return {entry["id"] for group in groups for entry in diff[group]}


def exit_code(diff: dict[str, Any]) -> int:
    return EXIT_REGRESSED if diff["newly_failing"] else EXIT_SAME


def write(diff: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """``diff-<A run id>-<B run id>.json`` and ``.md`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"diff-{diff['a']['run_id']}-{diff['b']['run_id']}"
    data, page = folder / f"{stem}.json", folder / f"{stem}.md"
    data.write_text(json.dumps(diff, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    page.write_text(diff_text.markdown(diff), encoding="utf-8")
    return data, page


def _results_file(path: Path) -> Path:
    return path / json_report.NAME if path.is_dir() else path


def run(args: argparse.Namespace) -> int:
    """Compare ``args.a`` with ``args.b``; print the summary and write the two files."""
    try:
        a, b = read_results(Path(args.a)), read_results(Path(args.b))
    except ResultsError as exc:
        print(f"fn-conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    a_file, b_file = _results_file(Path(args.a)), _results_file(Path(args.b))
    diff = compare(a, b, a_file=str(a_file), b_file=str(b_file))
    folder = Path(args.output) if args.output else b_file.parent
    try:
        paths = write(diff, folder)
    except OSError as exc:
        print(f"fn-conformance: cannot write the diff to {folder}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    print(diff_text.text(diff))
    print(f"  diff.json: {paths[0]}\n  diff.md: {paths[1]}")
    return exit_code(diff)


def add_parser(subparsers: Any) -> None:
    """Register ``diff`` on the subparsers of ``fn-conformance``'s parser."""
    parser = subparsers.add_parser(
        "diff",
        help="what changed between two runs, requirement by requirement",
        description=(
            "Compare two runs (run folders or results.json files). Exit 1 when a requirement "
            "that passed in A fails in B, 0 otherwise, 2 when a file cannot be read."
        ),
    )
    parser.add_argument("a", metavar="A", help="the earlier run: its folder or results.json")
    parser.add_argument("b", metavar="B", help="the later run: its folder or results.json")
    parser.add_argument(
        "--output", metavar="DIR", help="where diff-<A>-<B>.json/.md go (default: B's folder)"
    )
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance.diff A B [--output DIR]``; unreadable files exit 2 (see run)."""
    top = argparse.ArgumentParser(prog="fn-conformance")
    add_parser(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(["diff", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


__all__ = [
    "EXIT_REGRESSED",
    "EXIT_SAME",
    "EXIT_USAGE",
    "GROUPS",
    "add_parser",
    "changed_ids",
    "compare",
    "exit_code",
    "main",
    "normaliser",
    "run",
    "write",
]


if __name__ == "__main__":
    sys.exit(main())
