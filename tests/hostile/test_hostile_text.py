"""Group 3 of the reliability review: pathological text that is not about speed.

Long numbers, lone surrogates, broken encodings, and the odd texts that already ran in linear time
(zero-width characters, combining marks, NUL, a BOM mid-line, ``\\r`` line ends …): each gives a report
whose offsets hold and map back to the source, or one clear error. Speed is in test_hostile_linear.py.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from _hostile_build import HEAD, PATHOLOGICAL, TITLE, repeat
from _hostile_run import (
    cases,
    check_error,
    check_offsets,
    check_reports,
    deadline,
    params,
    record,
    run_cli,
    verdict,
)

from auditnlp import AuditNLPError, analyze_text
from auditnlp.normalize import unify_chars


def check_source_map(report, source: str) -> None:
    """Every analysed character maps back to the same character of the source (modulo width)."""
    unified = unify_chars(source)
    step = max(1, len(report.text) // 5000)
    for i in range(0, len(report.text), step):
        if report.text[i] != "\n":
            j = report.source_offset(i)
            assert report.text[i] == unified[j], (i, j, report.text[i], unified[j])


@cases("G3-bignum-29-digits-cli")
def test_29_digit_count(tmp_path):
    """审计项目 + 29 ones + 个: a report whose value is exact (or left out), not a Decimal overflow."""
    path = tmp_path / "bignum.txt"
    path.write_text(f"{TITLE}\n一、工作情况\n审计项目11111111111111111111111111111个\n", encoding="utf-8")
    (report,) = check_reports(run_cli(["analyze", path, "--json"]), 1)
    for indicator in report["indicators"]:
        if indicator["value"] is not None:
            assert Decimal(str(indicator["value"])) == Decimal("11111111111111111111111111111")
    record("G3-bignum-29-digits-cli", "ok")


@cases("G3-digits_unit", "G3-mixed_width_digits")
@pytest.mark.parametrize(
    ("case", "family"),
    params(("G3-digits_unit", "digits_unit"), ("G3-mixed_width_digits", "mixed_width_digits")),
)
def test_long_digit_runs_before_a_unit(case, family):
    """A 2,000-digit run before 万元 (the Decimal context holds 28 digits): no crash; offsets hold."""
    text = HEAD + PATHOLOGICAL[family](2000)
    with deadline(60, case):
        report = analyze_text(text)
    check_offsets(report)
    check_source_map(report, text)
    json.dumps(report.to_dict(), ensure_ascii=False)
    record(case, "ok")


@pytest.mark.parametrize(
    "text",
    [
        "1000000000000000000000000万元",
        "资金1" + "0" * 40 + "亿元",
        "增长" + "9" * 30 + ".5%",
        "共" + "１" * 35 + "个",
    ],
)
def test_numbers_beyond_the_decimal_context(text):
    """The minimal reproductions of the Decimal overflow: values are exact or absent, never a crash."""
    report = analyze_text(f"{TITLE}\n{text}\n")
    check_offsets(report)


@cases("G3-lone_surrogate")
@pytest.mark.parametrize("where", ["text", "number", "title"])
def test_lone_surrogates_in_memory(where):
    """Lone surrogates in text given to analyze_text: a report without them, or the package's own error."""
    body = {"text": "审计\ud800整改\udfff", "number": "完成审计项目2\ud8007个", "title": ""}[where]
    title = TITLE + ("\ud800" if where == "title" else "")
    text = f"{title}\n一、工作情况\n{body}全年完成审计项目27个。\n" * 3
    try:
        report = analyze_text(text)
    except AuditNLPError as exc:
        assert "\n" not in str(exc)
        outcome = "clear-error"
    else:
        check_offsets(report)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in report.text)
        report.to_dict()
        outcome = "ok"
    if where == "text":
        record("G3-lone_surrogate", outcome)


ENCODED = f"{TITLE}\n一、工作情况\n全年完成审计项目27个，查出违规金额2377.2万元。\n".encode()


@cases(
    "G3-utf16_lone_surrogate", "G3-utf8_encoded_surrogate", "G3-utf8_one_bad_byte", "G3-utf8_truncated_end"
)
@pytest.mark.parametrize(
    ("case", "data"),
    params(
        (
            "G3-utf16_lone_surrogate",
            ENCODED.decode().encode("utf-16") + b"\x00\xd8" + "尾".encode("utf-16-le"),
        ),
        ("G3-utf8_encoded_surrogate", ENCODED[:30] + b"\xed\xa0\x80" + ENCODED[30:]),
        ("G3-utf8_one_bad_byte", ENCODED[:30] + b"\xff" + ENCODED[30:]),
        ("G3-utf8_truncated_end", ENCODED + "尾".encode()[:2]),
    ),
)
def test_broken_encodings(tmp_path, case, data):
    """One bad byte or surrogate in an otherwise good file: a clear error, or the text with a warning —
    never mojibake."""
    path = tmp_path / "broken.txt"
    path.write_bytes(data)
    run = run_cli(["analyze", path, "--json"])
    outcome = verdict(run, path)
    if outcome == "ok":
        (report,) = run.reports()
        assert "全年完成审计项目27个" in report["text"], "decoded as mojibake"
        assert report["warnings"], "a replaced byte must be reported"
    record(case, outcome)


# the pathological texts that were already linear: each once, at a size where a slip would show
ODD = {
    "G3-bom_middle": lambda n: repeat("审计\ufeff整改\n", n),
    "G3-combining": lambda n: repeat("完成2\u03017\u0302个，", n),
    "G3-cr_only": lambda n: repeat("（一）审计整改\r一是加强学习；二是强化监督。\r", n),
    "G3-formula_chain": lambda n: repeat("1+", n) + "N",
    "G3-mixed_width_numbers": lambda n: repeat("１2３个，４5.６万元，", n),
    "G3-newlines": lambda n: repeat("审\n", n),
    "G3-nul": lambda n: repeat("审计\x00整改2\x007个\n", n),
    "G3-numbers_sep": lambda n: repeat("27个，", n),
    "G3-open_quotes": lambda n: repeat("“", n),
    "G3-open_quotes_text": lambda n: repeat("“审计", n),
    "G3-paidmarkers": lambda n: repeat("##paidbegin##", n),
    "G3-paren_run": lambda n: repeat("(", n),
    "G3-percent_chain": lambda n: repeat("百分之", n),
    "G3-range_chain": lambda n: repeat("3至5至7至9", n) + "万元",
    "G3-single_line": lambda n: repeat("审计监督全覆盖推进整改", n),
    "G3-spaces": lambda n: repeat("审 计 ", n),
    "G3-title_brackets": lambda n: repeat("《", n),
    "G3-yishi": lambda n: repeat("一是", n),
    "G3-zero_width_in_numbers": lambda n: repeat("2\u200b7个，3\u200d5万元，4\u20606项，", n),
}


@cases(*ODD)
@pytest.mark.parametrize("case", list(ODD))
def test_odd_texts_keep_their_offsets(case):
    """30,000 characters of each odd text: a report whose records and source map hold."""
    text = HEAD + ODD[case](30_000)
    with deadline(60, case):
        try:
            report = analyze_text(text)
        except AuditNLPError as exc:
            assert "\n" not in str(exc)
            record(case, "clear-error")
            return
    check_offsets(report)
    check_source_map(report, text)
    record(case, "ok")


def test_error_for_a_file_names_it(tmp_path):
    """Sanity check of the shared assertions: an empty file is a clear error naming it."""
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    check_error(run_cli(["analyze", path]), path, reason="empty")
