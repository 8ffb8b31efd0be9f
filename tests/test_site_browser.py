"""The review site opened in a real browser (Playwright driving Debian's Chromium, never a downloaded one).

Locally these tests skip with a reason when Playwright or Chromium is missing; CI sets
``AUDITNLP_REQUIRE_BROWSER=1`` (``.ci/run`` installs chromium and a CJK font), which turns a missing
browser into a failure, so they can never be skipped there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES

from auditnlp.writers.site import review

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("AUDITNLP_REQUIRE_BROWSER", "") not in ("", "0")


def _chromium() -> str | None:
    for candidate in (os.environ.get("AUDITNLP_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"browser test required (AUDITNLP_REQUIRE_BROWSER) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        _missing("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser-site")
    review([SAMPLES], folder, manifest=SAMPLES / "manifest.csv", jobs=1, progress=False)
    return folder


class Page:
    """A browser page that records console errors, page errors and any request off the disk."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on(
            "request",
            lambda r: (
                self.errors.append(f"request off disk: {r.url}")
                if not r.url.startswith(("file:", "data:", "about:"))
                else None
            ),
        )


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    opened = Page(browser)
    yield opened
    opened.page.close()


def test_index_lists_every_report(site: Path, page: Page) -> None:
    page.page.goto((site / "index.html").as_uri())
    rows = page.page.locator("[data-table='t-reports'] tbody tr")
    rows.first.wait_for()
    assert rows.count() == 10
    titles = page.page.locator("[data-table='t-reports'] tbody a").all_inner_texts()
    assert len(titles) == 10 and all("审计局" in t for t in titles)
    # the filter keeps the matching rows only
    page.page.fill("[data-table='t-reports'] input", "江北市")
    assert rows.count() == 3
    assert page.errors == []


def test_matrix_cell_lands_on_its_sentence(site: Path, page: Page) -> None:
    page.page.goto((site / "matrix.html").as_uri())
    cells = page.page.locator("[data-table='t-matrix'] tbody td:not(.extra) a")
    cells.first.wait_for()
    assert cells.count() > 20
    # a cell with a real number (not a masked XX)
    target = next(i for i in range(cells.count()) if cells.nth(i).inner_text() != "XX")
    shown = cells.nth(target).inner_text()
    href = cells.nth(target).get_attribute("href")
    assert href and "#i" in href
    cells.nth(target).click()
    page.page.wait_for_url("**/reports/*.html#i*")
    anchor = href.split("#", 1)[1]
    mark = page.page.locator(f"[id='{anchor}']")
    assert "arrived-mark" in (mark.get_attribute("class") or "")
    assert mark.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    sentence = page.page.locator(".sent.arrived")
    assert sentence.count() == 1
    assert mark.inner_text() in sentence.inner_text()
    # the number is on screen
    box = mark.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900
    digits = "".join(ch for ch in shown if ch.isdigit())
    number = mark.inner_text()
    assert digits[:1] in number or any("\u4e00" <= ch <= "\u9fff" for ch in number), (shown, number)
    assert page.errors == []


def test_every_page_loads_without_console_errors(site: Path, page: Page) -> None:
    pages = [site / n for n in ("index.html", "matrix.html", "yoy.html", "charts.html")]
    pages += sorted((site / "reports").glob("*.html"))
    for path in pages:
        page.page.goto(path.as_uri())
        page.page.wait_for_load_state("load")
    page.page.goto((site / "charts.html").as_uri())
    page.page.locator(".chart .main-svg").first.wait_for(timeout=10_000)  # plotly drew a chart
    assert page.errors == []


def _ink(png: bytes) -> tuple[int, bytes]:
    """Dark pixels in a screenshot, and the image as grey bytes (to tell two glyph runs apart)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    data = image.tobytes()
    return sum(1 for v in data if v < 128), data


def test_pages_render_chinese_glyphs(site: Path, page: Page) -> None:
    """Two different Chinese words give two different non-blank images: glyphs, not tofu boxes."""
    report = sorted((site / "reports").glob("*.html"))[0]
    page.page.goto(report.as_uri())
    h1 = page.page.locator("h1")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in h1.inner_text())
    images = []
    for word in ("审计整改", "监督问责"):
        h1.evaluate("(el, w) => { el.textContent = w; }", word)
        ink, data = _ink(h1.screenshot())
        assert ink > 200, f"{word}: blank"
        images.append(data)
    assert images[0] != images[1], "the two words render alike: no CJK font (tofu boxes)"


def test_language_toggle_shows_english_keys(site: Path, page: Page) -> None:
    page.page.goto((site / "matrix.html").as_uri())
    header = page.page.locator("[data-table='t-matrix'] thead th").nth(2)
    header.wait_for()
    chinese = header.inner_text()
    page.page.click("[data-toggle-lang]")
    english = header.inner_text()
    assert chinese != english and english.split("\n")[0].isascii()
    page.page.click("[data-toggle-lang]")
    assert header.inner_text() == chinese
