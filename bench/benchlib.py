"""Shared pieces of the benchmarks: the machine, a reference gateway in its own process, statistics.

The reference gateway runs as a separate process (`python -m gateway_testbed.reference`), so what it
spends (generating pages, its memory) is never counted as the suite's, and its request counter
(`GET /_reference/stats`, not itself counted) tells how many requests a run made.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from gateway_contracts.environment import SUITE_ENV

ROOT = Path(__file__).resolve().parents[1]
STATS_PATH = "/_reference/stats"


def machine() -> dict[str, Any]:
    """What the figures were measured on (CPU model from /proc/cpuinfo, cores usable, Python, load)."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_gib = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


@contextlib.contextmanager
def reference_gateway(*, scale: Mapping[str, int] | None = None, api_key: str | None = None,
                      command: Sequence[str] | None = None, start_timeout: float = 300) -> Iterator[str]:
    """Serve the reference gateway in a child process on a free port; yield its base URL. `command` replaces
    `python -m gateway_testbed.reference --port 0` (it must print the same "serving http://..." line)."""
    args = list(command or [sys.executable, "-m", "gateway_testbed.reference", "--port", "0"])
    for slug, size in (scale or {}).items():
        args += ["--scale", f"{slug}={size}"]
    env = python_env()
    if api_key:
        env["GATEWAY_API_KEY"] = api_key
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "reference gateway serving http://127.0.0.1:PORT (faults: none)"
        match = re.search(r"(http://\S+)", line)
        if not match:
            raise RuntimeError(f"reference gateway did not start: {line!r}")
        url = match.group(1)
        deadline = time.monotonic() + start_timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("reference gateway did not answer /health")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def requests_served(url: str) -> int:
    return int(httpx.get(f"{url}{STATS_PATH}", timeout=10).json()["requests_total"])


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least squares y = a + b x, with R^2: how well the cost follows the size."""
    fit = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (fit.intercept + fit.slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return {"intercept": fit.intercept, "slope": fit.slope, "r2": 1 - residual / total if total else 1.0}


def python_env() -> dict[str, str]:
    """The environment for child Python processes: the package importable from src/, suite variables unset."""
    # PYTHONDONTWRITEBYTECODE too, as the Makefile does: the suite is measured as `make` runs it.
    # Every suite variable (gateway_contracts.environment), and the Makefile's own knobs.
    drop = (*SUITE_ENV, "PYTEST_ADDOPTS", "FAULTS", "N", "PYTEST_ARGS", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def emit(result: dict[str, Any], path: Path | None) -> None:
    """Print a benchmark's figures as JSON, and keep them in `path` when given."""
    text = json.dumps(result, indent=2)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(text)
