"""Renderers: report objects to text, JSON, Markdown, CSV and Keras's summary layout."""
