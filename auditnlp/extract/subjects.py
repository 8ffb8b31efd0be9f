"""Subjects of quantities: what a figure counts, read on characters around it.

From the clause before the number (组织党组会学习XX次 → 党组会学习) or the noun phrase after it
(XXXX名领导干部 → 领导干部); in a distributive list (城镇、农村居民人均可支配收入分别增长4.3%、6.2%) each
value gets its own subject, and a table cell (``指标 | 2023年 | 2024年``) its row's. Rules come from
``subject_rules.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from auditnlp.extract.indicator_rules import IndicatorLexicon
from auditnlp.extract.numbers import Quantity

_STOP_AFTER = regex.compile(r"[^\p{Han}“”]")
"""A character that ends a subject read after a quantity (anything but Chinese and quotation marks)."""


def before_clause(text: str, lex: IndicatorLexicon, lead: int, floor: int) -> int:
    """Start of the subject clause before `lead` (after a delimiter, `floor` or 40 characters back). A
    short insertion in brackets (审计（调查）项目) does not end the clause."""
    lo = max(floor, lead - 40)
    end = lead
    while True:
        m = lex.delimiter_back_re.search(text, lo, end)
        if m is None:
            return lo
        inserted = _INSERTION_BACK.search(text, max(lo, m.end() - 8), m.end()) if m.group() in "）)" else None
        if inserted is None:
            return m.end()
        end = inserted.start()


_INSERTION = regex.compile(r"[（(](?:\p{Han}{1,4}|[A-Za-z]{2,6})[)）]")
"""A short insertion in brackets inside a noun phrase: 审计（调查）项目, 市（县）, 地区生产总值（GDP）."""
_INSERTION_BACK = regex.compile(r"[（(](?:\p{Han}{1,4}|[A-Za-z]{2,6})[)）]$")


def without_insertions(clause: str) -> str:
    """`clause` without short insertions in brackets (审计（调查）项目 → 审计项目)."""
    return _INSERTION.sub("", clause) if "（" in clause or "(" in clause else clause


def subject_clause_end(text: str, lex: IndicatorLexicon, pos: int) -> int:
    """End of the clause after `pos` (a delimiter or 16 characters on)."""
    end = min(len(text), pos + 16)
    m = lex.delimiter_re.search(text, pos, end)
    return m.start() if m is not None else end


def strip_tail(lex: IndicatorLexicon, clause: str) -> str:
    """`clause` without its trailing copulas, particles and dates (达到, 的, 2020年 …)."""
    while clause:
        m = lex.tail_re.search(clause)
        if m is None or m.start() == m.end():
            return clause
        clause = clause[: m.start()]
    return clause


def strip_head(lex: IndicatorLexicon, clause: str) -> str:
    """`clause` without its leading scope, time and connective words (全省, 2024年, 其中 …)."""
    while clause:
        m = lex.head_re.match(clause)
        if m is None or m.end() == m.start():
            return clause
        clause = clause[m.end() :]
    return clause


def subject_before(lex: IndicatorLexicon, clause: str) -> str:
    """The subject in the clause before a number (组织党组会学习 → 党组会学习)."""
    clause = strip_tail(lex, clause)
    cut = None
    for m in lex.cut_re.finditer(clause, overlapped=False):
        if m.end() < len(clause) - 1:  # not when one character is left: 整改完成率 is a rate, not 率
            cut = m
    if cut is not None:
        clause = clause[cut.end() :]
    ending = [m for m in lex.cut_re.finditer(clause) if m.end() == len(clause) and m.start() > 0]
    if ending:
        clause = clause[: ending[-1].start()]  # 帮扶XXX村新建 → XXX村
    clause = strip_head(lex, strip_tail(lex, clause))
    if "等" in clause[1:]:
        clause = clause[clause.rindex("等") + 1 :] or clause  # “A”“B”等专题研讨 → 专题研讨
    return balance_quotes(clause[-lex.max_length :])


def balance_quotes(phrase: str) -> str:
    """`phrase` without quotation marks that do not pair up."""
    phrase = phrase.strip("\"' ")
    if phrase.count("“") != phrase.count("”"):
        phrase = phrase.replace("“", "").replace("”", "")
    return phrase


def subject_after(lex: IndicatorLexicon, text: str, pos: int, q: Quantity) -> str:
    """The noun phrase after a quantity that names what it counts (XXXX名领导干部 → 领导干部), or ``""``."""
    if q.unit_kind not in ("money", "count", "physical"):
        return ""
    end = min(len(text), pos + lex.max_length)
    if lex.after_stop_re.match(text, pos):
        return ""
    # the phrase runs to the first character that is not Chinese (quotes allowed) or the first stop word
    stop = _STOP_AFTER.search(text, pos, end)
    i = stop.start() if stop is not None else end
    word = lex.after_stop_re.search(text, pos + 1, min(len(text), i + 8))
    if word is not None and word.start() < i:
        i = word.start()
    phrase = text[pos:i]
    if len(phrase) < 2:
        return ""
    if q.unit_kind == "money":
        m = lex.money_noun_re.search(phrase)
        return phrase if m and m.end() == len(phrase) and len(phrase) <= 6 else ""
    if q.unit.lstrip("十百千万亿") in lex.person_units:
        head = lex.person_head_re.search(phrase)
        if head is not None:
            phrase = phrase[: head.end()]
    return balance_quotes(phrase)


# ------------------------------------------------------------------------------------ distributive lists

_LIST_BREAK_BACK = regex.compile("[，。；：！？\n（）()]", regex.REVERSE)


def _wide_start(text: str, pos: int, limit: int = 60) -> int:
    lo = max(0, pos - limit)
    m = _LIST_BREAK_BACK.search(text, lo, pos)
    return m.end() if m is not None else lo


def list_members(
    text: str, lex: IndicatorLexicon, quantities: Sequence[Quantity], i: int
) -> list[int] | None:
    """Indexes of the values of a distributive list (…分别增长4.3%、6.2%) that `quantities[i]` opens.

    ``None`` unless the list word (分别) stands in its clause with no other figure between it and
    `quantities[i]`, and at least one more figure follows joined by a list separator only.
    """
    q = quantities[i]
    if text.rfind(lex.list_word, max(0, q.lead - 60), q.lead) < 0:
        return None
    start = _wide_start(text, q.lead)
    k = text.rfind(lex.list_word, start, q.lead)
    if k < 0 or (i > 0 and quantities[i - 1].tail > k) or lex.list_gap_re is None:
        return None
    members = [i]
    while members[-1] + 1 < len(quantities):
        here, nxt = quantities[members[-1]], quantities[members[-1] + 1]
        if not lex.list_gap_re.fullmatch(text, here.tail, nxt.lead):
            break
        members.append(members[-1] + 1)
    return members if len(members) > 1 else None


def list_subjects(text: str, lex: IndicatorLexicon, lead: int, count: int) -> list[str | None] | None:
    """The `count` subjects named before the list word in the clause of `lead`, in order, or ``None``.

    城镇、农村居民人均可支配收入 → 城镇居民人均可支配收入, 农村居民人均可支配收入 (a short item takes
    the tail of the last one); 违规、管理不规范和损失浪费问题金额 → 违规问题金额, … (an item lacking the
    head noun the last ends with takes it: ``list_heads``); 城乡居民收入 → 城镇居民收入, 农村居民收入
    (``list_expansions``).
    """
    start = _wide_start(text, lead)
    k = text.rfind(lex.list_word, start, lead)
    if k < 0 or lex.list_split_re is None:
        return None
    head = strip_tail(lex, text[start:k])
    items = [item for item in lex.list_split_re.split(head) if item]
    if len(items) == 1 and count > 1:
        for word, parts in lex.list_expansions.items():
            if word in items[0] and len(parts) == count:
                items = [items[0].replace(word, part, 1) for part in parts]
                break
    if len(items) != count:
        return None
    items = [strip_head(lex, item) or item for item in items]  # 其中城镇、农村…: the item is 城镇
    last = items[-1]
    noun = next((h for h in lex.list_heads if last.endswith(h)), None)
    subjects: list[str | None] = []
    for item in items:
        if noun is not None:  # 违规、管理不规范和损失浪费问题金额: each item's 问题金额
            if not any(item.endswith(h) for h in lex.list_heads):
                item += noun  # (an item with a head of its own is whole: 违规金额、管理不规范金额)
        elif len(item) < len(last) and len(item) <= 4:
            item += last[len(item) :]
        subjects.append(subject_before(lex, item) or None)
    return subjects


# ------------------------------------------------------------------------------------ implied subjects


def implied_subject(
    lex: IndicatorLexicon, subject: str | None, sentence: str, kind: str, change: str | None
) -> str | None:
    """The subject a figure with none of its own takes in this sentence (``implied_subjects``), or
    ``None``."""
    for rule in lex.implied:
        if rule.applies(subject, sentence, kind, change):
            return rule.subject
    return None


def is_comparison(lex: IndicatorLexicon, subject: str | None) -> bool:
    """Whether a subject is a comparison (高于全国…), which passes on to no other figure."""
    return (
        bool(subject) and lex.comparison_re is not None and lex.comparison_re.match(subject or "") is not None
    )
