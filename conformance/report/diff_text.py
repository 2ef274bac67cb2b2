"""The diff of two runs (:func:`conformance.diff.compare`) as a terminal summary and Markdown."""

from __future__ import annotations

from typing import Any

from .text import one_line

#: Heading of each group of the diff document, in the order shown.
HEADINGS = {
    "newly_failing": "Newly failing",
    "newly_passing": "Newly passing",
    "other_changes": "Other outcome changes",
    "changed_evidence": "Changed evidence (failed in both)",
}
_TITLE = 80


def _flat(text: str, limit: int) -> str:
    """Every line of ``text`` on one line, joined by "; "."""
    return one_line("; ".join(line.strip() for line in text.splitlines() if line.strip()), limit)


def outcome(value: str, deviation: str | None) -> str:
    return f"{value} (known deviation)" if deviation is not None else value


def _change(entry: dict[str, Any]) -> str:
    was = outcome(entry["a_outcome"], entry["a_known_deviation"])
    now = outcome(entry["b_outcome"], entry["b_known_deviation"])
    return f"{was} → {now}"


def headline(diff: dict[str, Any]) -> str:
    counts = ", ".join(f"{len(diff[g])} {HEADINGS[g].split(' (')[0].lower()}" for g in HEADINGS)
    return (
        f"{counts} ({diff['in_both']} requirements in both; "
        f"{len(diff['only_in_a'])} only in A, {len(diff['only_in_b'])} only in B)"
    )


def _run_line(label: str, side: dict[str, Any]) -> str:
    musts = side["musts"]
    return (
        f"  {label}  {side['run_id']}  {side['verdict']} (exit {side['exit_code']}), MUSTs "
        f"{musts['passed']} passed, {musts['failed']} failed of {musts['total']}  "
        f"{side['target']['api_url']}  {side['file']}"
    )


def text(diff: dict[str, Any]) -> str:
    """The summary for a terminal: both runs, the counts, one line per changed requirement."""
    lines = [f"fn-conformance diff: {headline(diff)}"]
    lines += [_run_line("A", diff["a"]), _run_line("B", diff["b"])]
    for group, heading in HEADINGS.items():
        if not diff[group]:
            continue
        lines += ["", f"{heading} ({len(diff[group])}):"]
        for entry in diff[group]:
            title = one_line(entry["title"], _TITLE)
            lines.append(f"  {entry['id']}  {entry['level']}  {title}: {_change(entry)}")
            for sign, key in (("-", "findings_only_in_a"), ("+", "findings_only_in_b")):
                for found in entry.get(key, ()):
                    title, message = _flat(found["title"], 100), _flat(found["message"], 100)
                    lines.append(f"      {sign} {title}: {message}")
    for label, key in (("A", "only_in_a"), ("B", "only_in_b")):
        if diff[key]:
            lines += ["", f"Only in {label} ({len(diff[key])}, not compared):"]
            lines += [
                f"  {row['id']}  {row['level']}  {one_line(row['title'], _TITLE)}: "
                f"{outcome(row['outcome'], row['known_deviation'])}"
                for row in diff[key]
            ]
    if not any(diff[group] for group in HEADINGS):
        lines += ["", "No requirement in both runs changed."]
    return "\n".join(lines)


def _cell(value: object, limit: int = 200) -> str:
    return _flat(str(value), limit).replace("|", "\\|")


def _side_rows(diff: dict[str, Any]) -> list[str]:
    a, b = diff["a"], diff["b"]

    def row(name: str, pick: Any) -> str:
        return f"| {name} | {_cell(pick(a))} | {_cell(pick(b))} |"

    return [
        "| | A | B |",
        "|---|---|---|",
        row("Run", lambda s: s["run_id"]),
        row("File", lambda s: s["file"]),
        row("Target", lambda s: f"{s['target']['api_url']} {s['target']['version']}".strip()),
        row("Profile", lambda s: s["profile"]),
        row("Verdict", lambda s: f"{s['verdict']} (exit {s['exit_code']})"),
        row("MUSTs passed / failed / total",
            lambda s: f"{s['musts']['passed']} / {s['musts']['failed']} / {s['musts']['total']}"),
    ]  # fmt: skip


def markdown(diff: dict[str, Any]) -> str:
    """``diff-<A>-<B>.md``: both runs, then a table per group of changed requirements."""
    lines = [
        f"# Conformance diff: {_cell(diff['a']['run_id'])} → {_cell(diff['b']['run_id'])}",
        "",
        *_side_rows(diff),
        "",
        f"**{headline(diff)}**",
    ]
    for group, heading in HEADINGS.items():
        if not diff[group]:
            continue
        lines += ["", f"## {heading} ({len(diff[group])})", ""]
        lines += ["| ID | Level | Title | A | B |", "|---|---|---|---|---|"]
        for entry in diff[group]:
            was = outcome(entry["a_outcome"], entry["a_known_deviation"])
            now = outcome(entry["b_outcome"], entry["b_known_deviation"])
            lines.append(
                f"| {entry['id']} | {entry['level']} | {_cell(entry['title'])} | {was} | {now} |"
            )
        for entry in diff[group]:
            if "findings_only_in_a" not in entry:
                continue
            lines += ["", f"### {entry['id']}: findings that differ", ""]
            for label, key in (("A only", "findings_only_in_a"), ("B only", "findings_only_in_b")):
                lines += [
                    f"- {label}: **{_cell(f['title'])}**: {_cell(f['message'], 300)}"
                    for f in entry[key]
                ]
    for label, key in (("A", "only_in_a"), ("B", "only_in_b")):
        if diff[key]:
            lines += ["", f"## Only in {label} ({len(diff[key])}, not compared)", ""]
            lines += ["| ID | Level | Title | Outcome |", "|---|---|---|---|"]
            lines += [
                f"| {row['id']} | {row['level']} | {_cell(row['title'])} | "
                f"{outcome(row['outcome'], row['known_deviation'])} |"
                for row in diff[key]
            ]
    return "\n".join(lines) + "\n"


__all__ = ["HEADINGS", "headline", "markdown", "outcome", "text"]
