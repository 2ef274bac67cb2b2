"""``report.html`` and ``badge.svg``: one self-contained page that shows every requirement,
escapes whatever the target sent and works in a real browser with no network; a badge whose text
and colour follow the verdict.

The browser tests drive Debian's Chromium through Playwright; they are skipped (saying how to get
them) only when Chromium or Playwright is missing."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from markupsafe import escape

from conformance.failures import Outcome
from conformance.recorder import Exchange
from conformance.report import badge, html, markdown, write_reports
from conformance.requirements import load
from conformance.results import (
    STATUSES,
    Cleanup,
    Collected,
    Crash,
    Finding,
    RunCollector,
    RunResult,
    TargetInfo,
    TestResult,
    Verdict,
    decide,
)

from ..needs import missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request

HOSTILE = "<script>alert(1)</script>"
INJECTED_IMAGE = '"><img src=x onerror=alert(2)>'
CONTROL = "\x00\x1b[2J\u202e"
RAW = ("\x00", "\x1b", "\u202e")
NON_ASCII = "日本é"
LOG = "target.log"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _exchange(body: str, *, status: int | None = 500, error: str = "") -> dict[str, Any]:
    exchange = Exchange.from_request(
        "POST",
        f"http://t/v2/apps?name={INJECTED_IMAGE}",
        {"Content-Type": "application/json"},
        f'{{"name": "{NON_ASCII}"}}'.encode(),
        error=error,
    )
    exchange.status = None if error else status
    exchange.response_headers = {} if error else {"Content-Type": "text/html"}
    exchange.response_body = "" if error else body
    return exchange.to_dict()


def _test(
    nodeid: str,
    judged: dict[str, Outcome],
    *,
    outcome: Outcome | None = None,
    findings: tuple[Finding, ...] = (),
    message: str = "",
    evidence: tuple[dict[str, Any], ...] = (),
    measurements: tuple[dict[str, Any], ...] = (),
) -> TestResult:
    return TestResult(
        nodeid,
        "call",
        outcome or Outcome.worst(judged.values()),
        tuple(judged),
        judged,
        findings,
        message,
        evidence,
        0.2,
        measurements,
    )


def synthetic_run() -> RunResult:
    """A run with every outcome, hostile evidence, a known deviation, a crash, a leak,
    measurements with and without samples, and a target log."""
    hostile = Finding(
        "FN-APP-001",
        f"create answered 500 {HOSTILE}",
        f"Received: 500 {HOSTILE} {CONTROL} {NON_ASCII}\nExpected: 200",
        (_exchange(f"{HOSTILE} {CONTROL} {NON_ASCII}"),),
    )
    silent = Finding(
        "FN-APP-012",
        "no answer",
        "Received: no answer\nExpected: 400",
        (_exchange("", error="ConnectionResetError(104)"),),
    )
    deviation = Finding("FN-APP-006", "duplicate accepted", "Received: 200\nExpected: 409")
    measured = (
        {"name": "cold_start", "value": 0.42, "unit": "s", "samples": [0.39, 0.4, 0.42, 0.5, 0.61]},
        {"name": "cold_start", "value": 0.8, "unit": "s", "samples": 3},
        {"name": "evictor.extra_latency", "value": 0.12, "unit": "s", "mode": "blocking"},
        {"name": "evictor.extra_latency", "value": -0.03, "unit": "s", "mode": "non-blocking"},
    )
    results = [
        _test("t::app_create", {"FN-APP-001": Outcome.FAILED}, findings=(hostile,)),
        _test("t::app_id", {"FN-APP-002": Outcome.PASSED}),
        _test(
            "t::app_name",
            {"FN-APP-003": Outcome.ERROR},
            message=f"KeyError: 'id' {HOSTILE}",
            evidence=(_exchange('{"id": 1}', status=200),),
        ),
        _test("t::app_unique", {"FN-APP-006": Outcome.FAILED}, findings=(deviation,)),
        _test("t::syslog", {"FN-APP-012": Outcome.FAILED}, findings=(silent,)),
        _test(
            "t::fn_create",
            {"FN-FN-001": Outcome.UNSUPPORTED},
            outcome=Outcome.UNSUPPORTED,
            message="unsupported: no such runtime",
        ),
        _test(
            "t::evict",
            {"FN-EVI-002": Outcome.INCONCLUSIVE},
            message="inconclusive: the machine is too noisy",
            measurements=measured,
        ),
    ]
    collected = [Collected(r.nodeid, r.requirements, True) for r in results]
    collected.append(Collected("t::evict_idle", ("FN-EVI-001",), False, left_out="capability"))
    collector = RunCollector(load(), "full", disabled=frozenset({"FN-EVI-001"}))
    for result in results:
        collector.add(result)
    rows = collector.requirement_results(collected, {"FN-APP-006": "fails_on:ref <b>old</b>"})
    cleanup = Cleanup(
        created=5,
        deleted=3,
        gone=4,
        leaked=({"kind": "app", "id": "01HX", "name": f"fnc-{HOSTILE}"},),
        errors=("DELETE /v2/apps/01HX answered 500",),
    )
    crashes = (
        Crash(
            "t::app_create",
            f"no answer for 10 s {HOSTILE}",
            restarted=True,
            unanswered=_exchange("", error="ReadTimeout"),
        ),
    )
    verdict = decide(
        rows, results, cleanup=cleanup, narrowed_by=(), crashes=crashes, interrupted=False
    )
    return RunResult(
        run_id="html0001",
        suite_version="0.1.0",
        started_at="2025-01-01T10:00:00Z",
        finished_at="2025-01-01T10:01:02Z",
        duration_s=62.0,
        target=TargetInfo(
            "http://t:8080",
            "http://t:8080",
            embedded=False,
            version="0.3.750",
            image=f"ghcr.io/example/fn:1 {HOSTILE}",
        ),
        profile="full",
        effort="dev",
        seed=1234,
        config={
            "api_url": "http://t:8080",
            "token": "<redacted>",
            "capabilities": {"evictor": False, "lb": True},
            "patterns": ["FN-APP-*"],
        },
        requests_sent=321,
        verdict=verdict,
        requirements=tuple(rows),
        tests=tuple(results),
        cleanup=cleanup,
        crashes=crashes,
        baseline_unused=("FN-TRG-002",),
        target_log=LOG,
    )


@pytest.fixture(scope="module")
def run() -> RunResult:
    return synthetic_run()


@pytest.fixture(scope="module")
def report(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html-report")
    (folder / LOG).write_text("the target's log\n")
    return html.write(run, folder)


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of its style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parsed(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_synthetic_run_covers_every_outcome(run: RunResult) -> None:
    assert {r.outcome for r in run.requirements} == set(Outcome)
    assert any(r.known_deviation for r in run.requirements)
    assert run.verdict.status == "not-conformant"


def test_html_report_is_one_file_that_references_nothing_remote(report: Path) -> None:
    assert report.name == "report.html" and report.stat().st_size > 0
    page = _parsed(report)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value)
        if tag == "link":
            assert attrs.get("href", "").startswith("data:"), attrs
    assert [tag for tag, _ in page.tags].count("script") == 1
    assert not any(attrs.get("src") for tag, attrs in page.tags if tag == "script")
    css = "\n".join(page.styles)
    assert css and "@import" not in css and not re.search(r"url\(\s*['\"]?https?:", css)
    assert "font-face" not in css
    csp = next(a for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp["content"]


def test_html_report_escapes_what_the_target_sent(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text and "onerror" not in {k for _, a in _parsed(report).tags for k in a}
    assert not any(ch in text for ch in RAW)
    assert "\\x00\\x1b[2J\\u202e" in text
    assert NON_ASCII in text
    assert "fails_on:ref &lt;b&gt;old&lt;/b&gt;" in text


def test_html_report_has_one_row_per_requirement_with_its_data(
    run: RunResult, report: Path
) -> None:
    rows = [a for t, a in _parsed(report).tags if t == "tr" and "data-id" in a]
    assert sorted(a["data-id"] for a in rows) == sorted(r.id for r in run.requirements)
    by_id = {a["data-id"]: a for a in rows}
    for row in run.requirements:
        attrs = by_id[row.id]
        assert attrs["data-outcome"] == row.outcome.value
        assert attrs["data-area"] == row.requirement.area
        assert attrs["data-level"] == row.requirement.level


def test_html_report_shows_verdict_failures_evidence_and_the_rest(
    run: RunResult, report: Path
) -> None:
    text = report.read_text(encoding="utf-8")
    assert text.index("NOT CONFORMANT") < text.index('id="areas"') < text.index('id="requirements"')
    assert 'class="verdict tone-bad"' in text and "exit code 1" in text
    for reason in run.verdict.reasons:
        assert str(escape(reason)) in text
    for name in ("results.json", "report.md", "junit-requirements.xml", "junit.xml", "badge.svg"):
        assert f'href="{name}"' in text
    assert f'href="{LOG}"' in text
    assert "ghcr.io/example/fn:1 &lt;script&gt;" in text and "0.3.750" in text
    for req_id in ("FN-APP-001", "FN-APP-003", "FN-APP-006", "FN-APP-012"):
        assert f'id="req-{req_id}"' in text
    assert 'id="req-FN-APP-002"' not in text
    curls = [e["curl"] for r in run.requirements for f in r.findings for e in f.evidence]
    curls += [e["curl"] for t in run.tests if t.outcome == Outcome.ERROR for e in t.evidence]
    curls += [e["curl"] for c in run.crashes for _, e in c.exchanges]
    assert text.count('class="copy"') == len(curls) == 4
    assert all(str(escape(curl)) in text for curl in curls)
    assert "no answer: ConnectionResetError(104)" in text
    assert "KeyError: &#39;id&#39; &lt;script&gt;" in text  # an error's message, no findings
    assert "no answer for 10 s &lt;script&gt;" in text  # the crash
    assert "fnc-&lt;script&gt;" in text and "DELETE /v2/apps/01HX answered 500" in text
    assert "Baseline entries that did not fail this time: FN-TRG-002" in text
    assert text.count('class="chart measure-chart"') == 2  # cold_start, evictor.extra_latency
    assert text.count('class="sample"') == 5 and text.count('class="median"') == 1
    assert "mode=blocking" in text and "mode=non-blocking" in text and "samples=3" in text
    assert "capabilities.evictor" in text and "&lt;redacted&gt;" in text


def test_html_report_of_a_quiet_conformant_run_says_so_and_shows_no_empty_sections(
    run: RunResult, tmp_path: Path
) -> None:
    quiet = replace(
        run,
        verdict=Verdict("conformant", ("all 1 MUSTs in scope passed",)),
        requirements=tuple(r for r in run.requirements if r.outcome == Outcome.PASSED),
        tests=(),
        crashes=(),
        cleanup=Cleanup(created=2, deleted=2, gone=2),
        baseline_unused=(),
        target_log="",
        config={},
    )
    text = html.write(quiet, tmp_path).read_text(encoding="utf-8")
    assert 'class="verdict tone-good"' in text and "<h1>CONFORMANT</h1>" in text
    assert "Failures and errors (0)" in text and 'id="measurements"' not in text
    assert 'id="crashes"' not in text and 'id="target-log"' not in text
    assert text.count('<tr data-id="') == 1 and "1 of 1 shown" in text


def test_markdown_report_names_the_html_report_and_the_target_log(run: RunResult) -> None:
    head = markdown.render(run).split("## Failures")[0]
    assert f"`{html.NAME}`" in head
    assert f"Target log (the container's output): `{LOG}`" in head
    assert "Target log" not in markdown.render(replace(run, target_log="")).split("## F")[0]


@pytest.mark.parametrize("status", list(STATUSES))
def test_badge_text_and_colour_follow_the_verdict(run: RunResult, status: str) -> None:
    judged = replace(run, verdict=Verdict(status, ()))
    root = ET.fromstring(badge.render(judged))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    fills = [r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    expected_colour = {
        "conformant": "#4c1",
        "known-deviations": "#dfb317",
        "narrowed": "#dfb317",
        "not-conformant": "#e05d44",
        "target-crashed": "#e05d44",
        "incomplete": "#e05d44",
        "suite-error": "#9f9f9f",
        "interrupted": "#9f9f9f",
    }[status]
    assert expected_colour in fills
    if status == "conformant":
        assert texts[-1] == "conformant"
    else:
        musts = [r for r in run.requirements if r.requirement.is_must]
        in_scope = [r for r in musts if r.outcome not in (Outcome.DISABLED, Outcome.UNSUPPORTED)]
        passed = [r for r in in_scope if r.outcome == Outcome.PASSED]
        assert texts[-1] == f"{len(passed)} of {len(in_scope)} MUSTs"
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text and status in title.text


def test_badge_is_wider_for_longer_text_and_escapes_it(run: RunResult) -> None:
    short = ET.fromstring(badge.render(replace(run, verdict=Verdict("conformant", ()))))
    long = ET.fromstring(badge.render(replace(run, verdict=Verdict("incomplete", ()))))
    assert int(long.get("width", "0")) > int(short.get("width", "0")) > 90
    assert badge.text_width("mmmm") > badge.text_width("iiii")
    assert "&lt;" in badge.render(run) or "<" not in badge.message(run)


def test_write_reports_writes_the_html_report_and_the_badge(run: RunResult, tmp_path: Path) -> None:
    paths = write_reports(run, tmp_path)
    assert paths["html"] == str(tmp_path / "report.html")
    assert paths["badge"] == str(tmp_path / "badge.svg")
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    ET.parse(tmp_path / "badge.svg")


# --- in a real browser ------------------------------------------------------------------------


@dataclass
class Opened:
    """A page showing the report, and what it said and asked for while it was open."""

    page: Page
    url: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_quiet(self) -> None:
        assert self.problems == []
        assert self.requests == [self.url]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("needs Playwright for the browser tests: pip install playwright")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        missing("needs Chromium for the browser tests: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def opened(browser: Browser, report: Path) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Opened(page, report.as_uri())

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            seen.problems.append(f"console {message.type}: {message.text}")

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
    page.on("request", on_request)
    page.goto(seen.url)
    yield seen
    context.close()


def _shown(page: Page) -> int:
    return int(page.locator("table.requirements tbody tr:visible").count())


def test_report_in_a_browser_filters_rows_by_outcome_area_level_and_text(
    run: RunResult, opened: Opened
) -> None:
    page, total = opened.page, len(run.requirements)
    assert page.locator("table.requirements tbody tr").count() == total
    assert page.locator("#shown").inner_text() == f"{total} of {total} shown"
    failed = sorted(r.id for r in run.requirements if r.outcome == Outcome.FAILED)
    page.click("button[data-outcomes=none]")
    assert _shown(page) == 0 and page.locator("#shown").inner_text() == f"0 of {total} shown"
    page.check("input[name=outcome][value=failed]")
    visible = page.locator("table.requirements tbody tr:visible")
    assert sorted(visible.evaluate_all("rows => rows.map(r => r.dataset.id)")) == failed
    assert page.locator("#shown").inner_text() == f"{len(failed)} of {total} shown"
    page.click("button[data-outcomes=all]")
    page.select_option("#filter-area", "EVI")
    evi = [r for r in run.requirements if r.requirement.area == "EVI"]
    assert _shown(page) == len(evi) > 0
    page.select_option("#filter-level", "SHOULD")
    assert _shown(page) == sum(1 for r in evi if r.requirement.level == "SHOULD")
    page.select_option("#filter-area", "")
    page.select_option("#filter-level", "")
    page.fill("#filter-text", "fn-app-00")
    app = sum(1 for r in run.requirements if r.id.startswith("FN-APP-00"))
    assert _shown(page) == app == 9
    assert page.locator("#shown").inner_text() == f"{app} of {total} shown"
    page.fill("#filter-text", "known deviation")
    shown = page.locator("table.requirements tbody tr:visible")
    assert shown.evaluate_all("rows => rows.map(r => r.dataset.id)") == ["FN-APP-006"]
    opened.assert_quiet()


def test_report_in_a_browser_copy_button_puts_the_curl_line_in_the_clipboard(
    run: RunResult, opened: Opened
) -> None:
    page = opened.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    curl = next(e["curl"] for r in run.requirements for f in r.findings for e in f.evidence)
    page.evaluate(
        """() => {
            const write = navigator.clipboard.writeText.bind(navigator.clipboard);
            window.viaApi = [];
            navigator.clipboard.writeText = (text) => {
                window.viaApi.push(text);
                return write(text);
            };
        }"""
    )
    block = page.locator("#req-FN-APP-001 .curl").first
    assert block.locator("pre").inner_text() == curl
    block.locator("button.copy").click()
    block.locator(".copied", has_text="copied").wait_for()
    assert page.evaluate("window.viaApi") == [curl]  # the Clipboard API, not the fallback
    assert page.evaluate("navigator.clipboard.readText()") == curl
    opened.assert_quiet()


def test_report_in_a_browser_copy_falls_back_to_exec_command_without_the_clipboard_api(
    run: RunResult, opened: Opened
) -> None:
    page = opened.page
    page.evaluate(
        """() => {
            Object.defineProperty(navigator, "clipboard", {value: undefined});
            window.copiedText = null;
            document.addEventListener("copy", () => {
                const box = document.activeElement;
                window.copiedText = box.value.slice(box.selectionStart, box.selectionEnd);
            });
        }"""
    )
    curl = next(
        e["curl"]
        for r in run.requirements
        if r.id == "FN-APP-012"
        for f in r.findings
        for e in f.evidence
    )
    block = page.locator("#req-FN-APP-012 .curl").first
    block.locator("button.copy").click()
    block.locator(".copied", has_text="copied").wait_for()
    assert page.evaluate("window.copiedText") == curl
    assert page.locator("textarea").count() == 0  # the helper is removed again
    opened.assert_quiet()


def test_report_in_a_browser_draws_its_charts_and_asks_for_nothing_else(
    run: RunResult, opened: Opened, report: Path
) -> None:
    page = opened.page
    assert page.title().startswith("Fn conformance — run html0001: NOT CONFORMANT")
    bars = page.locator("svg.area-chart g.area-row")
    assert bars.count() == len(run.areas())
    app = page.locator("svg.area-chart g.area-row[data-area=APP]")
    assert app.locator("rect.seg.o-failed title").text_content() == "APP: 3 failed"
    box = app.locator("rect.seg").first.bounding_box()
    assert box is not None and box["width"] > 0
    charts = page.locator("svg.measure-chart")
    assert charts.count() == 2
    assert charts.nth(0).locator("circle.sample").count() == 5
    assert charts.nth(1).locator("rect.measure-bar").count() == 2
    screenshot = report.with_name("report.png")
    page.screenshot(path=str(screenshot), full_page=True)
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    opened.assert_quiet()
