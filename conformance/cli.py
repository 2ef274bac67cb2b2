"""``fn-conformance``: run the suite against a target, or clean up after a crashed run.

Exit codes of ``run``: 0 conformant (or, for a narrowed run or one with a baseline, nothing new
failed), 1 not conformant / target crashed / not every MUST judged, 2 usage or configuration
error, 3 target unreachable or not an Fn server, or an error of the suite, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from . import __version__
from . import config as confmod
from ._container import remove_run_containers, require_image
from .client import FnClient
from .diff import add_parser as add_diff_parser
from .errors import ConformanceError, InvalidConfig, TargetUnavailable
from .ledger import Entry, clean_up, read_run
from .plugin.options import FLAG_OPTIONS, LIST_OPTIONS, VALUE_OPTIONS, check, pytest_flag
from .plugin.selection import SUITE_DIR
from .preflight import preflight
from .probe import PROBE_IMAGE, STATUS_IMAGE
from .reference_image import REFERENCE_IMAGE
from .resources import run_prefix

EXIT_USAGE, EXIT_TARGET, EXIT_INTERRUPTED = 2, 3, 130
#: ``run`` options that are plain settings, by config key (the plugin's option table).
_VALUE_KEYS = tuple(key for key, _ in VALUE_OPTIONS)
#: pytest exit codes that mean "you asked for something that cannot be done".
_PYTEST_USAGE = (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {key: getattr(args, key) for key in _VALUE_KEYS}
    options.update({key: getattr(args, key) or None for key, _ in LIST_OPTIONS if key != "headers"})
    options["headers"] = args.header or None
    for key, value, _ in FLAG_OPTIONS:
        if getattr(args, f"flag_{key}"):
            options[key] = value
    return options


def _run(args: argparse.Namespace) -> int:
    options = _settings(args)
    cfg = confmod.build(options, config_file=args.config)
    check(cfg)  # profile, requirement patterns, baseline: before anything is sent
    if cfg.target_image:
        try:
            require_image(cfg.target_image)
        except TargetUnavailable as exc:
            print(f"fn-conformance: {exc}", file=sys.stderr)
            return EXIT_TARGET
    elif cfg.api_url:
        probe = preflight(
            cfg.api_url, headers=cfg.all_headers, budget_s=5.0 * cfg.timeout_multiplier
        )
        if not probe.ok:
            print(f"fn-conformance: {probe.problem}", file=sys.stderr)
            return EXIT_TARGET
    pytest_args = ["--pyargs", "conformance.suite", "--fn-conformance", "-p", "no:cacheprovider"]
    # The same run wherever it is started: no pytest configuration of the working directory
    # (or of a path among the options) applies, and test ids are relative to the suite.
    pytest_args += ["-c", os.devnull, f"--rootdir={SUITE_DIR}"]
    pytest_args += ["-q", "--no-header", "-rN", "--tb=no" if not args.verbose else "--tb=short"]
    # This command imported the package before pytest could rewrite its asserts; harmless.
    pytest_args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_args += ["-p", "conformance.plugin"]
    for key in _VALUE_KEYS:
        if options[key] is not None:
            pytest_args += [pytest_flag(key), str(options[key])]
    for key, _ in LIST_OPTIONS:
        for value in options[key] or []:
            pytest_args += [pytest_flag(key), value]
    for key, _, _ in FLAG_OPTIONS:
        if getattr(args, f"flag_{key}"):
            pytest_args.append(pytest_flag(key))
    if args.config:
        pytest_args += ["--fn-config", args.config]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.workers:
        pytest_args += ["-n", str(args.workers)]
    code = int(pytest.main(pytest_args))
    if code in _PYTEST_USAGE:
        return EXIT_USAGE
    return code if code in (0, 1, EXIT_USAGE, EXIT_TARGET, EXIT_INTERRUPTED) else EXIT_TARGET


def _cleanup(args: argparse.Namespace) -> int:
    """Delete what run ``--run-id`` created: its ledger entries, and apps carrying its prefix."""
    cfg = confmod.build(
        {
            "api_url": args.target,
            "token": args.token or None,
            "headers": args.header or None,
            "run_id": args.run_id,
        },
        config_file=args.config,
    )
    client = FnClient(
        cfg.api_url, headers=cfg.all_headers, secrets=cfg.secrets, timeout=cfg.timeout
    )
    folder = Path(args.report_dir, args.run_id)
    entries = read_run(folder)
    if not entries:
        print(
            f"fn-conformance: warning: no ledger of run {args.run_id} in {folder} "
            f"(looked for ledger-*.jsonl); looking only for apps named {run_prefix(args.run_id)}-*",
            file=sys.stderr,
        )
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
                entries.insert(0, Entry("app", app["name"], app["id"]))
        cursor = body.get("next_cursor")
        if not cursor or not body.get("items"):
            break
    report = clean_up(client, entries, prefix=prefix)
    removed = remove_run_containers(args.run_id)
    print(
        f"fn-conformance: run {args.run_id}: {report.created} found, {report.deleted} deleted, "
        f"{len(report.leaked)} still present, {len(report.errors)} errors"
        + (f"; {removed} target containers removed" if removed else "")
    )
    for entry in report.leaked:
        print(f"  still present: {entry.kind} {entry.id or '(id unknown)'} {entry.name}")
    return 0 if report.clean else 1


def _add_target_options(sub: argparse.ArgumentParser) -> None:
    helps = dict(VALUE_OPTIONS) | dict(LIST_OPTIONS)
    sub.add_argument("--token", help=helps["token"])
    sub.add_argument("--header", action="append", default=[], help=helps["headers"])
    sub.add_argument("--config", help="TOML settings file (FNCONF_CONFIG)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="fn-conformance",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"fn-conformance {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the suite against a target (default: embedded reference server)"
    )
    # The settings: the same table as the plugin's --fn-* options (help texts included).
    for key, help_text in VALUE_OPTIONS:
        if key not in ("token",):  # --token goes with the target options below
            run.add_argument(confmod.flag(key), dest=key, help=help_text)
    for key, help_text in LIST_OPTIONS:
        if key != "headers":
            run.add_argument(confmod.flag(key), dest=key, action="append", default=[],
                             help=help_text)  # fmt: skip
    for key, _, help_text in FLAG_OPTIONS:
        run.add_argument(confmod.flag(key), dest=f"flag_{key}", action="store_true", help=help_text)
    run.add_argument("-k", help="only tests matching this pytest -k expression")
    _add_target_options(run)
    run.add_argument("-n", "--workers", type=int, help="parallel workers (pytest-xdist)")
    run.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of failures")
    run.set_defaults(func=_run)

    clean = sub.add_parser("cleanup", help="remove what a crashed run left on a target")
    clean.add_argument("--run-id", required=True)
    clean.add_argument("--target", required=True, help="base URL of the Fn API")
    clean.add_argument("--report-dir", default="reports")
    _add_target_options(clean)
    clean.set_defaults(func=_cleanup)

    build = sub.add_parser(
        "build-probe",
        help="build the probe function's image on the engine at DOCKER_HOST (no registry needed)",
    )
    build.add_argument("--tag", default=PROBE_IMAGE, help=f"image name (default: {PROBE_IMAGE})")
    build.add_argument("--save", type=Path, help="also write the image as a `docker save` tarball")
    build.add_argument(
        "--status-tag", default=STATUS_IMAGE,
        help=f"the status function's image, built FROM the probe (default: {STATUS_IMAGE})",
    )  # fmt: skip
    build.add_argument("--save-status", type=Path, help="also save the status image")
    build.set_defaults(func=_build_probe)

    image = sub.add_parser(
        "build-image",
        help="build the reference server as an image on the engine at DOCKER_HOST (no registry)",
    )
    image.add_argument(
        "--tag", default=REFERENCE_IMAGE, help=f"image name (default: {REFERENCE_IMAGE})"
    )
    image.add_argument("--save", type=Path, help="also write the image as a `docker save` tarball")
    image.set_defaults(func=_build_image)

    add_diff_parser(sub)
    return top


def _build_probe(args: argparse.Namespace) -> int:
    from .probe.build import BuildError, build_probe, build_status

    try:
        image_id = build_probe(args.tag, save=args.save)
        status_id = build_status(args.status_tag, probe=args.tag, save=args.save_status)
    except BuildError as exc:
        print(f"fn-conformance: {exc}", file=sys.stderr)
        return EXIT_TARGET
    for tag, built, saved in (
        (args.tag, image_id, args.save),
        (args.status_tag, status_id, args.save_status),
    ):
        where = f", saved to {saved}" if saved else ""
        print(f"fn-conformance: built {tag} ({built[:19]}){where}")
    return 0


def _build_image(args: argparse.Namespace) -> int:
    from .probe.build import BuildError
    from .reference_image import build_reference

    try:
        built = build_reference(args.tag, save=args.save)
    except BuildError as exc:
        print(f"fn-conformance: {exc}", file=sys.stderr)
        return EXIT_TARGET
    where = f", saved to {args.save}" if args.save else ""
    print(f"fn-conformance: built {args.tag} ({built[:19]}){where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InvalidConfig as exc:
        print(f"fn-conformance: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConformanceError as exc:
        print(f"fn-conformance: {exc}", file=sys.stderr)
        return EXIT_TARGET
    except KeyboardInterrupt:
        print("fn-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
