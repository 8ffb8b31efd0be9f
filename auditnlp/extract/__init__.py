"""Extractors: metadata, indicators, slogans, problems and measures."""
