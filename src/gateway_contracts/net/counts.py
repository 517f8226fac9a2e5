"""Request counts of the run's other transport (the fuzzer's session), shared across processes through the
run's cache directory, so the summary counts every request the run sent. Light: read in every run."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Not `.json`: the exchange cache in the same directory reads every `*.json` as an exchange.
COUNTS_PREFIX = "fuzz-requests-"
COUNTS_SUFFIX = ".counts"


def write_counts(cache_dir: Path, *, distinct: int, sent: int) -> None:
    """This process's fuzz traffic (one file per process; the controller sums them)."""
    path = cache_dir / f"{COUNTS_PREFIX}{os.getpid()}{COUNTS_SUFFIX}"
    path.write_text(json.dumps({"distinct": distinct, "sent": sent}), encoding="utf-8")


def read_counts(cache_dir: Path) -> tuple[int, int]:
    """(distinct, sent) over every process's counts file in the run's shared cache directory."""
    distinct = sent = 0
    for path in cache_dir.glob(f"{COUNTS_PREFIX}*{COUNTS_SUFFIX}"):
        try:
            counts = json.loads(path.read_text(encoding="utf-8"))
            distinct, sent = distinct + int(counts["distinct"]), sent + int(counts["sent"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return distinct, sent
