"""The exchange cache: each distinct request's answer kept once per run, in memory and, for xdist, on disk.

On disk, one JSON file per request under a per-request file lock: the first worker to ask fetches while
the others wait on the lock, then read its answer, so `-n 2` makes no more requests than a serial run. The
directory also carries the hang mark: once one worker's request timed out twice, the others stop retrying
timeouts too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway_contracts.data.exchange import Exchange

HANG_MARK = "target-hangs"  # in the shared cache dir: one worker's hung request spares the others a retry


def cache_key(method: str, url: str, body: Any, authenticated: bool, read: int = 0) -> str:
    """`read`: the nth deliberate re-send of the same request (0: the request itself), so a contract that asks
    the same question twice gets a second answer, once per run, like any other request."""
    raw = json.dumps([method, url, body, authenticated] + ([read] if read else []), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class ExchangeCache:
    """Answers by request key: memory always, plus `cache_dir` shared with other processes when given."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.memory: dict[str, Exchange] = {}
        self._hung = False

    @contextlib.contextmanager
    def slot(self, key: str) -> Iterator[Exchange | None]:
        """Hold the per-request lock; yield the cached exchange if another worker already fetched it."""
        if self.cache_dir is None:
            yield None
            return
        lock_path = self.cache_dir / f"{key}.lock"
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield _read_entry(self.cache_dir / f"{key}.json")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def write(self, key: str, exchange: Exchange) -> None:
        """Written under the slot's lock; a rename, so a reader never sees half a file."""
        if self.cache_dir is None:
            return
        tmp = self.cache_dir / f"{key}.tmp{os.getpid()}"
        tmp.write_text(json.dumps(exchange.to_dict()), encoding="utf-8")
        tmp.replace(self.cache_dir / f"{key}.json")

    def exchanges(self) -> list[Exchange]:
        """Every exchange this run recorded (all workers, when the cache is on disk)."""
        if self.cache_dir is None:
            return list(self.memory.values())
        return read_cache_dir(self.cache_dir)

    # -- the hang mark: what the retry policy asks before retrying a timeout ----------------------------

    def target_hangs(self) -> bool:
        if not self._hung and self.cache_dir is not None:
            self._hung = (self.cache_dir / HANG_MARK).exists()
        return self._hung

    def mark_hung(self) -> None:
        self._hung = True
        if self.cache_dir is not None:
            (self.cache_dir / HANG_MARK).touch()


def read_cache_dir(cache_dir: Path) -> list[Exchange]:
    entries = (_read_entry(path) for path in sorted(cache_dir.glob("*.json")))
    return [e for e in entries if e is not None]


def _read_entry(path: Path) -> Exchange | None:
    try:
        return Exchange.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
