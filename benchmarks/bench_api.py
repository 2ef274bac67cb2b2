#!/usr/bin/env python3
"""Throughput and latency of the reference server's management API, measured with wrk.

Not a test: a script to run by hand. For each requested ASGI server it starts the reference
app in its own process on a free 127.0.0.1 port with a fresh SQLite file in a temporary
directory, seeds it with apps, and drives it from a separate process (wrk) over loopback.
Each scenario gets a short warm-up run whose numbers are thrown away, then a measured run.

Scenarios:

* ``get``: ``GET /v2/apps/{id}``, rotating over the seeded apps.
* ``list``: ``GET /v2/apps`` with the default ``per_page``.
* ``create_delete``: ``POST /v2/apps`` with a unique name, then ``DELETE`` of the created id,
  alternating on every connection (requests/s counts both requests; pairs/s is about half).

Usage::

    python benchmarks/bench_api.py                      # uvicorn, all scenarios
    python benchmarks/bench_api.py --server all --repeat 3
    python benchmarks/bench_api.py --scenarios get,list --duration 10 --json

Needs wrk (``apt-get install wrk``); granian is optional (``pip install granian``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from conformance._server import LocalServer, free_port

SCENARIOS = ("get", "list", "create_delete")
SERVERS = ("uvicorn", "granian")

#: Upstream Fn server, measured on this kind of machine (2 cores) at 16 connections.
UPSTREAM_RPS = {"get": 5100.0, "list": 5800.0}
#: What the reference server aims for, as a multiple of the upstream numbers.
TARGET_RATIO = 1.5

_MARKER = "BENCH_RESULT "


# -- wrk scripts ------------------------------------------------------------------------------
#
# Every script ends with the same done() callback, which prints one line of JSON that this
# script parses (wrk's own text output is kept only for error messages). Latencies are in
# microseconds, as wrk records them.

_LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  local extra = ""
  if report_ops then
    local c, d, o = 0, 0, 0
    for _, t in ipairs(threads_seen) do
      c = c + (t:get("created") or 0)
      d = d + (t:get("deleted") or 0)
      o = o + (t:get("other") or 0)
    end
    extra = string.format(',"created":%d,"deleted":%d,"other_status":%d', c, d, o)
  end
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d%s}\n',
    "MARKER", summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, extra))
end
"""

_LUA_THREADS = r"""
threads_seen = {}
function setup(thread)
  table.insert(threads_seen, thread)
  thread:set("tid", #threads_seen)
end
"""

_LUA_GET = r"""
local ids = {IDS}
local i = 0
function init(args)
  i = (tid * 7) % #ids
end
function request()
  i = i % #ids + 1
  return wrk.format("GET", "/v2/apps/" .. ids[i])
end
"""

# On each connection a POST is followed by the DELETE of the id it returned: response()
# queues the new id and the next request() (on the same connection, which wrk asks right
# after the response) takes it. Names are unique per run, thread and request.
_LUA_CREATE_DELETE = r"""
report_ops = true
local pending = {}
local n = 0
local prefix = ""
local headers = {["Content-Type"] = "application/json"}
created, deleted, other = 0, 0, 0
function init(args)
  prefix = "zz-bench-RUNID-" .. tid .. "-"
end
function request()
  local id = table.remove(pending)
  if id ~= nil then
    return wrk.format("DELETE", "/v2/apps/" .. id)
  end
  n = n + 1
  return wrk.format("POST", "/v2/apps", headers, '{"name":"' .. prefix .. n .. '"}')
end
function response(status, hdrs, body)
  if status == 200 then
    local id = string.match(body, '"id"%s*:%s*"([^"]+)"')
    if id ~= nil then
      table.insert(pending, id)
      created = created + 1
    else
      other = other + 1
    end
  elseif status == 204 then
    deleted = deleted + 1
  else
    other = other + 1
  end
end
"""


def lua_script(scenario: str, app_ids: Sequence[str], run_id: str) -> str:
    done = _LUA_DONE.replace("MARKER", _MARKER)
    if scenario == "get":
        ids = ", ".join(f'"{i}"' for i in app_ids)
        return _LUA_THREADS + _LUA_GET.replace("IDS", ids) + done
    if scenario == "list":
        return done  # a static request: wrk sends GET <url> as given
    if scenario == "create_delete":
        return _LUA_THREADS + _LUA_CREATE_DELETE.replace("RUNID", run_id) + done
    raise ValueError(scenario)


def scenario_path(scenario: str) -> str:
    return "/v2/apps"  # get and create_delete build their own paths in Lua


# -- results ----------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: dict[str, int]
    pairs_per_s: float | None = None
    other_status: int = 0

    @property
    def error_total(self) -> int:
        return sum(self.errors.values()) + self.other_status


