"""The review site and the report page, read as HTML (the browser test is tests/test_site_browser.py).

What must hold: a page shows the ANALYSED text exactly (debris listed apart), every record has its anchor,
durations and frequencies are not highlighted as indicators, every table cell links to an anchor that
exists on the report page and holds that number, nothing is fetched from outside, and the code values a
reader sees have display words.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

import auditnlp
from auditnlp.cli import cli
from auditnlp.corpus.batch import compare_inputs
from auditnlp.errors import OutputError
from auditnlp.writers.display import load_display
from auditnlp.writers.site import page_name, render_report, review
from auditnlp.writers.site.data import value_text
from auditnlp.writers.site.report import REDACTION, highlighted

MANIFEST = SAMPLES / "manifest.csv"
LEXICONS = ROOT / "auditnlp" / "lexicons"


class _Article(HTMLParser):
    """The text of each paragraph of the article (without its category tag) and of each element with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: dict[str, str] = {}
        self.ids: dict[str, list[str]] = {}
        self._para: str | None = None
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, id, is the category tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        anchor = a.get("id")
        if tag == "p" and anchor and anchor.startswith("p"):
            self._para = anchor
            self.paragraphs[anchor] = ""
        if anchor:
            self.ids.setdefault(anchor, [])
        if tag in ("span", "p", "a", "h2"):
            self._open.append((tag, anchor, "cat" in (a.get("class") or "").split()))

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._para = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, anchor, _ in self._open:
            if anchor:
                self.ids[anchor].append(data)
        if self._para is not None and not any(cat for _, _, cat in self._open):
            self.paragraphs[self._para] += data


def _parse(page: str) -> _Article:
    parser = _Article()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def sample_report() -> auditnlp.Report:
    return auditnlp.analyze(SAMPLES / "web_debris_2024.txt")


def test_page_shows_the_analysed_text_and_lists_the_debris(sample_report: auditnlp.Report) -> None:
    page = render_report(sample_report)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page[:300]
    parsed = _parse(page)
    for p in sample_report.paragraphs:
        assert parsed.paragraphs[f"p{p.id}"] == p.text
    assert sample_report.removed, "the sample has web debris"
    article = page[page.index("<article") : page.index("</article>")]
    for removal in sample_report.removed:
        if len(removal.text.strip()) > 4 and removal.text.strip() not in sample_report.text:
            assert html.escape(removal.text.strip()) not in article
    listed = page[page.rindex("<h2>") :]
    for removal in sample_report.removed:
        assert html.escape(removal.text) in listed
    assert "网页界面文字" in listed  # the kind, in Chinese


def test_every_record_has_its_anchor(sample_report: auditnlp.Report) -> None:
    parsed = _parse(render_report(sample_report))
    shown = [i for i in sample_report.indicators if highlighted(i)]
    assert shown
    for ind in shown:
        pieces = parsed.ids.get(f"i{ind.start}-{ind.end}")
        assert pieces is not None, ind
        assert "".join(pieces) == ind.text
    for slogan in sample_report.slogans:
        assert f"g{slogan.start}-{slogan.end}" in parsed.ids
    for finding in sample_report.problems:
        assert f"pb{finding.start}-{finding.end}" in parsed.ids
    for section in sample_report.sections:
        if section.level:
            assert f'id="s{section.id}"' in render_report(sample_report)


def test_durations_and_frequencies_are_not_highlighted() -> None:
    report = auditnlp.analyze_text(
        "东湖区审计局2024年工作总结\n一、主要工作\n一年来，全年完成审计项目12个，每季度开展一次检查，历时两年完成，"
        "查出违规金额XX万元。"
    )
    page = render_report(report)
    by_text = {i.text: i for i in report.indicators}
    assert by_text["一年"].flag == "duration" and by_text["一次"].flag == "frequency"
    for text in ("一年", "一次", "两年"):
        ind = by_text[text]
        assert f'id="i{ind.start}-{ind.end}"' not in page
    for text in ("12个", "XX万元"):
        ind = by_text[text]
        assert f'id="i{ind.start}-{ind.end}"' in page
    masked = by_text["XX万元"]
    assert re.search(rf'<span class="ind masked" id="i{masked.start}-{masked.end}"[^>]*>', page)
    assert '<span class="redact"' in page


def test_text_is_escaped() -> None:
    report = auditnlp.analyze_text(
        "东湖区审计局2024年工作总结\n一、主要工作\n完成<script>alert</script>审计项目3个。"
    )
    page = render_report(report)
    assert "<script>alert</script>" not in page
    assert "&lt;script&gt;alert&lt;/script&gt;" in page


def test_redaction_pattern() -> None:
    found = [m.group() for m in REDACTION.finditer("共XX个，XXX万元，*.**亿元，X篇，TAX项目，○○单位")]
    assert found == ["XX", "XXX", "*.**", "X", "○○"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, auditnlp.Comparison]:
    folder = tmp_path_factory.mktemp("site")
    comparison = review([SAMPLES], folder, manifest=MANIFEST, jobs=2, progress=False)
    return folder, comparison


