"""Group 4 of the reliability review: property fuzzing of analyze_text and of the readers.

Properties: ``text[start:end] == record.text`` for every record kind, every analysed character maps back
to the source, the report serialises to JSON, and nothing but the package's own errors
(:class:`auditnlp.AuditNLPError`) is ever raised.

How many examples run is a hypothesis profile chosen by the environment variable
``AUDITNLP_FUZZ_PROFILE``: ``dev`` (the default: 100 examples in all, a few seconds, so ``pytest`` stays
quick), ``ci`` (22,000: 10,000 random and 2,000 structured texts for analyze_text, 10,000 damaged files
for the readers; about two minutes of one core; ``.ci/run`` sets it) and ``deep`` (ten times more, by
hand).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

from _hostile_build import (
    REPORT,
    TITLE,
    docx_bytes,
    pdf_text,
    rezip,
    sheet_xml,
    xlsx_bytes,
    zip_members,
)
from _hostile_run import cases, check_offsets, deadline, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditnlp import AuditNLPError, analyze_text, iter_documents
from auditnlp.normalize import unify_chars

PROFILE_VARIABLE = "AUDITNLP_FUZZ_PROFILE"
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}
# examples of (random text, damaged files for the readers, structured text)
_SIZES = {"dev": (40, 40, 20), "ci": (10_000, 10_000, 2_000), "deep": (100_000, 100_000, 20_000)}
for _name, (_text, _readers, _structured) in _SIZES.items():
    settings.register_profile(f"auditnlp-{_name}-text", max_examples=_text, **_COMMON)
    settings.register_profile(f"auditnlp-{_name}-readers", max_examples=_readers, **_COMMON)
    settings.register_profile(f"auditnlp-{_name}-structured", max_examples=_structured, **_COMMON)
PROFILE = os.environ.get(PROFILE_VARIABLE, "dev")
if PROFILE not in _SIZES:
    raise ValueError(f"{PROFILE_VARIABLE}={PROFILE!r}: choose one of {', '.join(_SIZES)}")


_RECORDED: set[str] = set()


def once(case: str) -> None:
    """Record a fuzz case once per run (its verdict is the test's: it fails on the first bad example)."""
    if case not in _RECORDED:
        _RECORDED.add(case)
        record(case, "ok")


def profile(kind: str) -> settings:
    """The settings of this fuzz target under the selected profile."""
    return settings(settings.get_profile(f"auditnlp-{PROFILE}-{kind}"))


PIECES = {
    "han": ["审计", "整改", "工作总结", "某某区审计局", "问题", "加强", "监督", "资金", "项目", "全年完成",
            "查出违规金额", "坚持", "第一议题", "在“严”字上下功夫", "解决一个“松”字", "存在的问题", "工作计划",
            "各位代表：", "特此报告。", "2023年工作总结"],
    "number": ["27", "2,377.2", "0.5", "1" * 29, "三十余", "一百二十", "两", "１２３", "2023", "1.2", "100",
               "1,234,567", "十", "〇", "零点五"],
    "unit": ["个", "万元", "亿元", "%", "％", "项", "人次", "个百分点", "倍", "元", "万", "亿", "年", "月", "岁", "次"],
    "mask": ["X", "XX", "XXXX", "*", "*.**", "○○", "ＸＸ", "x", "**"],
    "marker": ["一、", "（一）", "(一)", "1.", "1、", "（1）", "①", "一是", "二是", "三是", "第一，", "首先，",
               "一方面", "另一方面", "第一部分", "比如，", "再如，"],
    "quote": ["“", "”", "《", "》", "「", "」", '"', "‘", "’", "【", "】", "(", ")", "（", "）"],
    "punct": ["，", "。", "；", "：", "！", "？", "、", ",", ".", ";", ":", "—", "-", "至", "~", "+", "×", "/"],
    "space": ["\n", "\n\n", "\r\n", "\r", "\u2028", "\u2029", " ", "\u3000", "\t", "\x0b", "\x0c"],
    "odd": ["\u200b", "\u200d", "\u2060", "\ufeff", "\u0301", "\x00", "\x07", "\x1b", "\ud800", "\udfff", "\uffff",
            "##paidbegin##", "— 3 —", "来源：新华网", "_x0000_", "\U0001f600", "𠀀", "\u202e", "\ufffd"],
}  # fmt: skip
piece = st.one_of(
    st.sampled_from([p for group in PIECES.values() for p in group]),
    st.text(max_size=4),
)
random_text = st.lists(piece, max_size=60).map("".join)
words = st.lists(
    st.sampled_from(PIECES["han"] + PIECES["number"] + PIECES["unit"] + PIECES["mask"]),
    min_size=1,
    max_size=8,
)
line = st.tuples(
    st.sampled_from([*PIECES["marker"], ""]),
    words.map("".join),
    st.sampled_from(["。", "；", "", "：", "！", "，"]),
).map("".join)
structured_text = st.tuples(
    st.sampled_from(["", TITLE + "\n"]),
    st.lists(
        st.tuples(line, st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\u2028", "\n \n"])),
        min_size=1,
        max_size=20,
    ),
).map(lambda t: t[0] + "".join(a + b for a, b in t[1]))


def check_analysis(text: str) -> None:
    """analyze_text gives a report whose offsets hold and map back, or the package's own one-line error."""
    with deadline(60, f"analyze_text on {len(text)} characters"):
        try:
            report = analyze_text(text)
        except AuditNLPError as exc:
            assert "\n" not in str(exc), str(exc)
            return
    check_offsets(report)
    unified = unify_chars(text)
    for i, char in enumerate(report.text):
        if char != "\n":
            assert char == unified[report.source_offset(i)], (i, char)
    json.dumps(report.to_dict(), ensure_ascii=False)


@cases("G4-fuzz-random")
@profile("text")
@given(random_text)
def test_fuzz_analyze_text(text):
    check_analysis(text)
    once("G4-fuzz-random")


@cases("G4-fuzz-structured")
@profile("structured")
@given(structured_text)
def test_fuzz_structured_text(text):
    check_analysis(text)
    once("G4-fuzz-structured")


# ------------------------------------------------------------------------------------------ readers

HOSTILE_TOKENS = [
    "<![", "<!", "<![if !supportLists]>", "]]>", "&xxe;", "&lt;", "&#0;", "&#xD800;", "\x00", '"', '""', ",", "\n", "\r",
    "\\ud800", "\\u0000", "{", "}", "[", "]", "<w:vMerge/>", '<w:gridSpan w:val="99999999"/>', "</w:tc>", "<w:tbl>",
    "<w:tr>", '<c r="ZZZZZZ9" t="n"><v>x</v></c>', "<row r=\"1048576\">", "%PDF", "endstream", "obj", " 0 R",
    "<<", ">>", "/Kids [", "stream\n", "\xff", "审计", "2023", "_xD800_", "<script>", "</p>", "\ufeff",
]  # fmt: skip


@functools.lru_cache(maxsize=1)
def _bases() -> dict[str, tuple[str, bytes]]:
    """A valid file of each format: (suffix, bytes)."""
    lines = [json.dumps({"text": REPORT, "year": 2023}, ensure_ascii=False)] * 3
    docx = docx_bytes(REPORT.splitlines())
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{t}</t></is></c></row>'
        for i, t in enumerate(["text", REPORT, REPORT], 1)
    )
    return {
        "txt": (".txt", REPORT.encode("utf-8")),
        "gbk": (".txt", REPORT.encode("gbk")),
        "utf16": (".txt", REPORT.encode("utf-16")),
        "html": (
            ".html",
            f"<html><head><title>t</title></head><body><h1>{TITLE}</h1><p>{REPORT}</p></body></html>".encode(),
        ),
        "csv": (".csv", ("text,year\n" + f'"{REPORT}",2023\n' * 3).encode()),
        "jsonl": (".jsonl", ("\n".join(lines) + "\n").encode()),
        "docx": (".docx", docx),
        "xlsx": (".xlsx", sheet_xml(rows)),
        "pdf": (".pdf", pdf_text()),
    }


mutation = st.tuples(
    st.sampled_from(["insert", "delete", "duplicate", "flip"]),
    st.floats(0, 1),
    st.integers(1, 64),
    st.sampled_from(HOSTILE_TOKENS),
)


def _mutate(data: bytes, mutations: list[tuple[str, float, int, str]]) -> bytes:
    for kind, where, length, token in mutations:
        at = int(where * len(data))
        if kind == "insert":
            data = data[:at] + token.encode("utf-8", "surrogatepass") + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + length :]
        elif kind == "duplicate":
            data = data[:at] + data[at : at + length] * 2 + data[at + length :]
        elif data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (1 << (length % 8))]) + data[at + 1 :]
    return data


