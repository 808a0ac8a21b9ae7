"""The pictures and HTML pages as headless Chromium renders them: no console error, labels apart, the numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, browser_session, label_problems, labels, missing_titles
from draw_cases import Case, grid
from picture_facts import drawn, expected, text_problems

from lstmcount.api import as_spec, compare
from lstmcount.renderers.html import report_page

CASES = grid()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module (skipped without it, failed in CI)."""
    yield from browser_session()


def _shown(browser: Browser, view: str) -> tuple[set[tuple[str, ...]], dict[tuple[str, ...], list[str]]]:
    found: set[tuple[str, ...]] = set()
    texts: dict[tuple[str, ...], list[str]] = {}
    for label in labels(browser):
        data = {k.removeprefix("data-"): v for k, v in label["data"].items()}
        for item in drawn([data], view):
            found.add(item)
            texts.setdefault(item, []).append(label["text"])
    return found, texts


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rendered_picture(case: Case, browser: Browser, tmp_path: Path) -> None:
    """Rendered, the picture has no console error, every label inside and apart, titles, and the report's numbers."""
    path = tmp_path / f"{case.name}.svg"
    path.write_text(case.canvas().svg(), encoding="utf-8")
    browser.open(path)
    assert browser.console_errors == []
    assert label_problems(browser) == []
    assert missing_titles(browser) == []
    found, texts = _shown(browser, case.view)
    want = expected(case.reports(), case.view, case.layer)
    assert found == want
    assert text_problems(texts, case.view) == []


PAGES = {
    "explain-seed": (
        "explain",
        {"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}, {"type": "dense", "units": 1}]},
        "keras",
    ),
    "count-compared": (
        "count",
        {"input": {"features": 10}, "layers": [{"type": "gru", "units": 8, "bidirectional": True}]},
        "keras,pytorch,onnx",
    ),
    "count-deep": (
        "count",
        {
            "input": {"features": 32},
            "layers": [
                {"type": "lstm", "units": 4096, "name": "e" * 60, "num_layers": 2, "return_sequences": True},
                {"type": "simple_rnn", "units": 1},
            ],
        },
        "pytorch",
    ),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_rendered_html_page(name: str, browser: Browser, tmp_path: Path) -> None:
    """The HTML page renders with no console error and no request, its pictures laid out and titled."""
    _, spec_data, fw = PAGES[name]
    reports = compare(as_spec(spec_data), fw).reports
    path = tmp_path / f"{name}.html"
    path.write_text(report_page(reports, None), encoding="utf-8")
    browser.open(path, width=1280, height=900)
    assert browser.console_errors == []
    assert label_problems(browser) == []
    assert missing_titles(browser) == []
    n_svgs = browser.evaluate("document.querySelectorAll('svg').length")
    recurrent = sum(1 for r in reports for layer in r.layers if layer.recurrent)
    assert n_svgs == len(reports) + 3 * recurrent
    body = browser.evaluate("document.body.innerText")
    for report in reports:
        assert f"Total: {report.total:,} parameters" in body
    assert browser.evaluate("document.scripts.length") == 0
