"""The ipywidgets panel of an ingestion: the widget (`widget`), its HTML views, tables, details and progress."""

from wap_notebook.notebook.panel.widget import IngestionPanel

__all__ = ["IngestionPanel"]
