"""The comparison's tables as JSON for the site's pages: the report index, the matrix, yoy, the charts.

A table is ``{"columns": [...], "rows": [[cell, …], …]}``; a cell is a plain value or
``{"t": text, "h": link, "v": sort value, "c": css class, "tt": hover text, "f": [flags]}``. Links point
at the anchors of :mod:`auditnlp.writers.site.report`, computed from the rows' offsets, so the tables need
no report text.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from auditnlp.corpus.matrix import RATE_UNITS
from auditnlp.corpus.schema import MASK, column
from auditnlp.writers.display import Display
from auditnlp.writers.site.report import MONEY_SCALES, indicator_anchor, is_money, money_text, number_text

if TYPE_CHECKING:
    import pandas as pd

    from auditnlp.corpus.compare import Comparison

PAGE_SIZE = 50
CHART_MAX_UNITS = 40
"""Lines beyond this many units would be unreadable: a chart shows the units with the most points."""
APPROX_FLAGS = {
    "about": ("约", "approx"),
    "approx": ("约", "approx"),
    "at_least": ("≥", "at least"),
    "at_most": ("≤", "at most"),
}
FLAG_WORDS = {
    "disagree": ("候选不一致", "disagree"),
    "computed": ("合计（计算）", "computed"),
    "big_change": ("请核对", "check"),
}
"""Flags of the values table (issue 12) as shown on a matrix cell."""
BAD_FLAGS = frozenset({"disagree", "big_change"})
AT_LEAST = frozenset({"超过", "以上", "不少于", "不低于", "逾", "余", "多", "突破"})
AT_MOST = frozenset({"不足", "以内", "不到", "不超过", "以下", "近"})


def page_name(file: Any, row: Any = None) -> str:
    """The file name of a report's page: stable for (file, row), safe on every file system."""
    key = f"{file}#{'' if _missing(row) else int(row)}"
    return f"r{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}.html"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NA
    except TypeError:
        return type(value).__name__ == "NAType"


def to_json(data: Any) -> Markup:
    """JSON safe to put inside a ``<script>`` element (``<``, ``>`` and ``&`` escaped as ``\\u00XX``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _col(key: str, display: Display, *, zh: str | None = None, en: str | None = None, **extra: Any) -> dict:
    return {"key": key, "zh": zh or column(key).label, "en": en or key, **extra}


def _year(value: Any) -> str:
    return "" if _missing(value) else str(int(value))


def _number(value: Any) -> float | None:
    if _missing(value) or isinstance(value, str):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def value_text(value: Any, base_unit: Any) -> str:
    """A base value as a reader wants it: money in 万元/亿元, other numbers with their unit."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        return value
    decimal = value if isinstance(value, Decimal) else Decimal(str(value))
    if is_money(base_unit):
        return money_text(decimal, base_unit)
    return number_text(decimal)


def approx_flag(approx: Any) -> dict[str, str] | None:
    """The flag shown for an approximation word (约 / ≥ / ≤), or ``None``."""
    if _missing(approx) or not approx:
        return None
    word = str(approx)
    kind = "at_least" if word in AT_LEAST else "at_most" if word in AT_MOST else "about"
    zh, en = APPROX_FLAGS[kind]
    return {"zh": zh, "en": en, "tt": word}


def index_table(comparison: Comparison, display: Display, pages: Collection[str]) -> dict[str, Any]:
    """One row per report: unit, year, type, title (a link to its page), counts, warnings, shares."""
    frame = comparison.reports
    shares = [c for c in frame.columns if c.startswith("share_")]
    counts = ["chars", "sections", "paragraphs", "items", "indicators", "slogans", "problems", "measures"]
    columns = [
        _col("unit", display, sticky=True),
        _col("period", display),
        _col("doc_type", display),
        _col("title", display),
        *(_col(c, display, kind="num") for c in counts),
        _col("masked_share", display, kind="num"),
        *(
            _col(c, display, zh=comparison.label(c), en=c.removeprefix("share_") + " %", kind="num")
            for c in shares
        ),
        _col("warnings", display, kind="long"),
        _col("file", display),
    ]
    rows = []
    for rec in frame.to_dict("records"):
        page = page_name(rec.get("file"), rec.get("row"))
        title = rec.get("title") or str(rec.get("file") or "").replace("\\", "/").rsplit("/", 1)[-1]
        link: dict[str, Any] = {"t": title, "h": f"reports/{page}"}
        if page not in pages:
            link = {"t": title, "tt": display.ui("text_missing")}
        masked = _number(rec.get("masked_share"))
        rows.append(
            [
                rec.get("unit") or "?",
                _period_cell(rec),
                {"t": display.code("doc_type", rec.get("doc_type"), "zh"), "e": rec.get("doc_type") or ""},
                link,
                *(_count_cell(rec.get(c)) for c in counts),
                {"t": f"{masked:.0%}", "v": masked} if masked is not None else "",
                *(_share_cell(rec.get(c)) for c in shares),
                rec.get("warnings") or "",
                _file_row(rec),
            ]
        )
    return {"columns": columns, "rows": rows, "pageSize": PAGE_SIZE}


