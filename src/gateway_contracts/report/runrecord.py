"""The run record format: `reports/run-<name>.json` and the run history `reports/history.jsonl`.

A run record holds the facts the sign-off report needs beyond JUnit: the gateway table (rows, unique,
duplicates, floor, baseline delta), target and suite identity, known findings, and each report section's
facts under its name (alias pairs, required models, ...: `report/sections/`). The history keeps one short
line per run (counts per gateway, and each section's trend point under its name) so the report can draw a
trend. Neither holds a key.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.baseline import GatewaySnapshot, Snapshot, changes, vanished_ids
from gateway_contracts.contract import Contract
from gateway_contracts.report.interface import ReportFormat
from gateway_contracts.report.sections import SECTIONS

RECORD_FORMAT = 1
HISTORY_FILE = "history.jsonl"


def record_path(reports_dir: Path, run: str) -> Path:
    return reports_dir / f"run-{run}.json"


def suite_version() -> str:
    try:
        from importlib.metadata import version

        return version("gateway-contracts")
    except Exception:  # not installed (PYTHONPATH=src): the package's own constant
        from gateway_contracts import __version__

        return __version__


def git_sha(root: Path) -> str | None:
    """CI's commit when it says so, else the work tree's HEAD; None outside git."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"][:12]
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def narrowing(keyword: str | None, args: Sequence[str]) -> list[str]:
    """How a run was narrowed below its session: a -k expression, test files or node ids named. A narrowed
    run is not a release sign-off, whatever it found."""
    return ([f"-k {keyword}"] if keyword else []) + [a for a in args if "::" in a or a.split("::")[0].endswith(".py")]


def gateway_row(current: GatewaySnapshot, *, floor: int | None, ceiling: int | None, total: int | None,
                baseline: Snapshot | None, now: datetime | None = None) -> dict[str, Any]:
    """One line of the gateway table: the hand-built one (Total, Unique, Duplicates) plus floor and delta."""
    row: dict[str, Any] = {
        "gateway": current.slug, "status": current.status, "complete": current.complete,
        "total": current.rows, "envelope_total": total, "unique": current.unique,
        "duplicates": current.duplicates, "floor": floor, "ceiling": ceiling,
        "latency_median_s": current.latency.median_s, "latency_max_s": current.latency.max_s,
        "baseline": None,
    }
    base = baseline.gateways.get(current.slug) if baseline else None
    if baseline is not None and base is not None:
        vanished = vanished_ids(base, current)
        row["baseline"] = {
            "unique": base.unique, "rows": base.rows, "delta": current.unique - base.unique,
            "delta_pct": round((current.unique - base.unique) / base.unique * 100, 2) if base.unique else None,
            "vanished": len(vanished), "vanished_sample": vanished[:5],
            "new": len(set(current.ids) - set(base.ids)),
            "latency_median_s": base.latency.median_s,
            "notes": changes(baseline, current, now=now),
        }
    return row


def build_record(
    *,
    run: str,
    started_at: str,
    snapshot: Snapshot,
    contract: Contract,
    exit_status: int,
    target_description: str,
    embedded: bool,
    faults: list[str],
    envelope_totals: Mapping[str, int | None],
    baseline: Snapshot | None,
    baseline_path: str | None,
    junit: str | None,
    root: Path,
    spec_hash: str | None,
    gateways_selected: str | None,
    broken: Sequence[str] = (),
    narrowed: Sequence[str] = (),
    known: Sequence[Mapping[str, Any]] = (),
    strict_known: bool = False,
    sections: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    floors = {g.slug: (g.min_models, g.max_models) for g in contract.gateways}
    if contract.aggregate:
        floors[contract.aggregate.slug] = (contract.aggregate.min_models, contract.aggregate.max_models)
    rows = [
        gateway_row(g, floor=floors.get(slug, (None, None))[0], ceiling=floors.get(slug, (None, None))[1],
                    total=envelope_totals.get(slug), baseline=baseline,
                    now=datetime.fromisoformat(snapshot.taken_at.replace("Z", "+00:00")))
        for slug, g in snapshot.gateways.items()
    ]
    return {
        "format": RECORD_FORMAT,
        "run": run,
        "started_at": started_at,
        "finished_at": snapshot.taken_at,
        "exit_status": exit_status,
        "target": {"name": snapshot.target, "description": target_description, "version": snapshot.target_version,
                   "embedded": embedded, "faults": faults},
        "suite_version": snapshot.suite_version,
        "git_sha": git_sha(root),
        "spec_hash": spec_hash,
        "contract": snapshot.contract,
        "gateways_selected": gateways_selected,
        "narrowed": list(narrowed),  # -k, test files, node ids (runrecord.narrowing)
        "aggregate": snapshot.aggregate,
        "junit": junit,
        "broken": list(broken),  # gateways with a failed contract ("api" for the API surface)
        "baseline": None if baseline is None else {
            "path": baseline_path, "taken_at": baseline.taken_at, "target": baseline.target,
            "target_version": baseline.target_version,
        },
        "gateways": rows,
        # Each report section's facts under its name (report/sections/: "aliases", "required", ...).
        **{name: facts for name, facts in (sections or {}).items() if facts is not None},
        # The contract's known_findings and what this run made of each (known.EntryOutcome.as_record): seen,
        # no longer seen, not checked, expired; `strict_known`: whether no longer seen failed the run.
        "known_findings": [dict(k) for k in known],
        "strict_known": strict_known,
    }


def history_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    """The short line the trend chart reads: when, against what, and the distinct count per gateway."""
    return {
        "run": record["run"], "finished_at": record["finished_at"], "exit_status": record["exit_status"],
        "target": record["target"]["name"], "target_version": record["target"]["version"],
        "faults": record["target"]["faults"], "broken": record.get("broken", []),
        "counts": {g["gateway"]: g["unique"] for g in record["gateways"] if g["status"] == 200},
        # Each section's short trend value (Section.trend_point), read back by ReportInput.history_of.
        **{s.name: point for s in SECTIONS
           if record.get(s.name) is not None and (point := s.trend_point(record[s.name])) is not None},
    }


def write_record(record: Mapping[str, Any], reports_dir: Path) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = record_path(reports_dir, record["run"])
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    with (reports_dir / HISTORY_FILE).open("a", encoding="utf-8") as history:
        history.write(json.dumps(history_entry(record), separators=(",", ":")) + "\n")
    return path


def read_history(path: Path) -> list[dict[str, Any]]:
    """Every readable line; a torn or hand-edited line is skipped, not fatal (the history is a convenience)."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("counts"), dict):
            entries.append(entry)
    return entries


def latest_record(reports_dir: Path) -> Path | None:
    records = sorted(reports_dir.glob("run-*.json"), key=lambda p: p.stat().st_mtime)
    return records[-1] if records else None


class RunRecord(ReportFormat):
    name = "run record"

    def enabled(self, config: pytest.Config) -> bool:
        return bool(config.getoption("run_name", None))

    def finish(self, record: Mapping[str, Any], config: pytest.Config) -> str | None:
        path = write_record(record, Path(config.option.reports_dir))
        return f"gateway-contracts: run record {path}; history {path.parent / HISTORY_FILE}"


FORMAT = RunRecord()