def _table(page: Path, table_id: str) -> dict:
    text = page.read_text(encoding="utf-8")
    found = re.search(rf'<script type="application/json" id="{table_id}">(.*?)</script>', text, re.S)
    assert found, table_id
    return json.loads(found.group(1))


def _links(spec: dict) -> list[tuple[str, str]]:
    return [(c["h"], c["t"]) for row in spec["rows"] for c in row if isinstance(c, dict) and c.get("h")]


def test_index_lists_every_report(site: tuple[Path, auditnlp.Comparison]) -> None:
    folder, comparison = site
    spec = _table(folder / "index.html", "t-reports")
    assert len(spec["rows"]) == len(comparison.reports) == 10
    pages = {h for h, _ in _links(spec)}
    assert len(pages) == 10
    for href in pages:
        assert (folder / href).is_file()
    types = {row[2]["t"] for row in spec["rows"]}
    assert "工作总结和计划" in types and "summary_plan" not in types
    # each page says the period it covers (a half year is not a year) and the year its plan is for
    covered = [
        (folder / href)
        .read_text(encoding="utf-8")
        .split("period covered</span></dt><dd>")[1]
        .split("</dd>")[0]
        for href in pages
    ]
    assert sorted(c for c in covered if "计划" not in c) == ["2023年", "2024年", "2024年上半年"]
    assert any(c.startswith('2024年<span class="zh">；计划 2025年</span>') for c in covered)


def _anchor_text(page: Path, anchor: str) -> str:
    parsed = _parse(page.read_text(encoding="utf-8"))
    assert anchor in parsed.ids, (page.name, anchor)
    return "".join(parsed.ids[anchor])


def test_every_matrix_and_yoy_cell_links_to_its_number(site: tuple[Path, auditnlp.Comparison]) -> None:
    folder, comparison = site
    matrix = _table(folder / "matrix.html", "t-matrix")
    links = _links(matrix)
    # every filled cell is a link, except a figure with no place in the text (a total the comparison
    # derived from other figures): that one says where it comes from
    filled = [c for row in matrix["rows"] for c in row[2:-1] if c]
    unlinked = [c for c in filled if "h" not in c]
    values = getattr(comparison, "values", None)
    placeless = 0 if values is None else int((values["shown"].astype(bool) & values["start"].isna()).sum())
    assert links and len(links) == len(filled) - len(unlinked) and len(unlinked) == placeless
    assert all(c["tt"] for c in unlinked)
    indicators = comparison.indicators
    for href, shown in links:
        page, anchor = href.split("#")
        start, end = (int(x) for x in anchor[1:].split("-"))
        text = _anchor_text(folder / page, anchor)
        row = indicators[(indicators["start"] == start) & (indicators["end"] == end)]
        assert text in set(row["text"]), (href, text)
        # the number shown is the number of the linked figure (money in 万元/亿元)
        expected = {
            "XX" if m else value_text(v, u)
            for v, u, m in zip(row["base_value"], row["base_unit"], row["masked"], strict=True)
        }
        assert shown in expected, (href, text, shown)
    yoy = _table(folder / "yoy.html", "t-yoy")
    for href, _ in _links(yoy):
        page, anchor = href.split("#")
        assert _anchor_text(folder / page, anchor)


