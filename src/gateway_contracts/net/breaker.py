"""The run's breaker on its target: after a few consecutive failed requests, stop sending.

A failed request is one with no usable answer: a transport failure (reset, refused, timeout), a deadline, a
body over the cap, or (the suite's own requests, which are well-formed) a body that is not JSON. After
`THRESHOLD` in a row (whichever client sent them: the suite's, the fuzzer's, the SDK's; whichever xdist
worker) the breaker opens for the rest of the run: no client sends again, and the remaining tests fail at
once with the one line `opened` says. Any complete answer resets the count. The state is a small file in the
run's shared cache directory, under a file lock, so every worker sees one breaker.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway_contracts.net.deadline import run_deadline_reason

THRESHOLD = 3
STATE_FILE = "breaker.state"  # not *.json: the cache reads those as exchanges


class Breaker:
    def __init__(self, url: str, cache_dir: Path | None = None, threshold: int = THRESHOLD) -> None:
        self.url = url
        self.cache_dir = cache_dir
        self.threshold = threshold
        self._memory: dict[str, Any] = {"consecutive": 0, "opened": None}
        self._opened: str | None = None  # once open, open for the rest of the run: never read again

    @contextlib.contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """The shared state, locked while the block runs, written back after it."""
        if self.cache_dir is None:
            yield self._memory
            return
        path = self.cache_dir / STATE_FILE
        with open(self.cache_dir / f"{STATE_FILE}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else dict(self._memory)
                yield state
                path.write_text(json.dumps(state), encoding="utf-8")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def opened(self) -> str | None:
        """Why the breaker is open (the URL and what happened), or None while it is closed."""
        if self._opened is None and self.cache_dir is not None:
            path = self.cache_dir / STATE_FILE
            if path.exists():
                with contextlib.suppress(ValueError, OSError):
                    self._opened = json.loads(path.read_text(encoding="utf-8")).get("opened")
        elif self._opened is None:
            self._opened = self._memory["opened"]
        return self._opened

    def refusal(self) -> str | None:
        """Why no request may start now: the run deadline passed, or the breaker is open."""
        return run_deadline_reason() or self.opened()

    def record(self, failure: str | None) -> None:
        """One request's outcome: None for a complete answer (whatever its status), else what went wrong."""
        if failure is None and self._opened is None and self.cache_dir is not None:
            # The common case (a healthy target): reset only when there is a count to reset.
            path = self.cache_dir / STATE_FILE
            if not path.exists():
                return
        with self._state() as state:
            if state.get("opened"):
                self._opened = state["opened"]
                return
            if failure is None:
                state["consecutive"] = 0
                return
            state["consecutive"] = int(state.get("consecutive", 0)) + 1
            if state["consecutive"] >= self.threshold:
                state["opened"] = (f"stopped sending to {self.url} after {state['consecutive']} failed requests in a "
                                   f"row; the last: {failure}")
                self._opened = state["opened"]
