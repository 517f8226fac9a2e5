"""Request counts of the run's other transports (the fuzzer's session, the OpenAI SDK), shared across
processes through the run's cache directory, so the summary counts every request the run sent. Light: read in
every run."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Not `.json`: the exchange cache in the same directory reads every `*.json` as an exchange.
COUNTS_SUFFIX = ".counts"
FUZZ, SDK = "fuzz", "sdk"  # the transports besides the suite's client


def write_counts(cache_dir: Path, *, distinct: int, sent: int, source: str = FUZZ) -> None:
    """This process's traffic through one transport (one file per process and source; the controller sums)."""
    path = cache_dir / f"{source}-requests-{os.getpid()}{COUNTS_SUFFIX}"
    path.write_text(json.dumps({"distinct": distinct, "sent": sent}), encoding="utf-8")


def read_counts(cache_dir: Path, source: str = FUZZ) -> tuple[int, int]:
    """(distinct, sent) of one transport over every process's counts file in the run's shared cache directory."""
    distinct = sent = 0
    for path in cache_dir.glob(f"{source}-requests-*{COUNTS_SUFFIX}"):
        try:
            counts = json.loads(path.read_text(encoding="utf-8"))
            distinct, sent = distinct + int(counts["distinct"]), sent + int(counts["sent"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return distinct, sent
