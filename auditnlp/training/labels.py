"""Labelled units: a TSV of references (document, unit kind, offsets, label, sha1) resolved to texts.

The labels file stores no text from documents it does not own, only where a unit is::

    # root: ../..
    # text_column: full_text
    doc	unit	start	end	label	sha1
    ../shared/seeds/000_626403d7295463b3.txt	item	396	629	study	3f5c…

``doc`` is a path relative to ``root`` (a ``# root:`` directive, relative to the labels file; default the
labels file's folder); ``path#N`` is row N of a CSV/XLSX/JSONL file whose text is in the ``# text_column:``
column. ``start``/``end`` are offsets into the analysed :attr:`Report.text`, ``unit`` is ``paragraph`` or
``item``, and ``sha1`` is the SHA-1 of the unit text, so a changed segmentation is detected rather than
silently training on the wrong text.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditnlp.errors import InputError, LexiconError
from auditnlp.types import Report

COLUMNS = ("doc", "unit", "start", "end", "label", "sha1")
UNITS = ("paragraph", "item")


@dataclass(frozen=True, slots=True)
class LabelRef:
    """One row of a labels file (a reference, no text)."""

    doc: str
    unit: str
    start: int
    end: int
    label: str
    sha1: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class LabelledUnit:
    """A labelled unit resolved to its text; `group` is the document (for grouped cross-validation);
    `context` the headings it is read with (:func:`auditnlp.classify.section_contexts`)."""

    ref: LabelRef
    text: str
    context: str = ""

    @property
    def label(self) -> str:
        """The unit's label."""
        return self.ref.label

    @property
    def group(self) -> str:
        """The document the unit comes from (``path`` or ``path#row``)."""
        return self.ref.doc


@dataclass(frozen=True, slots=True)
class LabelSet:
    """Units resolved from a labels file, and a message per reference that could not be used."""

    units: tuple[LabelledUnit, ...]
    skipped: tuple[str, ...]
    source: str

    def texts(self) -> list[str]:
        """Unit texts in file order."""
        return [u.text for u in self.units]

    def inputs(self, mode: str = "text") -> list[str]:
        """Model inputs in file order: the texts, or for ``heading+text`` the texts with their headings."""
        if mode == "text":
            return self.texts()
        from auditnlp.classify.model import unit_input

        return [unit_input(u.text, u.context) for u in self.units]

    def without(self, docs: Iterable[str]) -> LabelSet:
        """The same set without the units of `docs` (document paths as in the labels file)."""
        drop = set(docs)
        return LabelSet(tuple(u for u in self.units if u.group not in drop), self.skipped, self.source)

    def labels(self) -> list[str]:
        """Unit labels in file order."""
        return [u.label for u in self.units]

    def groups(self) -> list[str]:
        """Unit documents in file order."""
        return [u.group for u in self.units]

    def digest(self) -> str:
        """SHA-256 over the used rows (reference, label and text hash): identifies the training data."""
        h = hashlib.sha256()
        for u in self.units:
            r = u.ref
            h.update(f"{r.doc}\t{r.unit}\t{r.start}\t{r.end}\t{r.label}\t{r.sha1}\n".encode())
        return h.hexdigest()