@dataclass
class ScenarioSummary:
    """The median of each number over the runs of one scenario on one server."""

    scenario: str
    runs: int
    rps: float
    p50_ms: float
    p99_ms: float
    p90_ms: float
    pairs_per_s: float | None
    errors: int
    upstream_rps: float | None
    ratio: float | None
    target_ratio: float | None
    all_rps: list[float] = field(default_factory=list)


def parse_wrk(scenario: str, stdout: str) -> Result:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{stdout}")
    data = json.loads(line[len(_MARKER) :])
    seconds = data["duration_us"] / 1e6
    errors = {k[4:]: v for k, v in data.items() if k.startswith("err_")}
    pairs = None
    if "deleted" in data:
        pairs = data["deleted"] / seconds if seconds else 0.0
    return Result(
        scenario=scenario,
        requests=data["requests"],
        seconds=round(seconds, 3),
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        pairs_per_s=pairs,
        other_status=data.get("other_status", 0),
    )


def summarise(scenario: str, results: Sequence[Result]) -> ScenarioSummary:
    def med(get: Callable[[Result], float]) -> float:
        return float(statistics.median(get(r) for r in results))

    rps = med(lambda r: r.rps)
    pairs = [r.pairs_per_s for r in results if r.pairs_per_s is not None]
    upstream = UPSTREAM_RPS.get(scenario)
    return ScenarioSummary(
        scenario=scenario,
        runs=len(results),
        rps=round(rps, 1),
        p50_ms=round(med(lambda r: r.p50_ms), 3),
        p99_ms=round(med(lambda r: r.p99_ms), 3),
        p90_ms=round(med(lambda r: r.p90_ms), 3),
        pairs_per_s=round(statistics.median(pairs), 1) if pairs else None,
        errors=sum(r.error_total for r in results),
        upstream_rps=upstream,
        ratio=round(rps / upstream, 3) if upstream else None,
        target_ratio=TARGET_RATIO if upstream else None,
        all_rps=[round(r.rps, 1) for r in results],
    )


# -- servers ----------------------------------------------------------------------------------


def granian_available() -> bool:
    try:
        import granian  # noqa: F401
    except ImportError:
        return False
    return True


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@contextmanager
def running_server(kind: str) -> Iterator[LocalServer]:
    """The reference app under ``kind``, on a fresh SQLite file; stopped and removed at exit."""
    with tempfile.TemporaryDirectory(prefix="fn-bench-") as tmp:
        env = {"FN_DB_URL": f"sqlite3://{Path(tmp) / 'fn.db'}", "FN_LOG_LEVEL": "error"}
        if kind == "uvicorn":
            # python -m reference_impl: uvicorn.run with uvloop and httptools (uvicorn[standard]).
            server = LocalServer(env=env)
        elif kind == "granian":
            port = free_port()
            env.update(FN_PORT=str(port), FN_BIND_ADDRESS="127.0.0.1")
            args = (
                "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--no-access-log", "--log-level", "error",
                "--factory", "reference_impl:create_app",
            )  # fmt: skip
            server = LocalServer(env=env, module="granian", args=args)
        else:
            raise ValueError(kind)
        with server:
            yield server


def seed(base: str, count: int) -> list[str]:
    ids = []
    with requests.Session() as session:
        for n in range(count):
            resp = session.post(f"{base}/v2/apps", json={"name": f"seed-{n:04d}"}, timeout=10)
            resp.raise_for_status()
            ids.append(resp.json()["id"])
        # One request of each kind, so a broken route fails here and not as wrk status errors.
        session.get(f"{base}/v2/apps/{ids[0]}", timeout=10).raise_for_status()
        session.get(f"{base}/v2/apps", timeout=10).raise_for_status()
    return ids


def run_wrk(
    url: str, script: Path, *, connections: int, threads: int, seconds: float, timeout: float
) -> str:
    cmd = [
        "wrk", "--latency", "-c", str(connections), "-t", str(threads),
        "-d", f"{max(1, round(seconds))}s", "--timeout", f"{timeout:g}s", "-s", str(script), url,
    ]  # fmt: skip
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + timeout + 60, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def bench_server(kind: str, args: argparse.Namespace, log: Callable[[str], None]) -> list[Result]:
    """One fresh server of ``kind``, every requested scenario once (after a warm-up)."""
    results = []
    with running_server(kind) as server, tempfile.TemporaryDirectory(prefix="fn-wrk-") as tmp:
        ids = seed(server.url, args.seed_apps)
        for scenario in args.scenarios:
            run_id = secrets.token_hex(4)
            url = server.url + scenario_path(scenario)
            for phase, seconds in (("warmup", args.warmup), ("measure", args.duration)):
                if seconds <= 0:
                    continue
                script = Path(tmp) / f"{scenario}-{phase}.lua"
                script.write_text(lua_script(scenario, ids, f"{run_id}{phase[0]}"))
                out = run_wrk(
                    url, script, connections=args.connections, threads=args.threads,
                    seconds=seconds, timeout=args.timeout,
                )  # fmt: skip
            result = parse_wrk(scenario, out)
            results.append(result)
            log(f"  {kind:8} {scenario:14} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms"
                f"  p99 {result.p99_ms:7.2f} ms  errors {result.error_total}")  # fmt: skip
    return results


