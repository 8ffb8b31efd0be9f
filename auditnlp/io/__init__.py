"""Readers (files → decoded documents) and writers (reports → JSON, tables, workbooks)."""

from auditnlp.io.readers import RawDocument, iter_documents, read_documents

__all__ = ["RawDocument", "iter_documents", "read_documents"]
