"""``report.md``: a summary per area, then every failure with its evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .terminal import COLUMNS


def render(document: dict[str, Any]) -> str:
    verdict = document["verdict"]
    target = document["target"]
    out = [
        f"# Fn conformance report — run {document['run_id']}",
        "",
        f"- Verdict: **{'PASSED' if verdict['passed'] else 'FAILED'}** "
        f"(profile `{document['profile']}`)",
        f"- Target: {target['api_url']} (version: {target.get('version') or 'unknown'})",
        f"- Suite: fn-conformance {document['suite']['version']}; effort `{document['effort']}`; "
        f"seed {document['seed']}",
        f"- When: {document['started_at']} → {document['finished_at']} "
        f"({document['duration_s']} s), {document['requests_sent']} requests",
        "",
        "## Requirements per area",
        "",
        "| area | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for area, counts in document["areas"].items():
        out.append(f"| {area} | " + " | ".join(str(counts.get(c, 0)) for c in COLUMNS) + " |")
    cleanup = document["cleanup"]
    out += [
        "",
        "## Cleanup",
        "",
        f"Created {cleanup['created']}; {cleanup['removed']} verified gone at the end "
        f"({cleanup['deleted']} by their own DELETE, the rest by tests or cascades); "
        f"leaked {len(cleanup['leaked'])}, errors {len(cleanup['errors'])}.",
    ]
    for leak in cleanup["leaked"]:
        out.append(f"- leaked {leak['kind']} `{leak['id']}` ({leak['name']})")
    for problem in verdict.get("problems", []):
        out.append(f"- {problem}")
    failing = [r for r in document["requirements"] if r["outcome"] in ("failed", "error")]
    out += ["", f"## Failures and errors ({len(failing)})", ""]
    if not failing:
        out.append("None.")
    for req in failing:
        known = f" — known deviation: {req['known_deviation']}" if req["known_deviation"] else ""
        out += [f"### {req['id']} ({req['level']}, {req['outcome']}){known}", "", req["title"], ""]
        for test in req["tests"]:
            if test["outcome"] not in ("failed", "error"):
                continue
            out += [
                f"- `{test['nodeid']}`: {test['outcome']}",
                "",
                "```",
                test["message"].strip(),
                "```",
            ]
            for ex in test["evidence"][-2:]:
                out += ["", "```", f"{ex['method']} {ex['url']}", f"-> {ex['status']}"]
                out += [ex["response_body"][:800], "```", "", f"Reproduce: `{ex['curl']}`"]
            out.append("")
    others = [
        r
        for r in document["requirements"]
        if r["outcome"] in ("unsupported", "disabled", "inconclusive")
    ]
    if others:
        out += ["## Not checked on this target", ""]
        for req in others:
            reason = next((t["message"] for t in req["tests"] if t["message"]), "")
            out.append(
                f"- {req['id']} ({req['outcome']}): {reason.splitlines()[0] if reason else ''}"
            )
    return "\n".join(out) + "\n"


def write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(render(document), encoding="utf-8")
