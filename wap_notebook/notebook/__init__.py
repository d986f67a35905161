"""The notebook skin over the `Ingestion` API: the magic, the display hook, the panel, text summaries, charts."""
