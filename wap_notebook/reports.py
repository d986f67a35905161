"""The facade's doors to what is shown outside the kernel: `Ingestion.to_html(path)` and the resume line, a
mixin so the facade class keeps one job.

The renderer (pandas, vl-convert, the panel's HTML views) lives in `wap_notebook.notebook.report` and is
loaded on call: the one import from the facade up into the notebook layer, named in the layers contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast


class HtmlReport:
    def to_html(self, path: str | Path, *, sample_rows: int = 10) -> Path:
        """Write one self-contained, offline HTML report of this ingestion to `path` (summary, checks, charts
        as inline SVG, failing rows, sample, profile and history, schema, diff, sources and log). Returns the
        path. A section that cannot be read says so in the report instead of failing it.

        Raises:
            OSError: `path` cannot be written (a missing folder, no permission, a full disk).
        """
        from wap_notebook.notebook.report import write_report

        return write_report(cast(Any, self), path, sample_rows=sample_rows)

    @property
    def resume_code(self) -> str:
        """The line that picks this ingestion's branch up in a new kernel, naming its lakehouse unless it is
        the one `LocalClient()` opens with nothing set (shown by the panel, its saved view and the report)."""
        from wap_notebook.backend import resume_code

        ingestion = cast(Any, self)
        return resume_code(ingestion.branch, ingestion._ctx.client)