def text_sha1(text: str) -> str:
    """SHA-1 (hex) of a unit text, as stored in the ``sha1`` column."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def read_refs(path: str | Path) -> tuple[tuple[LabelRef, ...], dict[str, str]]:
    """Parse a labels file into references and its ``# key: value`` directives (root, text_column)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(where, f"cannot read labels: {exc.strerror or exc}") from None
    directives: dict[str, str] = {}
    rows: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip().isidentifier():
                directives[key.strip()] = value.strip()
        elif line.strip():
            rows.append((lineno, line))
    if not rows:
        raise LexiconError(where, "no header line")
    reader = csv.reader(io.StringIO("\n".join(r for _, r in rows)), delimiter="\t", quoting=csv.QUOTE_NONE)
    table = list(reader)
    header = [h.strip() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise LexiconError(where, f"line {rows[0][0]}: header lacks column(s) {', '.join(missing)}")
    refs: list[LabelRef] = []
    for (lineno, _), row in zip(rows[1:], table[1:], strict=True):
        rec = dict(zip(header, (c.strip() for c in row), strict=False))
        if any(not rec.get(c) for c in COLUMNS):
            raise LexiconError(where, f"line {lineno}: every column of {', '.join(COLUMNS)} must be filled")
        if rec["unit"] not in UNITS:
            raise LexiconError(where, f"line {lineno}: unit must be one of {', '.join(UNITS)}")
        try:
            start, end = int(rec["start"]), int(rec["end"])
        except ValueError:
            raise LexiconError(where, f"line {lineno}: start/end must be integers") from None
        refs.append(LabelRef(rec["doc"], rec["unit"], start, end, rec["label"], rec["sha1"], lineno))
    return tuple(refs), directives


def load_labels(
    path: str | Path, *, root: str | Path | None = None, labels: Iterable[str] | None = None
) -> LabelSet:
    """Read a labels file and resolve each reference to its unit text with :func:`auditnlp.analyze`.

    References to missing documents (``../shared`` absent), to offsets that no longer match a unit, or
    whose text hash changed are skipped with a message in :attr:`LabelSet.skipped`. A label outside
    `labels` (when given) raises :class:`LexiconError` naming the line.
    """
    from auditnlp.classify import section_contexts

    refs, directives = read_refs(path)
    base = Path(root) if root is not None else Path(path).parent / directives.get("root", ".")
    contexts: dict[str, dict[int, str]] = {}
    text_column = directives.get("text_column") or None
    allowed = set(labels) if labels is not None else None
    reports: dict[str, Report | str] = {}
    units: list[LabelledUnit] = []
    skipped: list[str] = []
    for ref in refs:
        if allowed is not None and ref.label not in allowed:
            raise LexiconError(
                str(path), f"line {ref.line}: label {ref.label!r} is not one of {', '.join(sorted(allowed))}"
            )
        if ref.doc not in reports:
            reports[ref.doc] = _resolve(base, ref.doc, text_column)
        report = reports[ref.doc]
        if isinstance(report, str):
            skipped.append(f"line {ref.line}: {report}")
            continue
        if ref.doc not in contexts:
            contexts[ref.doc] = section_contexts(report)
        pool = report.paragraphs if ref.unit == "paragraph" else report.items
        unit = next((u for u in pool if u.start == ref.start and u.end == ref.end), None)
        if unit is None:
            skipped.append(
                f"line {ref.line}: {ref.doc}: no {ref.unit} at {ref.start}:{ref.end} (segmentation changed?)"
            )
            continue
        if text_sha1(unit.text) != ref.sha1:
            skipped.append(
                f"line {ref.line}: {ref.doc}: text of {ref.unit} {ref.start}:{ref.end} changed (sha1)"
            )
            continue
        units.append(LabelledUnit(ref, unit.text, contexts[ref.doc].get(unit.section, "")))
    return LabelSet(tuple(units), tuple(dict.fromkeys(skipped)), str(path))


def _resolve(base: Path, doc: str, text_column: str | None) -> Report | str:
    """The analysed report of `doc`, or a message saying why it cannot be used."""
    from auditnlp.pipeline import Options, analyze, analyze_many

    name, _, row = doc.partition("#")
    file = base / name
    if not file.exists():
        hint = " (../shared is not beside this checkout)" if name.startswith("../shared") else ""
        return f"{doc}: document not found{hint}; skipped"
    options = Options(text_column=text_column, stages=("structure",))
    try:
        if not row:
            return analyze(file, options=options)
        for result in analyze_many([file], options=options):
            if not isinstance(result, InputError) and result.source.row == int(row):
                return result
    except InputError as exc:
        return f"{doc}: {exc.reason}; skipped"
    return f"{doc}: row {row} not found; skipped"


def load_genres(path: str | Path) -> dict[str, tuple[str, str]]:
    """Read a genres file (TSV ``doc  genre  part``; ``#`` lines are comments): document → (genre, part).

    ``doc`` is written as in the labels file; ``part`` is ``dev`` or ``heldout`` (documents kept out of
    training and model selection when measuring).
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(where, f"cannot read genres: {exc.strerror or exc}") from None
    rows = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")
    ]
    if not rows or rows[0][1].split("\t")[:3] != ["doc", "genre", "part"]:
        raise LexiconError(where, "the header must be: doc, genre, part (tab-separated)")
    out: dict[str, tuple[str, str]] = {}
    for lineno, line in rows[1:]:
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 3 or not all(cells[:3]) or cells[2] not in ("dev", "heldout"):
            raise LexiconError(where, f"line {lineno}: expected doc, genre and part (dev or heldout)")
        out[cells[0]] = (cells[1], cells[2])
    return out


def write_labels(
    path: str | Path,
    rows: Iterable[LabelRef],
    *,
    root: str = ".",
    text_column: str | None = None,
    comment: str | None = None,
) -> None:
    """Write references as a labels file (with ``# root:`` / ``# text_column:`` directives)."""
    lines: list[str] = []
    if comment:
        lines.extend(f"# {c}" if c else "#" for c in comment.splitlines())
    lines.append(f"# root: {root}")
    if text_column:
        lines.append(f"# text_column: {text_column}")
    lines.append("\t".join(COLUMNS))
    for r in rows:
        lines.append("\t".join((r.doc, r.unit, str(r.start), str(r.end), r.label, r.sha1)))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def ref_for(doc: str, unit_kind: str, unit_start: int, unit_end: int, text: str, label: str) -> LabelRef:
    """Build a reference for a unit of an analysed report."""
    return LabelRef(doc, unit_kind, unit_start, unit_end, label, text_sha1(text))