def period_of(rec: dict[str, Any]) -> tuple[str, str]:
    """(code, label) of a report's covered period (``2024H1``, ``2024年上半年``), from its year when the
    table has no period."""
    code = rec.get("period")
    if isinstance(code, str) and code:
        label = rec.get("period_label")
        return code, label if isinstance(label, str) and label else code
    year = _year(rec.get("year"))
    return year, f"{year}年" if year else ""


def _period_cell(rec: dict[str, Any]) -> dict[str, Any]:
    code, label = period_of(rec)
    return {"t": label or "?", "v": code}


def full_year(code: str) -> bool:
    """Whether a period code is one whole year (``2024``; not ``2024H1`` or ``2021-2025``)."""
    return len(code) == 4 and code.isdigit()


def _count_cell(value: Any) -> Any:
    return "" if _missing(value) else {"t": f"{int(value):,}", "v": int(value)}


def _share_cell(value: Any) -> Any:
    share = _number(value)
    return "" if share is None else {"t": f"{share:.0%}", "v": share}


def _file_row(rec: dict[str, Any]) -> str:
    name = str(rec.get("file") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name + (f"#{int(rec['row'])}" if not _missing(rec.get("row")) else "")


def _report_labels(reports: pd.DataFrame) -> dict[int, dict[str, Any]]:
    out = {}
    for rec in reports.to_dict("records"):
        code, label = period_of(rec)
        out[int(rec["report_id"])] = {
            "unit": rec.get("unit") or "?",
            "year": _year(rec.get("year")),
            "period": code,
            "period_label": label,
            "page": page_name(rec.get("file"), rec.get("row")),
            "file": _file_row(rec),
            "doc_type": rec.get("doc_type"),
        }
    return out


def _ordered_names(keys: Iterable[tuple[str, str]], display: Display) -> list[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(display.headlines)}
    return sorted(set(keys), key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))


def headline_cells(comparison: Comparison) -> dict[tuple[int, str, str], dict[str, Any]]:
    """(report id, name, base unit) → the figure the matrix shows, with the other candidates' values.

    From the comparison's ``values`` table (every candidate, the shown one marked) when it has one, else
    from the indicators marked ``primary``.
    """
    values = getattr(comparison, "values", None)
    if values is not None and "shown" in getattr(values, "columns", ()):
        return _cells_from_values(values)
    return _cells_from_indicators(comparison)


