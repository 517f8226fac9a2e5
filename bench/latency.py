"""Per-request latency of the reference gateway on a kept-alive connection, as the suite meets it.

    python bench/latency.py [--requests 200] [--json FILE]

`embedded`: the gateway the suite starts when no TARGET_URL is given (EmbeddedGateway, a thread of the test
process), asked from a separate client process as an xdist worker asks it. `standalone`: `python -m
gateway_testbed.reference` in its own process. Each is asked the same requests in turn on one kept-alive
httpx connection: /health, a 100-model catalog page and the registry. Before the listening socket was created
with IPPROTO_TCP, every kept-alive answer waited ~40 ms (Nagle's algorithm meeting the client's delayed ACK);
the target is under 2 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchlib import ROOT, emit, machine, python_env, reference_gateway

TARGET_MS = 2.0
REQUESTS = (("/health", {}), ("/v1/models", {"gateway": "groq", "limit": 100}), ("/v1/gateways", {}))


def client(url: str, count: int) -> dict[str, Any]:
    """`count` rounds of REQUESTS on one kept-alive connection; per-request milliseconds by path."""
    times: dict[str, list[float]] = {path: [] for path, _ in REQUESTS}
    with httpx.Client(base_url=url, timeout=30) as http:
        for path, params in REQUESTS:  # warm up: the first answers build the catalogs
            http.get(path, params=params).raise_for_status()
        for _ in range(count):
            for path, params in REQUESTS:
                started = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                times[path].append((time.perf_counter() - started) * 1000)
    every = [t for ts in times.values() for t in ts]
    return {
        "requests": len(every),
        "median_ms": round(statistics.median(every), 3),
        "p95_ms": round(statistics.quantiles(every, n=20)[-1], 3),
        "max_ms": round(max(every), 3),
        "by_path_median_ms": {path: round(statistics.median(ts), 3) for path, ts in times.items()},
    }


def measure_client(url: str, count: int) -> dict[str, Any]:
    """The client in its own process, as an xdist worker is."""
    out = subprocess.run([sys.executable, __file__, "client", url, str(count)], cwd=ROOT, env=python_env(),
                         capture_output=True, text=True, timeout=600, check=True).stdout
    return dict(json.loads(out))


def measure(count: int) -> dict[str, Any]:
    from gateway_testbed.reference import EmbeddedGateway

    with EmbeddedGateway() as embedded:
        embedded_figures = measure_client(embedded.url, count)
    with reference_gateway() as url:
        standalone_figures = measure_client(url, count)
    return {
        "bench": "latency",
        "target_ms": TARGET_MS,
        "embedded": embedded_figures,
        "standalone": standalone_figures,
        "verdict": embedded_figures["median_ms"] < TARGET_MS,
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["client"]:
        print(json.dumps(client(args[1], int(args[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="rounds of the three requests")
    parser.add_argument("--json", type=Path, help="write the figures here")
    options = parser.parse_args(args)
    emit(measure(options.requests), options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