# -- output -----------------------------------------------------------------------------------


def ratio_text(s: ScenarioSummary) -> str:
    if s.ratio is None or s.upstream_rps is None:
        return "upstream: n/a"
    verdict = "meets" if s.ratio >= TARGET_RATIO else "below"
    return (f"upstream {s.upstream_rps:,.0f} req/s -> ratio {s.ratio:.2f}x "
            f"(target {TARGET_RATIO:.1f}x: {verdict})")  # fmt: skip


def print_table(summaries: dict[str, list[ScenarioSummary]], args: argparse.Namespace) -> None:
    print()
    print(f"{args.connections} connections, {args.threads} wrk threads, {args.duration:g} s per "
          f"scenario, {args.repeat} run(s): medians")  # fmt: skip
    header = f"{'server':8} {'scenario':14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for kind, rows in summaries.items():
        for s in rows:
            print(f"{kind:8} {s.scenario:14} {s.rps:9.1f} {s.p50_ms:8.2f} {s.p99_ms:8.2f} "
                  f"{s.errors:6d}  {ratio_text(s)}")  # fmt: skip
            if s.pairs_per_s is not None:
                print(f"{'':8} {'':14} {s.pairs_per_s:9.1f} create+delete pairs/s")
    print()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--connections", "-c", type=int, default=16, help="open connections (16)")
    p.add_argument("--threads", "-t", type=int, default=2, help="wrk threads (2)")
    p.add_argument("--duration", "-d", type=float, default=5.0, help="seconds per scenario (5)")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds, 0 for none (1)")
    p.add_argument("--timeout", type=float, default=5.0, help="wrk request timeout, s (5)")
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (all)",
    )  # fmt: skip
    p.add_argument(
        "--server", default="uvicorn", choices=(*SERVERS, "all"),
        help="ASGI server for the reference app; 'all' runs each one (uvicorn)",
    )  # fmt: skip
    p.add_argument("--seed-apps", type=int, default=50, help="apps created before the runs (50)")
    p.add_argument("--repeat", type=int, default=1, help="fresh-server runs; medians reported")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown or not args.scenarios:
        p.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if args.connections < args.threads or args.threads < 1:
        p.error("need at least one thread and at least as many connections as threads")
    if args.duration < 1 or args.repeat < 1 or args.seed_apps < 1:
        p.error("--duration must be >= 1 s, --repeat and --seed-apps >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(text: str) -> None:  # progress goes to stderr so --json stays clean
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    if shutil.which("wrk") is None:
        print("bench_api: wrk not found; install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    kinds = list(SERVERS) if args.server == "all" else [args.server]
    skipped = []
    if "granian" in kinds and not granian_available():
        log("granian is not installed (pip install granian): skipping it")
        kinds.remove("granian")
        skipped.append("granian")
    if not kinds:
        return 2

    runs: dict[str, list[Result]] = {k: [] for k in kinds}
    for n in range(args.repeat):
        for kind in kinds:  # interleaved, so slow drift of a noisy machine hits each server alike
            log(f"run {n + 1}/{args.repeat}: {kind}")
            runs[kind] += bench_server(kind, args, log)

    summaries = {
        kind: [summarise(s, [r for r in runs[kind] if r.scenario == s]) for s in args.scenarios]
        for kind in kinds
    }
    if args.json:
        doc: dict[str, Any] = {
            "settings": {
                "connections": args.connections, "threads": args.threads,
                "duration_s": args.duration, "warmup_s": args.warmup, "repeat": args.repeat,
                "seed_apps": args.seed_apps, "scenarios": args.scenarios,
            },
            "environment": {
                "python": platform.python_version(), "cpus": os.cpu_count(),
                "wrk": _wrk_version(),
                **{d: version_of(d) for d in ("uvicorn", "granian", "starlette", "uvloop")},
            },
            "upstream_rps": UPSTREAM_RPS,
            "target_ratio": TARGET_RATIO,
            "skipped_servers": skipped,
            "servers": {k: [asdict(s) for s in v] for k, v in summaries.items()},
            "runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
        }  # fmt: skip
        json.dump(doc, sys.stdout, indent=2)
        print()
    else:
        print_table(summaries, args)
    return 0


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


if __name__ == "__main__":
    sys.exit(main())
