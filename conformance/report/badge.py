"""``badge.svg``: a shields-style badge for a README or a CI page.

Left "fn conformance"; right "conformant", or how many MUSTs in scope passed ("41 of 44
MUSTs"), coloured by the verdict's tone (:data:`TONES`, shared with ``report.html``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..failures import Outcome
from ..results import OUT_OF_SCOPE, RunResult

NAME = "badge.svg"
LABEL = "fn conformance"
#: Verdict status -> tone: good (conformant), warn (a claim with caveats), bad (not
#: conformant, or not judged), neutral (the run says nothing about the target).
TONES = {
    "conformant": "good",
    "known-deviations": "warn",
    "narrowed": "warn",
    "not-conformant": "bad",
    "target-crashed": "bad",
    "incomplete": "bad",
    "suite-error": "neutral",
    "interrupted": "neutral",
}
#: Tone -> badge colour (shields.io's brightgreen, yellow, red and lightgrey).
COLOURS = {"good": "#4c1", "warn": "#dfb317", "bad": "#e05d44", "neutral": "#9f9f9f"}
_LABEL_COLOUR = "#555"
_HEIGHT = 20
_PADDING = 6
_FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"
# Approximate advance widths of Verdana at 11px, by character class.
_NARROW = set("fijlrt.,:;!|'()[] ")
_WIDE = set("mwMW%@")


def text_width(text: str) -> int:
    """An approximate rendered width of ``text`` in Verdana 11px (shields measures it exactly)."""
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.7
        elif char.isupper() or char.isdigit():
            width += 7.6
        else:
            width += 6.8
    return round(width)


def message(run: RunResult) -> str:
    """The badge's right part: "conformant", or "N of M MUSTs" (MUSTs in scope that passed)."""
    if run.verdict.status == "conformant":
        return "conformant"
    musts = [r for r in run.requirements if r.requirement.is_must and r.outcome not in OUT_OF_SCOPE]
    passed = sum(1 for r in musts if r.outcome == Outcome.PASSED)
    return f"{passed} of {len(musts)} MUSTs"


def colour(run: RunResult) -> str:
    return COLOURS[TONES[run.verdict.status]]


def render(run: RunResult) -> str:
    value = message(run)
    left, right = text_width(LABEL) + 2 * _PADDING, text_width(value) + 2 * _PADDING
    total = left + right
    title = f"{LABEL}: {value} ({run.verdict.status})"
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(total),
            "height": str(_HEIGHT),
            "role": "img",
            "aria-label": title,
        },
    )
    ET.SubElement(svg, "title").text = title
    gradient = ET.SubElement(svg, "linearGradient", {"id": "s", "x2": "0", "y2": "100%"})
    ET.SubElement(gradient, "stop", {"offset": "0", "stop-color": "#bbb", "stop-opacity": ".1"})
    ET.SubElement(gradient, "stop", {"offset": "1", "stop-opacity": ".1"})
    clip = ET.SubElement(svg, "clipPath", {"id": "r"})
    ET.SubElement(
        clip, "rect", {"width": str(total), "height": str(_HEIGHT), "rx": "3", "fill": "#fff"}
    )
    shapes = ET.SubElement(svg, "g", {"clip-path": "url(#r)"})
    ET.SubElement(
        shapes, "rect", {"width": str(left), "height": str(_HEIGHT), "fill": _LABEL_COLOUR}
    )
    ET.SubElement(
        shapes,
        "rect",
        {"x": str(left), "width": str(right), "height": str(_HEIGHT), "fill": colour(run)},
    )
    ET.SubElement(shapes, "rect", {"width": str(total), "height": str(_HEIGHT), "fill": "url(#s)"})
    texts = ET.SubElement(
        svg,
        "g",
        {"fill": "#fff", "text-anchor": "middle", "font-family": _FONT, "font-size": "11"},
    )
    for text, middle in ((LABEL, left / 2), (value, left + right / 2)):
        shadow = {"x": f"{middle:g}", "y": "15", "fill": "#010101", "fill-opacity": ".3"}
        ET.SubElement(texts, "text", shadow).text = text
        ET.SubElement(texts, "text", {"x": f"{middle:g}", "y": "14"}).text = text
    return ET.tostring(svg, encoding="unicode") + "\n"


def write(run: RunResult, folder: Path) -> Path:
    path = folder / NAME
    path.write_text(render(run), encoding="utf-8")
    return path


__all__ = ["COLOURS", "NAME", "TONES", "colour", "message", "render", "text_width", "write"]
