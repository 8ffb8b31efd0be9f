"""Normalisation: one-to-one character unification (property tests) and offset maps."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditnlp.normalize import normalize, unify_chars

ALPHABET = st.sampled_from(
    list("审计局完成项目个万元XX*.**○一二三，。：；（）“”、１２３ＸＡ％＋,.:;()0123456789 \u3000\n#paidbegn")
)


@given(st.text(ALPHABET, max_size=200))
def test_unify_chars_is_length_preserving(text):
    assert len(unify_chars(text)) == len(text)


@given(st.text(ALPHABET, max_size=300))
def test_offset_map_points_at_the_same_character(text):
    norm = normalize(text)
    unified = unify_chars(text)
    for i, char in enumerate(norm.text):
        j = norm.source_offset(i)
        if char == "\n":
            continue
        assert unified[j] == char


@given(st.text(ALPHABET, max_size=300))
def test_normalized_lines_are_stripped_and_non_empty(text):
    for line in normalize(text).text.split("\n"):
        if normalize(text).text:
            assert line and line == line.strip()


def test_full_width_and_masks():
    assert (
        unify_chars("完成１２项，ＸＸ万元，增长５．４％，１＋６＋Ｎ") == "完成12项，XX万元，增长5.4%，1+6+N"
    )
    assert unify_chars("资金*.**亿元，○○个") == "资金*.**亿元，○○个"
    assert unify_chars("金额2,377.2万元,同比增长") == "金额2,377.2万元，同比增长"
    assert unify_chars("(一)加强学习") == "（一）加强学习"


def test_paidbegin_inside_number():
    norm = normalize("全年纳入台账XXXX##paidbegin##项，完成。")
    assert norm.text == "全年纳入台账XXXX项，完成。"
    (removal,) = norm.removed
    assert removal.text == "##paidbegin##" and removal.kind == "marker"
    assert norm.source_offset(norm.text.index("项")) == removal.source_end


def test_page_chrome():
    source = "下载\n打印\n全屏\n【字号：大 中 小】\n来源：某区人民政府网\n东湖区审计局2024年工作总结\n正文第一段很长很长，完成了全部审计项目的计划任务。\n— 3 —\n第二段。\n相关报道：\n某某新闻标题"
    norm = normalize(source)
    assert (
        norm.text
        == "东湖区审计局2024年工作总结\n正文第一段很长很长，完成了全部审计项目的计划任务。\n第二段。"
    )
    assert [r.kind for r in norm.removed] == ["chrome"] * 4 + ["source", "page_number", "related"]


def test_chrome_words_survive_in_the_body():
    # short lines such as 大 or 首页 are chrome only in the document head
    source = "东湖区审计局2024年工作总结\n正文第一段很长很长，完成了全部审计项目的计划任务。\n首页\n"
    assert normalize(source).text.endswith("首页")
