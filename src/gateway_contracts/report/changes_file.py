"""The changes file, a report format: what this deploy changes, for machines (`reports/changes.json`).

Written at the end of every run with a COMPARE_URL, whatever else it asked for: the document the section
"What changes with this deploy" collected (report/sections/deploy_changes.py, the run record's `changes`):
production's URL, the tolerances, per catalog production's and the candidate's sizes, every change (kind, code,
whether it fails, count, ids, the factor of a price) and production's noise; then the registry's. No key: the
record's sections are redacted before any format sees them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.report.interface import ReportFormat
from gateway_contracts.report.sections.deploy_changes import NAME

CHANGES_FILE = "changes.json"


class ChangesFile(ReportFormat):
    name = "changes file"

    def enabled(self, config: pytest.Config) -> bool:
        return bool(config.getoption("compare_url", None))

    def finish(self, record: Mapping[str, Any], config: pytest.Config) -> str | None:
        document = record.get(NAME)
        if not document:
            return None  # no comparison ran (the run was narrowed past the comparison's tests)
        path = write(document, Path(config.option.reports_dir))
        return summary_line(document, path)


def summary_line(document: Mapping[str, Any], path: Path) -> str:
    noisy = [c["name"] for c in document["catalogs"] if _noisy(c["noise"])]
    noise = f"; production's own noise in {', '.join(noisy)} (not charged)" if noisy else ""
    return (f"gateway-contracts: compared with production {document['production']}: {document['failing']} failing "
            f"change(s), {document['reported']} reported{noise}; {path}")


def _noisy(noise: Mapping[str, Any]) -> bool:
    return bool(noise["flapping_count"] or noise["volatile_fields"] or noise["unstable_count"] or noise["reordered"]
                or noise["rows"][0] != noise["rows"][1])


def write(document: Mapping[str, Any], reports_dir: Path) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / CHANGES_FILE
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


FORMAT = ChangesFile()
