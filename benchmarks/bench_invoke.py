#!/usr/bin/env python3
"""Hot invoke latency and throughput, and cold starts, of the reference agent — and of any
other server given by URL, side by side.

Not a test: a script to run by hand. For each driver asked for (``process``, ``docker``) it
starts a reference full node on a free 127.0.0.1 port and, for each ``--target URL`` given,
uses that server as it is. On each it makes an app and a fn of the probe image (an fdk-python
echo), warms it, then drives ``POST /invoke/{id}`` with wrk at 1 and 4 connections (p50, p99,
calls/s), and measures cold starts (the first call of fresh fns, median of ``--cold``).
Ratios to the figures of the real Fn full node on this kind of machine (an fdk-python echo in
a podman container) are printed with each line.

Usage::

    python benchmarks/bench_invoke.py                          # process driver
    python benchmarks/bench_invoke.py --driver process,docker  # docker needs DOCKER_HOST
    python benchmarks/bench_invoke.py --driver process,lb      # a full node next to the LB path
    python benchmarks/bench_invoke.py --target http://127.0.0.1:8080

Needs wrk (``apt-get install wrk``); the docker driver needs the probe image
(``fn-conformance build-probe``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import _LUA_DONE, _MARKER, parse_wrk, run_wrk

from conformance._server import Cluster, LocalServer
from conformance.probe import PROBE_IMAGE, STATUS_IMAGE

#: The real Fn full node on this kind of machine (2 cores), fdk-python echo, podman.
UPSTREAM = {"p50_ms@1": 0.75, "calls_per_s@1": 880.0, "calls_per_s@4": 980.0, "cold_s": 0.32}

_LUA_POST = r"""
wrk.method = "POST"
wrk.body = "hello"
wrk.headers["Content-Type"] = "text/plain"
"""


@contextmanager
def target(kind: str) -> Iterator[tuple[str, str]]:
    """(management URL, invoke URL) of a reference full node with driver ``kind``, of a
    reference cluster (``lb``: an API node, two pure runners with the process driver, an LB),
    or of ``kind`` itself (a URL)."""
    if kind.startswith(("http://", "https://")):
        yield kind.rstrip("/"), kind.rstrip("/")
        return
    memory = str(8 * 1024**3)
    if kind == "lb":
        with tempfile.TemporaryDirectory(prefix="fn-bench-") as tmp:
            cluster = Cluster(
                f"sqlite3://{tmp}/fn.db", probe_image=PROBE_IMAGE, status_image=STATUS_IMAGE,
                env={"FN_MAX_TOTAL_MEMORY_BYTES": memory},
            )  # fmt: skip
            try:
                cluster.start()
                assert cluster.api is not None and cluster.lb is not None
                yield cluster.api.url, cluster.lb.url
            finally:
                cluster.stop()
        return
    env = {"FN_AGENT_DRIVER": kind, "FN_MAX_TOTAL_MEMORY_BYTES": memory}
    with LocalServer(env=env) as server:
        yield server.url, server.url


def make_fn(base: str, image: str, tag: str) -> str:
    name = f"bench{tag}{time.monotonic_ns()}"
    app = requests.post(f"{base}/v2/apps", json={"name": name}, timeout=10)
    app.raise_for_status()
    fn = requests.post(
        f"{base}/v2/fns", json={"app_id": app.json()["id"], "name": "echo", "image": image},
        timeout=10,
    )  # fmt: skip
    fn.raise_for_status()
    fn_id: str = fn.json()["id"]
    return fn_id


def cold_start(base: str, invoke: str, image: str, count: int) -> list[float]:
    took = []
    for i in range(count):
        fn_id = make_fn(base, image, f"c{i}")
        began = time.perf_counter()
        answer = requests.post(f"{invoke}/invoke/{fn_id}", data=b"cold", timeout=60)
        took.append(time.perf_counter() - began)
        if answer.status_code != 200:
            raise RuntimeError(f"cold call answered {answer.status_code}: {answer.text[:200]}")
    return took


def hot(base: str, fn_id: str, connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fn-wrk-") as tmp:
        script = Path(tmp) / "invoke.lua"
        script.write_text(_LUA_POST + _LUA_DONE.replace("MARKER", _MARKER))
        out = run_wrk(
            f"{base}/invoke/{fn_id}", script, connections=connections,
            threads=1, seconds=seconds, timeout=5,
        )  # fmt: skip
    result = parse_wrk("invoke", out)
    return {
        "calls_per_s": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 3),
        "p99_ms": round(result.p99_ms, 3),
        "errors": result.error_total,
    }


def bench(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with target(kind) as (base, invoke):
        fn_id = make_fn(base, args.image, "h")
        for _ in range(50):  # start the container, and warm both sides
            requests.post(f"{invoke}/invoke/{fn_id}", data=b"warm", timeout=60).raise_for_status()
        hot(invoke, fn_id, 4, 3)  # start the containers four connections need (not measured)
        out: dict[str, Any] = {"target": kind}
        for connections in (1, 4):
            runs = [hot(invoke, fn_id, connections, args.duration) for _ in range(args.repeat)]
            out[f"c{connections}"] = {
                key: statistics.median(r[key] for r in runs) for key in runs[0]
            }
        colds = cold_start(base, invoke, args.image, args.cold)
        out["cold_s"] = round(statistics.median(colds), 3)
        out["cold_all_s"] = [round(c, 3) for c in colds]
        return out


def ratios(row: dict[str, Any]) -> str:
    better = [
        ("p50@1", UPSTREAM["p50_ms@1"] / max(row["c1"]["p50_ms"], 1e-6)),
        ("calls/s@1", row["c1"]["calls_per_s"] / UPSTREAM["calls_per_s@1"]),
        ("calls/s@4", row["c4"]["calls_per_s"] / UPSTREAM["calls_per_s@4"]),
        ("cold", UPSTREAM["cold_s"] / max(row["cold_s"], 1e-6)),
    ]
    return ", ".join(f"{name} x{value:.2f}" for name, value in better)


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    print("target                      c1 p50 ms  c1 p99 ms  c1 calls/s  c4 p50 ms  c4 p99 ms  "
          "c4 calls/s  cold s")  # fmt: skip
    for row in rows:
        c1, c4 = row["c1"], row["c4"]
        print(
            f"{row['target'][:26]:<26}  {c1['p50_ms']:>9.3f}  {c1['p99_ms']:>9.3f}  "
            f"{c1['calls_per_s']:>10.0f}  {c4['p50_ms']:>9.3f}  {c4['p99_ms']:>9.3f}  "
            f"{c4['calls_per_s']:>10.0f}  {row['cold_s']:>6.3f}"
        )
    print(
        f"{'real Fn (podman)':<26}  {UPSTREAM['p50_ms@1']:>9.3f}  {'':>9}  "
        f"{UPSTREAM['calls_per_s@1']:>10.0f}  {'':>9}  {'':>9}  "
        f"{UPSTREAM['calls_per_s@4']:>10.0f}  {UPSTREAM['cold_s']:>6.3f}"
    )
    for row in rows:
        print(f"{row['target']}: against the real Fn (above 1 is better): {ratios(row)}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--driver", default="process",
        help="reference drivers (process, docker) or lb (a cluster), comma separated",
    )  # fmt: skip
    p.add_argument("--target", action="append", default=[], help="another server's URL")
    p.add_argument("--image", default=PROBE_IMAGE, help=f"the fns' image ({PROBE_IMAGE})")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (5)")
    p.add_argument("--repeat", type=int, default=3, help="wrk runs per figure, median (3)")
    p.add_argument("--cold", type=int, default=5, help="cold starts measured (5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench_invoke: wrk not found; install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    kinds = [d for d in args.driver.split(",") if d] + args.target
    rows = [bench(kind, args) for kind in kinds]
    if args.json:
        print(json.dumps({"upstream": UPSTREAM, "results": rows}, indent=2))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
