"""Document segmentation: sections, paragraphs, sentences and list items."""
