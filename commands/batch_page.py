"""The overview page of a batch: ``OUT/report.html``, one row per input linking to its page.

Made from what the batch left on disk (each input's ``summary.json`` and ``report.html``), so it
holds no input's data in memory; passed to :func:`~tda_pipe.pipelines.batch.run_batch` as
``pages``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tda_pipe.pipelines.batch import BatchReport

__all__ = ["batch_pages"]


def batch_pages(out: Path, report: BatchReport) -> dict[str, bytes]:
    """``{"report.html": ...}``: finished inputs (done or kept from before) with their summary
    statistics and a link to their own ``report.html`` where one was written, then the failed
    inputs with their error."""
    from tda_pipe.tda.report import batch_report_html

    rows = []
    for name in sorted({*report.done, *report.skipped}):
        folder = out / name
        try:
            summary = json.loads((folder / "summary.json").read_text())
        except (OSError, ValueError):
            summary = None  # a pipeline without the report stage
        page = folder / "report.html"
        rows.append(
            {"name": name, "href": f"{name}/report.html" if page.is_file() else None,
             "summary": summary}
        )  # fmt: skip
    for failure in report.failed:
        rows.append(
            {"name": Path(failure["input"]).name, "href": None, "summary": None,
             "error": f"{failure.get('stage') or 'load'}: {failure['error']}"}
        )  # fmt: skip
    return {"report.html": batch_report_html(rows, title=f"tda-pipe batch: {out.name}").encode()}
