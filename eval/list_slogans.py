"""Print the slogans found in the given documents (for reading and judging precision by hand).

    python eval/list_slogans.py ../shared/seeds/*.txt
    python eval/list_slogans.py --kinds contrast,role FILE...  # only some kinds
    python eval/list_slogans.py --summary FILE...              # counts per kind only

One tab-separated line per slogan: kind, H (in a heading) or -, text, keywords, expansion.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from auditnlp.extract.slogans import extract_slogans
from auditnlp.pipeline import analyze_many


def main(argv: list[str] | None = None) -> int:
    """List slogans per document; return a process exit code (1 when a document failed)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", help="report files or folders (.txt, .docx, .csv rows …)")
    parser.add_argument("--kinds", help="comma-separated kinds to show (default: all)")
    parser.add_argument("--summary", action="store_true", help="print only the count of slogans per kind")
    args = parser.parse_args(argv)
    kinds = set(args.kinds.split(",")) if args.kinds else None
    status = 0
    for result in analyze_many(args.paths):
        if isinstance(result, Exception):
            print(f"error: {result}", file=sys.stderr)
            status = 1
            continue
        name = (
            result.source.path if result.source.row is None else f"{result.source.path}#{result.source.row}"
        )
        slogans = [s for s in extract_slogans(result) if kinds is None or s.kind in kinds]
        counts = Counter(s.kind for s in slogans)
        print(
            f"== {name}: {len(slogans)} slogans ({', '.join(f'{k} {n}' for k, n in sorted(counts.items()))})"
        )
        if args.summary:
            continue
        for s in slogans:
            where = "H" if s.in_heading else "-"
            print(f"{s.kind}\t{where}\t{s.text}\t{'/'.join(s.keywords)}\t{'、'.join(s.expansion)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
