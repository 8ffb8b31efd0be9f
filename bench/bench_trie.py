"""Benchmark: lexicon matching with ``hanlp_trie`` against a ``regex`` alternation (run by hand).

    python bench/bench_trie.py [--chars 300000] [--repeat 3] [--sizes 490,5000,50000]

All find leftmost-longest, non-overlapping matches, and the script checks that they agree:
``Trie.parse_longest``; a ``regex`` alternation sorted longest first; the stdlib ``re`` with the same
alternation; a pattern factored along the trie (``审计(?:整改|局)?``) in ``regex`` and in ``re``. The
patterns slow down with the number of alternatives, so above ``--max-plain`` words they run once.
Lexicons: auditnlp's jieba user dictionary (the first size), then words of two or more characters from
jieba's main dictionary (every k-th word, fixed).
Text as in bench_segment.py. Needs ``hanlp_trie`` (installed with the hanlp extra; it needs no torch).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_segment import load_text


def lexicon(size: int) -> list[str]:
    """`size` words: the audit user dictionary first, then jieba main-dictionary words (fixed sample)."""
    from auditnlp.tokenizer import read_userdict

    words = [w for w, _, _ in read_userdict()]
    if size <= len(words):
        return words[:size]
    import jieba

    main = [
        line.split(" ", 1)[0]
        for line in Path(jieba.get_dict_file().name).read_text(encoding="utf-8").splitlines()
        if line and len(line.split(" ", 1)[0]) >= 2
    ]
    step = max(1, len(main) // (size - len(words)))
    seen = set(words)
    for word in main[::step]:
        if len(words) >= size:
            break
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def trie_pattern(words: list[str]) -> str:
    """A regex source factored along the trie of `words`: one branch per next character, greedy."""
    import regex

    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [regex.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(branches) == 1 else body + "?"
        return body

    return build(root)


def best_of(func, repeat: int) -> tuple[float, object]:
    """Best wall time of `repeat` calls and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="490,5000,50000")
    parser.add_argument("--max-plain", type=int, default=5000, help="above this, plain alternations run once")
    args = parser.parse_args()

    import re

    import regex
    from hanlp_trie import Trie

    text, where = load_text(args.chars)
    megabytes = len(text.encode("utf-8")) / 1e6
    print(f"text: {where}, {megabytes:.2f} MB UTF-8; load average {os.getloadavg()[0]:.1f}")
    print(
        f"  {'words':>7} {'build trie':>10} {'trie':>8} {'regex alt':>10} {'re alt':>8} "
        f"{'regex trie':>11} {'re trie':>8} {'matches':>8}   (MB/s)"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        words = lexicon(size)
        t0 = time.perf_counter()
        trie = Trie({w: w for w in words})
        build = time.perf_counter() - t0
        alternation = "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))
        plain_repeat = args.repeat if len(words) <= args.max_plain else 1
        trie_s, expected = best_of(lambda trie=trie: trie.parse_longest(text), args.repeat)
        speeds, agree = [], True
        for compiled, repeat in (
            (regex.compile(alternation), plain_repeat),
            (re.compile(alternation), plain_repeat),
            (regex.compile(trie_pattern(words)), plain_repeat),
            (re.compile(trie_pattern(words)), plain_repeat),
        ):
            seconds, hits = best_of(
                lambda p=compiled: [(m.start(), m.end(), m.group()) for m in p.finditer(text)], repeat
            )
            speeds.append(megabytes / seconds)
            agree = agree and hits == expected
        print(
            f"  {len(words):>7,} {build:>9.3f}s {megabytes / trie_s:>8.2f} {speeds[0]:>10.3f} "
            f"{speeds[1]:>8.3f} {speeds[2]:>11.3f} {speeds[3]:>8.3f} {len(expected):>8,}"
            + ("" if agree else "  (results differ!)"),
            flush=True,
        )


if __name__ == "__main__":
    main()
