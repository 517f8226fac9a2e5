"""How the contract checks scale with the catalog: 10,000, 100,000 and 1,000,000 models in one gateway.

    python bench/scale.py [--sizes 10000,100000,1000000] [--runs 3] [--json FILE]

For each size the reference gateway serves featherless with N models (its own process). A first process
walks it through the suite's client and records every exchange the gateway contracts need in an exchange
cache, as a gate run does (network: not measured). Then, per run, a fresh process loads that cache (as
an xdist worker does) and runs the contract tests of tests/contract/test_gateways.py for that gateway: the
page parsing and every invariant, exactly the gate's code. Measured there: the checks' wall and CPU time
and the process's peak RSS (everything it holds: the pages, the parsed rows, the checks' working sets).
The contract for size N is the gateway's own: floor N, ceiling 2N, enough pages for the pager.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, emit, linear_fit, machine, median, python_env, reference_gateway

GATEWAY = "featherless"
SIZES = (10_000, 100_000, 1_000_000)
MEMORY_TARGET_MIB = 1024
TIME_TARGET_S = 30.0  # for 100,000 models, on 2 cores
TIME_TARGET_SIZE = 100_000


def write_contract(path: Path, size: int) -> Path:
    path.write_text(
        "version: 1\n"
        "defaults:\n  latency_budget_s: 60\n"
        f"gateways:\n  {GATEWAY}:\n    min_models: {size}\n    max_models: {2 * size}\n"
        f"pagination:\n  max_limit: 1000\n  max_pages: {size // 1000 + 10}\n"
    )
    return path


def contract_tests() -> list[tuple[str, Any]]:
    """The per-gateway contract tests, as plain functions (tests/contract/test_gateways.py)."""
    sys.path.insert(0, str(ROOT))
    from tests.contract import test_gateways

    return [(name, fn) for name, fn in inspect.getmembers(test_gateways, inspect.isfunction)
            if name.startswith("test_") and fn.__module__ == test_gateways.__name__]


def run_tests(store: Any, contract: Any) -> dict[str, str]:
    """Each contract test for each gateway (required models and aliases expanded): name -> outcome."""
    import pytest

    from gateway_contracts import dialects

    outcomes = {}
    for name, fn in contract_tests():
        needs = [arg for mark in getattr(fn, "pytestmark", []) if mark.name == "needs" for arg in mark.args]
        if dialects.lacks(contract, needs):  # deselected in a suite run too (session/dialect.py)
            continue
        params = inspect.signature(fn).parameters
        for gateway in contract.gateways:
            variants: list[dict[str, Any]] = [{}]
            if "required_model" in params:
                variants = [{"required_model": m} for m in gateway.required_models]
            if "alias" in params:
                variants = [{"alias": a} for a in gateway.aliases]
            for extra in variants:
                test_id = f"{name}[{'-'.join([gateway.slug, *extra.values()])}]"
                try:
                    fn(catalogs=store, gateway=gateway, **extra)
                    outcomes[test_id] = "passed"
                except pytest.fail.Exception as failed:
                    outcomes[test_id] = f"failed: {str(failed)[:300]}"
    return outcomes


def fetch(url: str, contract_path: Path, cache_dir: Path) -> None:
    """Walk through the real client into an exchange cache (what a gate run records)."""
    from gateway_contracts.contract import load_contract
    from gateway_contracts.net.client import ClientSettings, GatewayClient
    from gateway_contracts.store import CatalogStore

    contract = load_contract(contract_path)
    client = GatewayClient(url, settings=ClientSettings(timeout_s=120), cache_dir=cache_dir)
    outcomes = run_tests(CatalogStore(client, contract), contract)
    failed = {k: v for k, v in outcomes.items() if v != "passed"}
    if failed:
        raise SystemExit(f"the scaled catalog does not pass its contract: {failed}")


def check(url: str, contract_path: Path, cache_dir: Path) -> dict[str, Any]:
    """Load the recorded exchanges, then time the contract tests over them (no network)."""
    from gateway_contracts.contract import load_contract
    from gateway_contracts.report.evidence import offline_store

    contract = load_contract(contract_path)
    contract_tests()  # import the tests before measuring
    gc.collect()
    rss_start = _peak_rss_mib()
    started = time.monotonic()
    store = offline_store(url, cache_dir, contract)  # reads the exchange cache, as an xdist worker does
    load_s = time.monotonic() - started
    rss_loaded = _peak_rss_mib()
    wall, cpu = time.monotonic(), time.process_time()
    outcomes = run_tests(store, contract)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    models = len(store.walk(GATEWAY).ids)
    return {
        "models": models, "tests": len(outcomes), "failed": sorted(k for k, v in outcomes.items() if v != "passed"),
        "load_s": round(load_s, 3), "checks_wall_s": round(wall, 3), "checks_cpu_s": round(cpu, 3),
        "rss_start_mib": rss_start, "rss_loaded_mib": rss_loaded, "peak_rss_mib": _peak_rss_mib(),
    }


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _child(command: str, url: str, contract: Path, cache: Path) -> str:
    result = subprocess.run([sys.executable, __file__, command, url, str(contract), str(cache)], cwd=ROOT,
                            env=python_env(), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed: {result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def measure(sizes: list[int], runs: int) -> dict[str, Any]:
    rows = []
    for size in sizes:
        scratch = Path(tempfile.mkdtemp(prefix=f"gwc-scale-{size}-"))
        try:
            contract, cache = write_contract(scratch / "contract.yaml", size), scratch / "cache"
            cache.mkdir()
            with reference_gateway(scale={GATEWAY: size}) as url:
                started = time.monotonic()
                _child("fetch", url, contract, cache)
                fetch_s = time.monotonic() - started
                results = [json.loads(_child("check", url, contract, cache)) for _ in range(runs)]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        assert all(r["models"] == size and not r["failed"] for r in results), results
        row = {"models": size, "runs": results, "fetch_s": round(fetch_s, 1)}
        for key in ("checks_wall_s", "checks_cpu_s", "load_s", "peak_rss_mib", "rss_start_mib", "rss_loaded_mib"):
            row[key] = median([r[key] for r in results])
        row["tests"] = results[0]["tests"]
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "runs"}), file=sys.stderr, flush=True)
    xs = [r["models"] for r in rows]
    at_target = next((r for r in rows if r["models"] == TIME_TARGET_SIZE), None)
    result: dict[str, Any] = {
        "bench": "scale", "gateway": GATEWAY, "sizes": rows,
        "targets": {"peak_rss_mib": MEMORY_TARGET_MIB, "checks_wall_s_at_100k": TIME_TARGET_S},
        "verdicts": {
            "memory": all(r["peak_rss_mib"] <= MEMORY_TARGET_MIB for r in rows),
            "time_at_100k": at_target["checks_wall_s"] <= TIME_TARGET_S if at_target else None,
        },
        "machine": machine(),
    }
    if len(rows) >= 2:
        result["fit"] = {key: linear_fit(xs, [r[key] for r in rows])
                         for key in ("checks_wall_s", "checks_cpu_s", "peak_rss_mib")}
        result["per_model"] = {
            "checks_us": [round(r["checks_wall_s"] / r["models"] * 1e6, 2) for r in rows],
            "rss_kib_above_start": [round((r["peak_rss_mib"] - r["rss_start_mib"]) * 1024 / r["models"], 3)
                                    for r in rows],
        }
    return result


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args and args[0] in ("fetch", "check"):  # the child processes
        url, contract, cache = args[1], Path(args[2]), Path(args[3])
        if args[0] == "fetch":
            fetch(url, contract, cache)
        else:
            print(json.dumps(check(url, contract, cache)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(args)
    result = measure([int(s) for s in options.sizes.split(",")], options.runs)
    emit(result, options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