def _records(frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of the columns `cols` that `frame` has (column lists: fast on arrow strings)."""
    present = [c for c in cols if c in frame.columns]
    columns = [frame[c].tolist() for c in present]
    return [dict(zip(present, row, strict=True)) for row in zip(*columns, strict=True)]


def _cells_from_values(values: pd.DataFrame) -> dict[tuple[int, str, str], dict[str, Any]]:
    chosen: dict[tuple[int, str, str], dict[str, Any]] = {}
    others: dict[tuple[int, str, str], list[dict[str, Any]]] = defaultdict(list)
    cols = ["report_id", "name", "base_unit", "value", "masked", "approx", "qualifier", "shown", "flag"]
    cols += ["note", "why", "role", "period", "figure_period", "start", "end", "text", "sentence"]
    for rec in _records(values, cols):
        if not isinstance(rec.get("name"), str) or not rec["name"]:
            continue
        rec["base_value"] = rec.get("value")
        key = (int(rec["report_id"]), rec["name"], rec["base_unit"])
        if rec.get("shown") is True or (not _missing(rec.get("shown")) and bool(rec.get("shown"))):
            chosen[key] = rec
        else:
            others[key].append(rec)
    for key, rec in chosen.items():
        rec["others"] = others.get(key, [])
    return chosen


def _cells_from_indicators(comparison: Comparison) -> dict[tuple[int, str, str], dict[str, Any]]:
    frame = comparison.indicators
    if frame.empty:
        return {}
    chosen: dict[tuple[int, str, str], dict[str, Any]] = {}
    others: dict[tuple[int, str, str], list[dict[str, Any]]] = defaultdict(list)
    cols = ["report_id", "name", "base_unit", "base_value", "masked", "approx", "primary", "flag", "role"]
    cols += ["start", "end", "text", "sentence"]
    named = frame[frame["name"].notna() & frame["flag"].isna()]
    for values in zip(*(named[c].tolist() for c in cols), strict=True):
        rec = dict(zip(cols, values, strict=True))
        if not rec["name"]:
            continue
        key = (int(rec["report_id"]), rec["name"], rec["base_unit"])
        if rec["primary"]:
            chosen[key] = rec
        elif rec["role"] != "plans":
            others[key].append(rec)
    for key, rec in chosen.items():
        own = _number(rec["base_value"])
        found = {_number(o["base_value"]) for o in others.get(key, []) if not o["masked"]}
        rec["candidates"] = sorted(v for v in found if v is not None and v != own)
    return chosen


def _cell(rec: dict[str, Any], base_unit: str, page: str, display: Display) -> dict[str, Any]:
    masked = bool(rec["masked"])
    text = MASK if masked else value_text(rec["base_value"], base_unit)
    cell: dict[str, Any] = {
        "t": text,
        "v": None if masked else _number(rec["base_value"]),
        "tt": str(rec.get("sentence") or rec.get("text") or rec.get("note") or ""),
    }
    link = record_link(rec, page)
    if link:
        cell["h"] = link
    if masked:
        cell["c"] = "mask"
    flags: list[dict[str, Any]] = []
    qualifier = rec.get("qualifier")
    approx = (
        {**dict(zip(("zh", "en"), APPROX_FLAGS[qualifier], strict=True)), "tt": str(rec.get("approx") or "")}
        if isinstance(qualifier, str) and qualifier in APPROX_FLAGS
        else approx_flag(rec.get("approx"))
    )
    if approx:
        flags.append(approx)
    flag = rec.get("flag")
    note = rec.get("note") if isinstance(rec.get("note"), str) else ""
    for word in flag.split(",") if isinstance(flag, str) else []:
        word = word.strip()
        if word:
            zh, en = FLAG_WORDS.get(word, (word, word))
            flags.append({"zh": zh, "en": en, "tt": note, "bad": word in BAD_FLAGS})
    period, figure = rec.get("period"), rec.get("figure_period")
    if isinstance(period, str) and period and not full_year(period):
        flags.append({"zh": "部分年度", "en": "part-year", "tt": period})
    elif isinstance(figure, str) and figure and isinstance(period, str) and figure != period:
        flags.append({"zh": "期间不同", "en": "other period", "tt": figure})
    others = [o for o in rec.get("others", []) if not o.get("masked")]
    if others:
        own = _number(rec["base_value"])
        lines = [
            f"{value_text(o['value'], base_unit)}（{o.get('why') or o.get('role') or ''}）"
            for o in others[:6]
            if _number(o.get("value")) != own
        ]
        if lines:  # not a flag: targets, base values and totals beside a result are no conflict
            cell["tt"] += "\n其他候选 (other candidates): " + "；".join(lines)
    if rec.get("candidates"):
        shown = "、".join(value_text(Decimal(str(v)), base_unit) for v in rec["candidates"][:5])
        flags.append({"zh": "另有候选", "en": "other candidates", "tt": shown, "bad": True})
    if flags:
        cell["f"] = flags
    return cell


Cells = dict[tuple[int, str, str], dict[str, Any]]


def record_link(rec: dict[str, Any], page: str) -> str | None:
    """The link to a figure's anchor on its report page; ``None`` for a figure with no place in the text
    (a total the comparison computed from its parts: its note names them)."""
    if _missing(rec.get("start")) or _missing(rec.get("end")):
        return None
    return f"reports/{page}#{indicator_anchor(int(rec['start']), int(rec['end']))}"


def matrix_table(comparison: Comparison, display: Display, cells: Cells | None = None) -> dict[str, Any]:
    """One row per report, one column per canonical indicator (headline indicators first)."""
    cells = headline_cells(comparison) if cells is None else cells
    labels = _report_labels(comparison.reports)
    names = _ordered_names(((n, u) for _, n, u in cells), display)
    core = {n for n, _ in names if n in display.headlines}
    columns = [
        _col("unit", display, sticky=True),
        _col("period", display),
        *(
            {
                "key": f"{n}|{u}",
                "zh": display.indicator(n, "zh"),
                "en": n,
                "unit": u,
                "kind": "num",
                **({} if n in core else {"extra": True}),
            }
            for n, u in names
        ),
        _col("file", display),
    ]
    rows = []
    for report_id, info in sorted(labels.items(), key=lambda kv: (kv[1]["unit"], kv[1]["period"], kv[0])):
        row: list[Any] = [info["unit"], {"t": info["period_label"] or "?", "v": info["period"]}]
        for n, u in names:
            rec = cells.get((report_id, n, u))
            row.append(_cell(rec, u, info["page"], display) if rec else "")
        row.append(info["file"])
        rows.append(row)
    spec: dict[str, Any] = {"columns": columns, "rows": rows, "pageSize": PAGE_SIZE}
    if core and len(core) < len(names):
        spec["coreToggle"] = display.pair("core_only")
    return spec


def yoy_table(comparison: Comparison, display: Display, cells: Cells | None = None) -> dict[str, Any]:
    """Year-on-year rows, each value linked to its sentence; big changes and the table's notes flagged."""
    frame = comparison.yoy
    links = _links_by_unit_period(comparison, headline_cells(comparison) if cells is None else cells)
    labels = {info["period"]: info["period_label"] for info in _report_labels(comparison.reports).values()}
    columns = [
        _col("unit", display, sticky=True),
        {"key": "name", "zh": "指标", "en": "name"},
        _col("base_unit", display),
        _col("period", display),
        _col("value", display, kind="num"),
        _col("prev_period", display, zh="上期", en="previous period"),
        _col("prev_value", display, zh="上期数值", kind="num"),
        _col("change_pct", display, kind="num"),
        {"key": "note", "zh": "说明", "en": "note", "kind": "long"},
    ]
    rows = []
    for rec in frame.to_dict("records"):
        period, prev_period = _period_code(rec, ""), _period_code(rec, "prev_")
        if not prev_period:
            continue  # a unit's first period: it is the previous value of the next row
        unit, name, base = rec["unit"], rec["name"], rec["base_unit"]
        value = _linked(rec["value"], base, links.get((unit, period, name, base)))
        prev = _linked(rec["prev_value"], base, links.get((unit, prev_period, name, base)))
        rate = base in RATE_UNITS  # a rate changes in points: 5.0% → 5.4% is +0.4, not +8 %
        pct = _number(rec.get("change") if rate else rec.get("change_pct"))
        change: Any = ""
        if pct is not None:
            # falls in red, rises in green
            text = f"{pct:+.2f}".rstrip("0").rstrip(".") + "个百分点" if rate else f"{pct:+.1f}%"
            change = {"t": text, "v": pct, "c": "up" if pct > 0 else "down" if pct < 0 else ""}
            if abs(pct) > 100 and not rate:
                change["f"] = [{"zh": "请核对", "en": "check", "tt": "|change| > 100%", "bad": True}]
        flags = [f for f in str(rec.get("flag") or "").split("; ") if f and not _missing(rec.get("flag"))]
        notes_zh = [display.code("yoy_flag", f, "zh") for f in flags]
        notes_en = list(flags)
        for key in ("reason", "note"):
            if isinstance(rec.get(key), str) and rec[key]:
                notes_zh.append(rec[key])
                notes_en.append(rec[key])
        rows.append(
            [
                unit,
                {"t": display.indicator(name, "zh"), "e": name},
                base,
                {"t": labels.get(period, period), "v": period},
                value,
                {"t": labels.get(prev_period, prev_period), "v": prev_period},
                prev,
                change,
                {"t": "；".join(notes_zh), "e": "; ".join(notes_en)} if notes_zh else "",
            ]
        )
    return {"columns": columns, "rows": rows, "pageSize": PAGE_SIZE}


def _period_code(rec: dict[str, Any], prefix: str) -> str:
    """The period code of a yoy row (``period`` / ``prev_period``), else its year."""
    code = rec.get(f"{prefix}period")
    if isinstance(code, str) and code:
        return code
    return _year(rec.get(f"{prefix}year"))


def _links_by_unit_period(
    comparison: Comparison, cells: Cells
) -> dict[tuple[Any, str, str, str], dict[str, Any]]:
    labels = _report_labels(comparison.reports)
    out: dict[tuple[Any, str, str, str], dict[str, Any]] = {}
    for (report_id, name, base), rec in cells.items():
        info = labels[report_id]
        out.setdefault((info["unit"], info["period"], name, base), {**rec, "page": info["page"]})
    return out


def _linked(value: Any, base_unit: str, rec: dict[str, Any] | None) -> Any:
    if _missing(value):
        return ""
    if value == MASK:
        cell: dict[str, Any] = {"t": MASK, "c": "mask"}
    else:
        cell = {"t": value_text(value, base_unit), "v": _number(value)}
    if rec is not None:
        link = record_link(rec, rec["page"])
        if link:
            cell["h"] = link
        cell["tt"] = str(rec.get("sentence") or rec.get("note") or "")
    return cell


def errors_table(comparison: Comparison, display: Display) -> dict[str, Any]:
    """The inputs that failed, with the reason."""
    columns = [_col("path", display), _col("reason", display, kind="long"), _col("error", display)]
    rows = [[str(r.path), str(r.reason), str(r.error)] for r in comparison.errors.itertuples(index=False)]
    return {"columns": columns, "rows": rows, "pageSize": PAGE_SIZE}


def _scale(values: list[float], base_unit: str) -> tuple[float, str]:
    """The unit a chart's axis shows: money in 万亿/亿/万 of its currency, others as they are."""
    if not is_money(base_unit):
        return 1.0, base_unit
    top = max((abs(v) for v in values), default=0.0)
    for power, prefix in MONEY_SCALES:
        if top >= 10.0**power:
            return 10.0**power, f"{prefix}{base_unit}"
    return 1.0, base_unit


def chart_specs(comparison: Comparison, display: Display, cells: Cells | None = None) -> list[dict[str, Any]]:
    """One chart per headline indicator found: a line per unit across years, each point linked."""
    cells = headline_cells(comparison) if cells is None else cells
    labels = _report_labels(comparison.reports)
    series: dict[tuple[str, str], dict[str, list[tuple[int, float, str | None, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (report_id, name, base), rec in cells.items():
        info = labels[report_id]
        value = _number(rec["base_value"])
        if name not in display.headlines or rec["masked"] or value is None or not full_year(info["period"]):
            continue  # part-year and multi-year periods are on the matrix page, not on a yearly axis
        link = record_link(rec, info["page"])
        point = (int(info["period"]), value, link, str(rec.get("text") or ""))
        series[(name, base)][info["unit"]].append(point)
    specs = []
    for name, base in _ordered_names(series, display):
        units = series[(name, base)]
        scale, shown_unit = _scale([v for pts in units.values() for _, v, _, _ in pts], base)
        chosen = sorted(units, key=lambda u: (-len(units[u]), u))[:CHART_MAX_UNITS]
        traces = []
        for unit in sorted(chosen):
            points: list[Any] = []
            for point in sorted(units[unit]):
                if points and point[0] - points[-1][0] > 1:  # a line never bridges missing years
                    points.append((point[0] - 1, None, None, None))
                points.append(point)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": unit,
                    "x": [p[0] for p in points],
                    "y": [None if p[1] is None else p[1] / scale for p in points],
                    "connectgaps": False,
                    "customdata": [p[2] for p in points],
                    "text": [p[3] for p in points],
                    "hovertemplate": f"{unit} %{{x}}: %{{y:,}} {shown_unit}<br>%{{text}}<extra></extra>",
                }
            )
        years = sorted({p[0] for pts in units.values() for p in pts})
        if len(years) > 20:  # a long series: let plotly place the ticks
            ticks: dict[str, Any] = {"tickmode": "auto", "dtick": 5}
        else:
            ticks = {"tickmode": "array", "tickvals": years}
        specs.append(
            {
                "id": name if base == _main_unit(series, name) else f"{name}-{base}",
                "name": name,
                "label": display.indicator(name, "zh")
                + (f"（{shown_unit}）" if sum(1 for n, _ in series if n == name) > 1 else ""),
                "unit": shown_unit,
                "dropped": len(units) - len(chosen),
                "traces": traces,
                "layout": {
                    "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                    "xaxis": {**ticks, "title": {"text": ""}},
                    "yaxis": {
                        "title": {"text": shown_unit},
                        "rangemode": "tozero",
                        "exponentformat": "none",
                        "separatethousands": True,
                    },
                    "legend": {"orientation": "h"},
                    "hovermode": "closest",
                    "font": {"family": "Noto Sans CJK SC, sans-serif"},
                },
            }
        )
    return specs


def _main_unit(series: dict[tuple[str, str], Any], name: str) -> str:
    bases = sorted((len(v), b) for (n, b), v in series.items() if n == name)
    return bases[-1][1] if bases else ""
