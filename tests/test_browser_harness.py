"""The headless-Chromium harness and its SVG label checks: they must catch problems, not only pass clean pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    Browser,
    BrowserError,
    browser_session,
    find_chromium,
    label_problems,
    labels,
    missing_titles,
)

FONT = 'font-family="monospace" font-size="12"'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole module."""
    yield from browser_session()


def svg(body: str, width: int = 300, height: int = 200) -> str:
    """A standalone SVG document of width × height around body."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{body}</svg>'
    )


def label(x: float, y: float, text: str, tip: str | None = None) -> str:
    """A monospace <text> with its own <title>."""
    return f'<text x="{x}" y="{y}" {FONT}><title>{tip or text}</title>{text}</text>'


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a file under tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_find_chromium_honours_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """LSTMCOUNT_CHROMIUM wins over PATH, and a bogus value means no browser."""
    monkeypatch.setenv("LSTMCOUNT_CHROMIUM", "/nonexistent/chromium")
    assert find_chromium() is None
    monkeypatch.setenv("LSTMCOUNT_CHROMIUM", "/bin/sh")
    assert find_chromium() == "/bin/sh"


def test_clean_svg_has_no_problems(browser: Browser, tmp_path: Path) -> None:
    """Two well-separated labels with titles inside the drawing give no problems at all."""
    page = write(
        tmp_path,
        "clean.svg",
        svg(
            '<g data-layer="lstm" data-params="1234"><title>layer</title><rect x="10" y="10" width="50" height="20"/>'
            + label(20, 60, "1,234")
            + "</g>"
            + label(150, 150, "right")
        ),
    )
    browser.open(page)
    assert label_problems(browser) == []
    assert missing_titles(browser) == []
    assert browser.console_errors == []
    found = labels(browser)
    assert [(f["svg"], f["text"]) for f in found] == [(0, "1,234"), (0, "right")]
    assert found[0]["data"] == {"data-layer": "lstm", "data-params": "1234"}
    assert found[1]["data"] == {}
    assert found[0]["width"] > 20 and found[0]["height"] > 8  # the title is not part of the visible text


def test_overlapping_labels_are_reported(browser: Browser, tmp_path: Path) -> None:
    """Two labels drawn on top of each other are reported, naming both texts."""
    page = write(tmp_path, "overlap.svg", svg(label(20, 50, "first label") + label(40, 54, "second label")))
    problems = label_problems(browser.open(page))
    assert len(problems) == 1, problems
    assert '"first label"' in problems[0] and '"second label"' in problems[0] and "overlaps" in problems[0]


def test_touching_labels_are_not_overlaps(browser: Browser, tmp_path: Path) -> None:
    """Labels side by side or stacked line by line do not count as overlapping."""
    body = label(10, 20, "aaaa") + label(10, 40, "bbbb") + label(120, 20, "cccc")
    assert label_problems(browser.open(write(tmp_path, "apart.svg", svg(body)))) == []


def test_label_outside_the_drawing_is_reported(browser: Browser, tmp_path: Path) -> None:
    """A label running past the right edge of the svg is reported as sticking out."""
    page = write(tmp_path, "outside.svg", svg(label(250, 100, "a long label past the edge")))
    problems = label_problems(browser.open(page))
    assert len(problems) == 1, problems
    assert "sticks out" in problems[0] and "right by" in problems[0] and "a long label" in problems[0]


def test_element_without_title_is_reported(browser: Browser, tmp_path: Path) -> None:
    """A rect with no title of its own nor in an ancestor <g> is listed; a titled group covers its children."""
    body = (
        '<rect id="bare" x="1" y="1" width="5" height="5"/>'
        '<g class="bar"><title>group tip</title><circle cx="50" cy="50" r="4"/></g>'
        f'<text x="100" y="100" {FONT}>untitled</text>'
        '<defs><path id="p" d="M0 0L1 1"/></defs>'
    )
    missing = missing_titles(browser.open(write(tmp_path, "notitle.svg", svg(body))))
    assert missing == ["svg[0] > rect#bare", 'svg[0] > text "untitled"']


def test_overlap_is_judged_per_svg(browser: Browser, tmp_path: Path) -> None:
    """Labels of two inline svgs that overlap each other on the page are fine; an overlap within one is not."""
    first = svg(label(10, 20, "left chart"), 150, 100)
    second = svg(label(10, 20, "right chart") + label(12, 22, "clash"), 150, 100).replace("<svg", '<svg id="b"', 1)
    html = (
        "<!doctype html><html><body style='margin:0'>"
        f"<div style='position:absolute;left:0;top:0'>{first}</div>"
        f"<div style='position:absolute;left:5px;top:3px'>{second}</div>"
        "</body></html>"
    )
    browser.open(write(tmp_path, "two.html", html))
    problems = label_problems(browser)
    assert len(problems) == 1, problems
    assert problems[0].startswith("svg[1]#b:") and '"right chart"' in problems[0] and '"clash"' in problems[0]
    assert {f["svg"] for f in labels(browser)} == {0, 1}


def test_many_labels_are_checked_quickly(browser: Browser, tmp_path: Path) -> None:
    """Five thousand labels in a grid are checked in well under a second, and one planted overlap is found."""
    body = "".join(label(5 + 60 * (i % 50), 12 + 20 * (i // 50), f"n{i}") for i in range(5000))
    body += label(7, 14, "planted")
    browser.open(write(tmp_path, "many.svg", svg(body, 3000, 2010)))
    start = time.monotonic()
    problems = label_problems(browser)
    assert time.monotonic() - start < 2.0
    assert len(problems) == 1 and '"n0"' in problems[0] and '"planted"' in problems[0], problems


def test_console_error_is_collected(browser: Browser, tmp_path: Path) -> None:
    """console.error on a page shows up in console_errors, and the next page starts clean."""
    browser.open(write(tmp_path, "log.html", "<script>console.error('bad thing', 42)</script>"))
    assert any("bad thing 42" in e for e in browser.console_errors), browser.console_errors
    browser.open(write(tmp_path, "quiet.html", "<p>quiet</p>"))
    assert browser.console_errors == []


def test_uncaught_exception_is_collected(browser: Browser, tmp_path: Path) -> None:
    """An exception thrown by a page script shows up in console_errors."""
    browser.open(write(tmp_path, "throw.html", "<script>throw new Error('kaboom')</script>"))
    assert any("kaboom" in e for e in browser.console_errors), browser.console_errors


def test_missing_image_is_a_failed_request(browser: Browser, tmp_path: Path) -> None:
    """An <img> whose file does not exist is reported as a failed request naming the file."""
    browser.open(write(tmp_path, "img.html", '<img src="no-such-image.png" alt="x">'))
    assert any("failed request" in e and "no-such-image.png" in e for e in browser.console_errors), (
        browser.console_errors
    )


def test_missing_page_raises(browser: Browser, tmp_path: Path) -> None:
    """Opening a file that does not exist raises instead of checking an error page."""
    with pytest.raises(BrowserError, match="no such file"):
        browser.open(tmp_path / "absent.svg")
    with pytest.raises(BrowserError, match="ERR_FILE_NOT_FOUND"):
        browser.open((tmp_path / "absent.svg").as_uri())


def test_evaluate_returns_values_and_raises(browser: Browser) -> None:
    """evaluate returns JSON-able values, awaits promises and raises with the page's exception text."""
    browser.open("about:blank")
    assert browser.evaluate("1 + 2") == 3
    assert browser.evaluate("({a: [1, 'x', null], b: true})") == {"a": [1, "x", None], "b": True}
    assert browser.evaluate("new Promise((r) => setTimeout(() => r('later'), 10))") == "later"
    with pytest.raises(BrowserError, match="nope"):
        browser.evaluate("(() => { throw new Error('nope') })()")


