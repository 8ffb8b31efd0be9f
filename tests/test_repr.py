"""repr of reports and records: short enough to read in a notebook, still naming what the record is."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import sample_files

import auditnlp


@pytest.mark.parametrize("path", sample_files()[:4], ids=lambda p: p.name)
def test_reprs_are_short_and_say_what_they_are(path) -> None:
    report = auditnlp.analyze(path)
    text = repr(report)
    assert len(text) < 260, text
    assert report.meta.unit in text and f"{len(report.indicators)} indicators" in text
    for group in ("sections", "paragraphs", "sentences", "items", "indicators", "slogans", "problems"):
        for record in getattr(report, group):
            shown = repr(record)
            assert len(shown) < 320, shown
            assert shown.startswith(type(record).__name__ + "(")
            assert f"start={record.start}" in shown or record.start == 0
    ind = next(i for i in report.indicators if not i.masked)
    assert f"text={ind.text!r}" in repr(ind) and f"value={ind.value}" in repr(ind)
    # fields at their default are left out, others kept
    assert "value_max" not in repr(ind) and "approx" not in repr(dataclasses.replace(ind, approx=None))
