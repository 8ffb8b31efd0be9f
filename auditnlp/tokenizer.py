"""Word segmentation: a small :class:`Segmenter` protocol and its jieba implementation.

:class:`JiebaSegmenter` owns a private ``jieba.Tokenizer()`` loaded lazily with the packaged audit/government
user dictionary (``lexicons/userdict.txt``); the global ``jieba`` tokenizer (which spaCy's ``zh`` tokenizer
shares) is never touched. Importing this module does not import jieba.

HanLP models plug in through :class:`auditnlp.integrations.hanlp.HanLPSegmenter`, which follows the same
protocol.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from auditnlp.errors import LexiconError
from auditnlp.lexicon import load_lexicons

USERDICT = "userdict.txt"

# word, then optional frequency, then optional part-of-speech tag (jieba's user dictionary format)
_ENTRY = re.compile(r"^(?P<word>\S+)(?:\s+(?P<freq>\d+))?(?:\s+(?P<tag>[A-Za-z]+))?$")
_LOAD_LOCK = threading.Lock()


@runtime_checkable
class Segmenter(Protocol):
    """Anything that splits text into words, with character spans into the text."""

    def cut(self, text: str) -> list[str]:
        """Return the words of `text` in order."""
        ...

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return (start, end) character offsets of the words of `text`, end exclusive."""
        ...