def build(fmt: str, mutations: list[tuple[str, float, int, str]], inside: bool) -> tuple[str, bytes]:
    """A file of `fmt` damaged by `mutations` (inside the XML part of a zip container when `inside`)."""
    suffix, base = _bases()[fmt]
    if fmt == "docx" and inside:
        document = zip_members(base)["word/document.xml"]
        return suffix, rezip(base, replace={"word/document.xml": _mutate(document, mutations)})
    if fmt == "xlsx":
        sheet = _mutate(base, mutations) if inside else base
        data = xlsx_bytes(sheet)
        return suffix, data if inside else _mutate(data, mutations)
    return suffix, _mutate(base, mutations)


@functools.lru_cache(maxsize=1)
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="auditnlp-fuzz-"))


@cases("G4-fuzz-readers")
@profile("readers")
@given(st.sampled_from(list(_bases())), st.lists(mutation, min_size=1, max_size=8), st.booleans())
def test_fuzz_readers(fmt, mutations, inside):
    """A damaged file of any format: documents, or the package's own one-line errors naming the file."""
    suffix, data = build(fmt, mutations, inside)
    path = _scratch() / f"fuzz{suffix}"
    path.write_bytes(data)
    with deadline(60, f"reading a damaged {fmt}"):
        items = list(iter_documents([path], text_column="text"))
    assert items
    for item in items:
        if isinstance(item, Exception):
            assert isinstance(item, AuditNLPError), repr(item)
            assert str(path) in str(item) and "\n" not in str(item), str(item)
        else:
            assert isinstance(item.text, str)
    once("G4-fuzz-readers")


def test_fuzz_profiles_are_selected_by_the_environment():
    """The CI profile runs at least 10,000 examples of analyze_text and 10,000 of the readers."""
    assert _SIZES["ci"][0] >= 10_000 and _SIZES["ci"][1] >= 10_000
    assert settings.get_profile(f"auditnlp-{PROFILE}-text").max_examples == _SIZES[PROFILE][0]