def test_call_timeout_raises_and_browser_survives(browser: Browser) -> None:
    """A call that never answers raises after its timeout, and the browser keeps working afterwards."""
    browser.open("about:blank")
    with pytest.raises(BrowserError, match="timed out"):
        browser.evaluate("new Promise(() => {})", timeout=0.3)
    assert browser.evaluate("'still here'") == "still here"


def test_screenshot_is_a_png_of_the_page(browser: Browser, tmp_path: Path) -> None:
    """A full-page screenshot is a PNG as big as the document; a viewport one is as big as the viewport."""
    html = "<!doctype html><body style='margin:0'><div style='width:640px;height:1500px;background:#c00'></div>"
    browser.open(write(tmp_path, "tall.html", html), width=400, height=300)
    full = tmp_path / "full.png"
    assert browser.screenshot(full) == (640, 1500)
    data = full.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (640, 1500)
    assert browser.screenshot(tmp_path / "view.png", full_page=False) == (400, 300)
    assert browser.evaluate("[innerWidth, innerHeight]") == [400, 300]  # viewport restored


def test_many_pages_in_one_session(browser: Browser, tmp_path: Path) -> None:
    """One browser opens a hundred SVG files in a row, fast, each checked on its own."""
    pages = [write(tmp_path, f"p{i}.svg", svg(label(10, 20, f"page {i}"))) for i in range(100)]
    start = time.monotonic()
    for i, page in enumerate(pages):
        browser.open(page, width=320, height=240)
        assert [f["text"] for f in labels(browser)] == [f"page {i}"]
        assert label_problems(browser) == []
    per_page = (time.monotonic() - start) / len(pages)
    print(f"{per_page * 1000:.1f} ms per page (open + labels + label_problems)")
    assert per_page < 0.5


def test_process_is_killed_on_exception(tmp_path: Path) -> None:
    """Leaving the with-block by an exception kills Chromium and removes its profile."""
    from browser import need_chromium

    b = Browser(need_chromium())
    proc, tmp = b._proc, Path(b._tmp)
    assert proc is not None and tmp.is_dir()
    with pytest.raises(ZeroDivisionError), b:
        _ = 1 / 0
    assert proc.poll() is not None
    assert not tmp.exists()