def test_nothing_is_fetched_from_outside(site: tuple[Path, auditnlp.Comparison]) -> None:
    folder, _ = site
    pages = [*folder.glob("*.html"), *(folder / "reports").glob("*.html")]
    assert len(pages) == 4 + 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert '<meta charset="utf-8">' in text[:300]
        for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert not re.match(r"[a-z]+://|//", ref), (page.name, ref)
            target = ref.split("#")[0]
            if target:
                assert (page.parent / target).resolve().is_file(), (page.name, ref)
    assert (folder / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    charts = (folder / "charts.html").read_text(encoding="utf-8")
    assert 'data-chart="audit_projects"' in charts


def test_to_site_reads_the_files_again(tmp_path: Path) -> None:
    files = [SAMPLES / "qingshan_2023_summary.txt", SAMPLES / "qingshan_2024_summary.txt"]
    comparison = compare_inputs(files, jobs=1, progress=False)
    index = comparison.to_site(tmp_path / "site")
    assert index.name == "index.html" and index.is_file()
    spec = _table(index, "t-reports")
    assert len(spec["rows"]) == 2
    for href, _ in _links(_table(tmp_path / "site" / "matrix.html", "t-matrix")):
        page, anchor = href.split("#")
        assert _anchor_text(tmp_path / "site" / page, anchor)
    # reports given: their pages are written from them (here a text with no file to read again)
    report = auditnlp.analyze_text(
        "东湖区审计局2024年工作总结\n一、主要工作\n全年完成审计项目12个。", name="东湖.txt"
    )
    one = auditnlp.compare_reports([report])
    one.to_site(tmp_path / "one", reports=[report])
    assert (tmp_path / "one" / "reports" / page_name("东湖.txt", None)).is_file()


def test_to_frames_for_pandas(site: tuple[Path, auditnlp.Comparison]) -> None:
    _, comparison = site
    with pytest.raises((TypeError, ValueError)):
        comparison.matrix.astype(float)  # the display matrix holds "XX"
    frames = comparison.to_frames()
    values, mask, shown = frames["matrix"], frames["matrix_mask"], frames["matrix_display"]
    assert (values.dtypes == "float64").all()
    assert values.astype(float).shape == shown.shape
    assert mask.to_numpy().sum() == (shown == "XX").to_numpy().sum() > 0
    assert values[mask].isna().all().all()
    assert frames["yoy"]["value"].dtype == "float64" and frames["yoy"]["value_masked"].any()
    assert len(repr(comparison)) < 200


def test_review_and_render_commands(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "broken.docx"
    bad.parent.mkdir()
    bad.write_bytes(b"not a zip")
    (tmp_path / "in" / "a.txt").write_text(
        (SAMPLES / "qingshan_2024_summary.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["review", str(tmp_path / "in"), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "broken.docx" in result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-lang="en"' in index
    assert _table(out / "index.html", "t-errors")["rows"][0][0].endswith("broken.docx")
    # files skipped by rule are listed but are no failure, as with compare: a README beside the reports
    (tmp_path / "in" / "broken.docx").unlink()
    (tmp_path / "in" / "README.md").write_text("# submissions of 2024\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["review", str(tmp_path / "in"), "-o", str(tmp_path / "site2")])
    assert result.exit_code == 0, result.output
    assert "README.md" in result.output and "1 analysed, 1 not: 1 skipped by rule" in result.output
    # a site is never written over the inputs, nor into a folder holding files of the user's
    before = {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()}
    refused = CliRunner().invoke(cli, ["review", str(tmp_path / "in"), "-o", str(tmp_path / "in")])
    assert isinstance(refused.exception, OutputError) and "holds an input" in str(refused.exception)
    refused = CliRunner().invoke(cli, ["review", str(tmp_path / "in"), "-o", str(tmp_path / "in" / "a.txt")])
    assert refused.exit_code == 2  # a file is no site folder: bad usage
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("draft", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["review", str(tmp_path / "in"), "-o", str(tmp_path / "mine")])
    assert isinstance(refused.exception, OutputError) and "notes.txt" in str(refused.exception)
    assert {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()} == before
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    summary = (tmp_path / "site2" / "index.html").read_text(encoding="utf-8")
    assert "1 个文件按规则跳过" in summary and "未能分析" not in summary
    assert "1 inputs failed" in index
    page = tmp_path / "one.html"
    result = CliRunner().invoke(cli, ["render", str(SAMPLES / "web_debris_2024.txt"), "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert "<style>" in text and "assets/" not in text  # one self-contained file
    assert CliRunner().invoke(cli, ["review", "--help"]).exit_code == 0


def _codes(name: str, key: str) -> set[str]:
    data = yaml.safe_load((LEXICONS / name).read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key and isinstance(v, str):
                    found.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    return found


@pytest.mark.parametrize(
    ("field", "lexicon", "key"),
    [
        ("doc_type", "structure.yaml", "type"),
        ("slogan_kind", "slogan_patterns.yaml", "kind"),
        ("item_kind", "lists.yaml", "kind"),
        ("removal_kind", "debris.yaml", "kind"),
    ],
)
def test_every_code_value_has_display_words(field: str, lexicon: str, key: str) -> None:
    display = load_display()
    codes = _codes(lexicon, key)
    assert codes
    missing = [c for c in codes if c not in display.codes[field]]
    assert missing == []
    english = display.with_lang("en")
    for code in codes:
        assert re.search(r"[\u4e00-\u9fff]", display.code(field, code)), code
        assert english.code(field, code).isascii()


def test_headline_names_exist() -> None:
    from auditnlp.extract.indicators import load_indicator_lexicon

    names = {rule.name for rule in load_indicator_lexicon().names}
    display = load_display()
    unknown = [n for n in display.headlines if n not in names]
    # the headline names of the comparison issue (12) that it renames or adds (unemployment_rate became
    # surveyed_unemployment; money_found is a total derived from its parts): allowed, but only these
    assert set(unknown) <= {
        "unemployment_rate", "surveyed_unemployment", "rectification_rate", "adoption_rate", "money_found",
    }  # fmt: skip


def test_a_document_given_twice_has_one_page(tmp_path: Path) -> None:
    text = (SAMPLES / "qingshan_2024_summary.txt").read_text(encoding="utf-8")
    for name in ("a.txt", "b.txt"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    keep = tmp_path / "site" / "reports" / "r000000000000.html"  # a page from an earlier run stays
    keep.parent.mkdir(parents=True)
    keep.write_text("earlier", encoding="utf-8")
    comparison = review([tmp_path / "in"], tmp_path / "site", jobs=1, progress=False)
    assert len(comparison.reports) == 1
    pages = {p.name for p in (tmp_path / "site" / "reports").glob("*.html")}
    assert pages == {page_name(comparison.reports["file"][0], None), keep.name}
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "共 1 份报告，1 条提示" in index
