"""Render the sign-off report from a run's record, its JUnit and the run history.

    python -m gateway_contracts.report [--reports-dir reports] [--run NAME] [--junit FILE]

Writes <reports-dir>/signoff.html (self-contained) and <reports-dir>/signoff.md. Exit 0 when written
(whatever the verdict: the suite's own exit status is the gate), 2 when there is nothing to render.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway_contracts.report.formats import FORMATS
from gateway_contracts.report.runrecord import HISTORY_FILE, latest_record, read_history, record_path
from gateway_contracts.report.view import build_view, load_cases, make_redactor


def _junit_of(record: dict, reports_dir: Path, given: str | None) -> Path | None:
    if given:
        return Path(given)
    recorded = record.get("junit")
    if not recorded:
        return None
    path = Path(recorded)
    # A record written in another checkout (CI artifact) names its own path: look beside the record too.
    return path if path.exists() else reports_dir / path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway_contracts.report", description=__doc__.splitlines()[0])
    parser.add_argument("--reports-dir", default="reports", type=Path)
    parser.add_argument("--run", help="the run's name (run-NAME.json); default: the latest run record")
    parser.add_argument("--junit", help="JUnit file; default: the one the run record names")
    parser.add_argument("--out", default=None, type=Path, help="output folder (default: the reports dir)")
    args = parser.parse_args(argv)
    reports: Path = args.reports_dir
    path = record_path(reports, args.run) if args.run else latest_record(reports)
    if path is None or not path.exists():
        print(f"gateway-contracts report: no run record {'at ' + str(path) if path else 'in ' + str(reports)}: "
              "run the suite with --run-name (make nightly / make signoff do)", file=sys.stderr)
        return 2
    record = json.loads(path.read_text(encoding="utf-8"))
    redact = make_redactor()
    junit = _junit_of(record, reports, args.junit)
    cases = load_cases(junit, redact)
    history = read_history(reports / HISTORY_FILE)
    sources = [str(p) for p in (path, junit, reports / HISTORY_FILE) if p is not None and p.exists()]
    view = build_view(record, cases, history, sources)
    out: Path = args.out or reports
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:  # every format that renders a file from the view (signoff.html, signoff.md)
        if fmt.filename:
            path = out / fmt.filename
            path.write_text(redact(fmt.render(view)), encoding="utf-8")
            written.append(str(path))
    print(f"gateway-contracts report: {view.headline} ({view.summary})")
    for reason in view.reasons:  # why, in the console too: what broke, or what a release still needs checked
        print(f"gateway-contracts report:   - {redact(reason)}")
    print(f"gateway-contracts report: wrote {' and '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