def read_userdict(
    path: str | Path | None = None, *, lexicon_dir: str | Path | None = None
) -> tuple[tuple[str, int | None, str | None], ...]:
    """Parse a jieba user dictionary (the packaged one unless `path` is given) into (word, freq, tag).

    ``#`` lines and blank lines are comments. Raises :class:`LexiconError` naming file and line.
    """
    if path is not None:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise LexiconError(where, f"cannot read user dictionary: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise LexiconError(where, "user dictionary must be UTF-8") from None
    else:
        text, where = load_lexicons(lexicon_dir).read(USERDICT)
    entries = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match is None:
            raise LexiconError(where, f"line {lineno}: expected 'word [frequency] [tag]', got {line!r}")
        freq = match["freq"]
        if freq is not None and int(freq) == 0:
            # jieba turns frequency 0 into a *global* forced split (finalseg.add_force_split): refuse it
            raise LexiconError(where, f"line {lineno}: frequency 0 is not supported")
        entries.append((match["word"], int(freq) if freq is not None else None, match["tag"]))
    return tuple(entries)


@contextlib.contextmanager
def _quiet_jieba() -> Iterator[None]:
    """Silence jieba's DEBUG chatter while the private tokenizer loads; restore the level afterwards.

    jieba's logger is left as it was: same handlers, same level once the block ends.
    """
    logger = logging.getLogger("jieba")
    with _LOAD_LOCK:
        level = logger.level
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
        try:
            yield
        finally:
            logger.setLevel(level)


@functools.lru_cache(maxsize=1)
def _main_dictionary() -> Any:
    """A pristine private ``jieba.Tokenizer`` with jieba's main dictionary, loaded once per process.

    Never used to cut text and never modified: each :class:`JiebaSegmenter` copies its prefix dictionary
    (tens of milliseconds) instead of reloading it (about two seconds).
    """
    import jieba

    tokenizer = jieba.Tokenizer()
    # jieba would read (marshal.load) and write its cache in the shared temporary folder, where another
    # local user could plant one that changes segmentation: the cache lives in a private folder instead
    tokenizer.tmp_dir = str(private_cache_dir())
    with _quiet_jieba():
        tokenizer.initialize()
    return tokenizer


def private_cache_dir() -> Path:
    """A cache folder only this user can write: ``$XDG_CACHE_HOME/auditnlp`` (``~/.cache/auditnlp``), or a
    new private temporary folder when that cannot be made private (checked: owned by us, mode 0700)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "auditnlp" / "jieba"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            if stat.S_IMODE(info.st_mode) & 0o077:
                folder.chmod(0o700)
            return folder
    except (OSError, AttributeError):  # no home, a read-only home, no getuid (Windows)
        pass
    return _fallback_cache()


@functools.lru_cache(maxsize=1)
def _fallback_cache() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="auditnlp-jieba-"))  # 0700, unique: private by construction


class JiebaSegmenter:
    """jieba segmentation with a private tokenizer and the audit user dictionary.

    The tokenizer (and jieba's main dictionary) loads on first use. `userdict` adds a user file after the
    packaged dictionary (which `use_packaged_dict=False` leaves out); `lexicon_dir` overrides the packaged
    ``userdict.txt`` with a same-named file. `hmm` enables jieba's HMM for unknown words.
    """

    def __init__(
        self,
        userdict: str | Path | None = None,
        *,
        lexicon_dir: str | Path | None = None,
        use_packaged_dict: bool = True,
        hmm: bool = True,
    ) -> None:
        self.userdict = userdict
        self.lexicon_dir = lexicon_dir
        self.use_packaged_dict = use_packaged_dict
        self.hmm = hmm
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"JiebaSegmenter(userdict={self.userdict!r}, lexicon_dir={self.lexicon_dir!r}, "
            f"use_packaged_dict={self.use_packaged_dict}, hmm={self.hmm})"
        )

    @property
    def tokenizer(self) -> Any:
        """The private ``jieba.Tokenizer`` (loaded on first access)."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._load()
        return self._tokenizer

    def _load(self) -> Any:
        import jieba

        entries: list[tuple[str, int | None, str | None]] = []
        if self.use_packaged_dict:
            entries.extend(read_userdict(lexicon_dir=self.lexicon_dir))
        if self.userdict is not None:
            entries.extend(read_userdict(self.userdict))
        base = _main_dictionary()
        tokenizer = jieba.Tokenizer()
        # a copy of jieba's main dictionary (what Tokenizer.initialize would load from jieba's cache file)
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
        for word, freq, tag in entries:
            tokenizer.add_word(word, freq, tag)
        return tokenizer

    def cut(self, text: str) -> list[str]:
        """Return the words of `text`; they concatenate back to `text` (whitespace runs are tokens)."""
        return list(self.tokenizer.cut(text, HMM=self.hmm))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return (start, end) offsets of the words of `text`; the spans tile the text."""
        return [(start, end) for _, start, end in self.tokenizer.tokenize(text, HMM=self.hmm)]

    def words(self, text: str, *, skip_space: bool = True) -> list[tuple[str, int, int]]:
        """Return (word, start, end) triples, without whitespace tokens unless `skip_space` is false."""
        return [
            (word, start, end)
            for word, start, end in self.tokenizer.tokenize(text, HMM=self.hmm)
            if not (skip_space and word.isspace())
        ]

    def __getstate__(self) -> dict[str, Any]:
        # the tokenizer is rebuilt lazily after unpickling (e.g. in worker processes)
        return {
            "userdict": self.userdict,
            "lexicon_dir": self.lexicon_dir,
            "use_packaged_dict": self.use_packaged_dict,
            "hmm": self.hmm,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["userdict"],
            lexicon_dir=state["lexicon_dir"],
            use_packaged_dict=state["use_packaged_dict"],
            hmm=state["hmm"],
        )


@functools.lru_cache(maxsize=8)
def default_segmenter(lexicon_dir: str | None = None) -> JiebaSegmenter:
    """A shared :class:`JiebaSegmenter` with the packaged (or `lexicon_dir`) user dictionary."""
    return JiebaSegmenter(lexicon_dir=lexicon_dir)


def words(text: str, *, segmenter: Segmenter | None = None) -> list[str]:
    """Return the non-space words of `text` (with the default jieba segmenter unless one is given)."""
    seg = segmenter if segmenter is not None else default_segmenter()
    return [text[s:e] for s, e in seg.spans(text) if not text[s:e].isspace()]
