"""Generate a large corpus by varying the bundled sample reports (for tests and benchmarks, never committed).

Each generated report is one of the sample texts with another unit (a made-up place of the same kind:
区, 县 or 市), its years shifted, and every figure scaled by a random factor (decimals kept), written into a
folder tree ``<unit>/<year>/<n>.txt`` (some in GB18030). ``bad`` adds broken files among them: empty,
binary, a corrupt .docx, an undecodable text. ``short`` keeps the first part of each report (a quicker
analysis for benchmarks of 10⁵ reports).

    python scripts/synthetic_corpus.py OUT --reports 2000 [--bad 20] [--short] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpora" / "samples"
SYLLABLES = "东南西北安平和兴华宁泰康丰永昌盛新阳明清河山湖江林云石桥海源溪川岭沙"
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.]*年)")
_YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")


def _samples() -> list[tuple[str, str, str]]:
    """(text, place, suffix) of every text sample (decoded as the readers decode it)."""
    from auditnlp.readers import read_path

    units = {}
    with (SAMPLES / "manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            units[row["path"]] = row["unit"]
    out = []
    for path in sorted(SAMPLES.glob("*.txt")):
        doc = next(iter(read_path(path)))
        place = units[path.name].removesuffix("审计局")
        out.append((doc.text, place, place[-1]))
    return out


def _scale(match: re.Match[str], rng: random.Random) -> str:
    text = match.group(1)
    decimals = len(text.split(".")[1]) if "." in text else 0
    value = float(text) * rng.uniform(0.6, 1.6)
    if decimals:
        return f"{value:.{decimals}f}"
    return str(max(1, round(value)))


def generate(
    out: str | Path,
    reports: int,
    *,
    seed: int = 0,
    bad: int = 0,
    short: bool = False,
    units: int | None = None,
) -> list[Path]:
    """Write `reports` varied reports (and `bad` broken files) under `out`; return the paths written."""
    rng = random.Random(seed)
    out = Path(out)
    samples = _samples()
    count = units or max(5, reports // 8)
    places = []
    seen = set()
    while len(places) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        if name not in seen:
            seen.add(name)
            places.append(name)
    written = []
    broken = set(rng.sample(range(reports + bad), bad)) if bad else set()
    for n in range(reports + bad):
        unit = places[n % count]
        if n in broken:
            written.append(_broken(out / f"u{n % count:05d}", n, rng))
            continue
        text, place, suffix = samples[n % len(samples)]
        shift = rng.choice((-3, -2, -1, 0, 1))
        new_place = unit + suffix
        body = text.replace(place, new_place)
        body = _YEAR.sub(lambda m, shift=shift: str(int(m.group(1)) + shift), body)
        body = _NUMBER.sub(lambda m: _scale(m, rng), body)
        if short:
            lines = body.splitlines()
            body = "\n".join(lines[: max(8, int(len(lines) * 0.45))])
        year = 2023 + shift
        path = out / f"u{n % count:05d}" / str(year) / f"{n:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        encoding = "gb18030" if n % 7 == 3 else "utf-8"
        path.write_bytes(body.encode(encoding))
        written.append(path)
    return written


def _broken(folder: Path, n: int, rng: random.Random) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    kind = n % 4
    if kind == 0:
        path = folder / f"{n:07d}_empty.txt"
        path.write_bytes(b"")
    elif kind == 1:
        path = folder / f"{n:07d}_binary.txt"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(3000)) + b"\x00" * 64)
    elif kind == 2:
        path = folder / f"{n:07d}_corrupt.docx"
        path.write_bytes(b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(500)))
    else:
        path = folder / f"{n:07d}_blank.txt"
        path.write_bytes(b"\n\n   \n")
    return path


def main() -> None:
    """Command line: write a corpus."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--bad", type=int, default=0)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = generate(args.out, args.reports, seed=args.seed, bad=args.bad, short=args.short)
    print(f"{len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
