"""``fn-conformance``: run the suite against a target, or clean up after a crashed run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from . import __version__
from .client import FnClient
from .errors import ConformanceError
from .resources import Entry, Ledger, cleanup_entries, run_prefix


def _run(args: argparse.Namespace) -> int:
    pytest_args = ["--pyargs", "conformance.suite", "--fn-conformance", "-p", "no:cacheprovider"]
    pytest_args += ["-q", "--no-header", "-rN", "--tb=no" if not args.verbose else "--tb=short"]
    # This command imported the package before pytest could rewrite its asserts; harmless.
    pytest_args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_args += ["-p", "conformance.plugin"]
    options = {
        "--fn-target": args.target,
        "--fn-invoke-url": args.invoke_url,
        "--fn-profile": args.profile,
        "--fn-effort": args.effort,
        "--fn-report-dir": args.report_dir,
        "--fn-baseline": args.baseline,
        "--fn-run-id": args.run_id,
        "--fn-seed": args.seed,
        "--fn-request-budget": args.request_budget,
        "--fn-timeout-multiplier": args.timeout_multiplier,
        "--fn-max-request-size": args.max_request_size,
        "--fn-config": args.config,
    }
    for flag, value in options.items():
        if value is not None:
            pytest_args += [flag, str(value)]
    for header in args.header:
        pytest_args += ["--fn-header", header]
    for capability in args.capability:
        pytest_args += ["--fn-capability", capability]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.workers:
        pytest_args += ["-n", str(args.workers)]
    return int(pytest.main(pytest_args))


def _cleanup(args: argparse.Namespace) -> int:
    """Delete what run ``--run-id`` created: its ledger entries, and apps carrying its prefix."""
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    client = FnClient(args.target, headers=headers, secrets=(args.token,) if args.token else ())
    entries: list[Entry] = []
    for path in sorted(Path(args.report_dir, args.run_id).glob("ledger-*.jsonl")):
        entries += Ledger.read(path)
    prefix = run_prefix(args.run_id) + "-"
    known = {e.id for e in entries}
    cursor = None
    for _ in range(100_000):
        params: dict[str, Any] = {"per_page": 100, **({"cursor": cursor} if cursor else {})}
        response = client.unchecked().list_apps(**params)
        if response.status_code != 200:
            print(f"fn-conformance: listing apps failed: {response.status_code}", file=sys.stderr)
            return 1
        body = response.json()
        for app in body.get("items") or []:
            if str(app.get("name", "")).startswith(prefix) and app["id"] not in known:
                entries.insert(0, Entry("app", app["id"], app["name"]))
        cursor = body.get("next_cursor")
        if not cursor or not body.get("items"):
            break
    report = cleanup_entries(client, entries)
    print(
        f"fn-conformance: run {args.run_id}: {len(entries)} recorded, {report.deleted} deleted, "
        f"{len(report.leaked or [])} still present, {len(report.errors or [])} errors"
    )
    for entry in report.leaked or []:
        print(f"  still present: {entry.kind} {entry.id} {entry.name}")
    return 0 if report.clean else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="fn-conformance", description=__doc__)
    top.add_argument("--version", action="version", version=f"fn-conformance {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the suite against a target (default: embedded reference server)"
    )
    run.add_argument("--target", help="base URL of the Fn API (default: FN_API_URL, else embedded)")
    run.add_argument("--invoke-url", help="base URL for /invoke and /t (default: --target)")
    run.add_argument("--profile", help="requirement profile (default: core)")
    run.add_argument(
        "--effort", choices=["dev", "ci", "thorough"], help="hypothesis effort (default: ci)"
    )
    run.add_argument("-k", help="only tests matching this pytest -k expression")
    run.add_argument("--report-dir", help="where reports/<run-id>/ go (default: reports)")
    run.add_argument("--baseline", help="known deviations file: only new failures fail the run")
    run.add_argument("--run-id", help="run id (default: random)")
    run.add_argument("--seed", type=int, help="hypothesis seed (default: random, recorded)")
    run.add_argument("--request-budget", type=int, help="stop after this many requests")
    run.add_argument("--timeout-multiplier", type=float, help="multiply every timeout and wait")
    run.add_argument(
        "--max-request-size", type=int, help="the target's FN_MAX_REQUEST_SIZE, if known"
    )
    run.add_argument("--config", help="TOML settings file")
    run.add_argument("--header", action="append", default=[], help="extra header NAME=VALUE")
    run.add_argument("--capability", action="append", default=[], help="NAME=on|off")
    run.add_argument("-n", "--workers", type=int, help="parallel workers (pytest-xdist)")
    run.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of failures")
    run.set_defaults(func=_run)

    clean = sub.add_parser("cleanup", help="remove what a crashed run left on a target")
    clean.add_argument("--run-id", required=True)
    clean.add_argument("--target", required=True)
    clean.add_argument("--token", default=os.environ.get("FNCONF_TOKEN", ""))
    clean.add_argument("--report-dir", default="reports")
    clean.set_defaults(func=_cleanup)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConformanceError as exc:
        print(f"fn-conformance: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
