"""auditnlp: turn Chinese audit-office work reports into comparable data.

``import auditnlp`` is cheap: heavy modules (pandas, scikit-learn, jieba, spaCy, HanLP) load only when the
function that needs them is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditnlp.errors import AuditNLPError, InputError, LexiconError, OptionsError
from auditnlp.types import (
    Finding,
    Indicator,
    ListItem,
    Meta,
    Paragraph,
    Period,
    ProblemPair,
    Report,
    Section,
    Sentence,
    Slogan,
    Source,
)

__version__ = "0.1.0"

_LAZY = {
    "analyze": "auditnlp.pipeline",
    "analyze_text": "auditnlp.pipeline",
    "analyze_many": "auditnlp.pipeline",
    "analyze_document": "auditnlp.pipeline",
    "Options": "auditnlp.pipeline",
    "read_documents": "auditnlp.readers",
    "iter_documents": "auditnlp.readers",
    "load_lexicons": "auditnlp.lexicon",
    "Lexicons": "auditnlp.lexicon",
    "load_manifest": "auditnlp.corpus.manifest",
    "write_comparison": "auditnlp.writers.tables",
    "train_model": "auditnlp.training",
    "normalize": "auditnlp.normalize",
    "extract_slogans": "auditnlp.extract.slogans",
    "load_slogan_patterns": "auditnlp.extract.slogans",
    "extract_findings": "auditnlp.extract.findings",
    "load_finding_cues": "auditnlp.extract.findings",
    "pair_problems": "auditnlp.corpus.recurrence",
    "extract_indicators": "auditnlp.extract.indicators",
    "load_indicator_lexicon": "auditnlp.extract.indicators",
    "classify_report": "auditnlp.classify",
    "JiebaSegmenter": "auditnlp.tokenizer",
    "Segmenter": "auditnlp.tokenizer",
    "compare_reports": "auditnlp.corpus.compare",
    "Comparison": "auditnlp.corpus.compare",
    "compare_inputs": "auditnlp.corpus.batch",
}

__all__ = [
    "AuditNLPError",
    "Comparison",
    "Finding",
    "Indicator",
    "InputError",
    "JiebaSegmenter",
    "LexiconError",
    "Lexicons",
    "ListItem",
    "Meta",
    "Options",
    "OptionsError",
    "Paragraph",
    "Period",
    "ProblemPair",
    "Report",
    "Section",
    "Segmenter",
    "Sentence",
    "Slogan",
    "Source",
    "analyze",
    "analyze_document",
    "analyze_many",
    "analyze_text",
    "classify_report",
    "compare_inputs",
    "compare_reports",
    "extract_findings",
    "extract_indicators",
    "extract_slogans",
    "iter_documents",
    "load_finding_cues",
    "load_indicator_lexicon",
    "load_lexicons",
    "load_manifest",
    "load_slogan_patterns",
    "normalize",
    "pair_problems",
    "read_documents",
    "train_model",
    "write_comparison",
]

if TYPE_CHECKING:
    from auditnlp.classify import classify_report
    from auditnlp.corpus.batch import compare_inputs
    from auditnlp.corpus.compare import Comparison, compare_reports
    from auditnlp.corpus.manifest import load_manifest
    from auditnlp.corpus.recurrence import pair_problems
    from auditnlp.extract.findings import extract_findings, load_finding_cues
    from auditnlp.extract.indicators import extract_indicators, load_indicator_lexicon
    from auditnlp.extract.slogans import extract_slogans, load_slogan_patterns
    from auditnlp.lexicon import Lexicons, load_lexicons
    from auditnlp.normalize import normalize
    from auditnlp.pipeline import Options, analyze, analyze_document, analyze_many, analyze_text
    from auditnlp.readers import iter_documents, read_documents
    from auditnlp.tokenizer import JiebaSegmenter, Segmenter
    from auditnlp.training import train_model
    from auditnlp.writers.tables import write_comparison


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'auditnlp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
