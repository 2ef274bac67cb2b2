"""Ctrl-C at any moment loses nothing: SIGINT at random moments into ``-n 2`` runs against an
external server leaves no resource of the run behind, and the report's leak count is what is
really left (0). The ledger is written before each create is sent, so even a create whose
answer never arrived is found by name and removed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conformance._server import LocalServer
from conformance.resources import run_prefix

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = int(os.environ.get("FN_SIGINT_ROUNDS", "20"))


def _left(url: str, prefix: str) -> list[str]:
    """Names of the run's apps still on the target (fns and triggers live inside apps)."""
    names, cursor = [], None
    for _ in range(1000):
        params = {"per_page": 100, **({"cursor": cursor} if cursor else {})}
        body = requests.get(f"{url}/v2/apps", params=params, timeout=30).json()
        names += [a["name"] for a in body["items"] if a["name"].startswith(prefix)]
        cursor = body.get("next_cursor")
        if not cursor or not body["items"]:
            return names
    raise AssertionError("the app list did not end")


def _wait_for_ledger(folder: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.stat().st_size for p in folder.glob("ledger-*.jsonl")):
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_sigint_at_random_moments_leaves_nothing_behind(tmp_path: Path) -> None:
    seed = int(os.environ.get("FN_SIGINT_SEED", str(random.randrange(2**31))))
    rng = random.Random(seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FNCONF_", "FN_API_URL"))}
    seen = []
    with LocalServer(env={"FN_MAX_REQUEST_SIZE": "1048576"}) as server:
        for round_ in range(ROUNDS):
            run_id = f"sig{round_:02d}{rng.randrange(10**4):04d}"
            moment = rng.uniform(0.0, 10.0)
            proc = subprocess.Popen(
                [sys.executable, "-m", "conformance.cli", "run", "--target", server.url,
                 "--run-id", run_id, "--report-dir", str(tmp_path), "--effort", "dev",
                 "-n", "2"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True,
            )  # fmt: skip
            # The random moment counts from the first create (the first ledger line): before
            # it, pytest and its workers are still starting and nothing can be left behind.
            _wait_for_ledger(tmp_path / run_id, proc)
            time.sleep(moment)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
            output, _ = proc.communicate(timeout=300)
            left = _left(server.url, run_prefix(run_id))
            where = f"seed {seed}, round {round_}, SIGINT {moment:.1f}s after the first create"
            assert left == [], f"{where}: left {left}\n{output[-3000:]}"
            results = tmp_path / run_id / "results.json"
            if results.exists():
                document = json.loads(results.read_text())
                assert document["cleanup"]["leaked"] == [], f"{where}: {document['cleanup']}"
                assert proc.returncode in (130, 0), f"{where}: exit {proc.returncode}"
                if proc.returncode == 130:
                    assert document["verdict"]["status"] == "interrupted", where
                seen.append(document["cleanup"]["created"])
            else:
                ledgers = list((tmp_path / run_id).glob("ledger-*.jsonl"))
                assert not any(p.stat().st_size for p in ledgers), f"{where}: no report"
                seen.append(0)
    # Every round was interrupted while it was creating things.
    assert all(seen), seen
