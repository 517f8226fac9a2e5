"""What the differential gate costs: `make gate COMPARE_URL=<production>` against `make gate` alone, same server.

    python bench/compare_cost.py [--runs 3] [--workers 2] [--json FILE]

Each run starts two fresh reference gateways in their own processes, the candidate and production (healthy,
identical), and times, in an order that alternates between runs:

  gate          `make gate TARGET_URL=<candidate>`: the contracts and the gate fuzz profile.
  differential  the same command with COMPARE_URL=<production>: production read twice, then the same gate
                plus the comparison's tests (one per gateway, the aggregate, the registry).

Requests: production's (its own request counter, /_reference/stats) against the contract's catalog reads, the
GETs of the model lists and the registry in the plan of the gate (`dialects.planned_requests`): target at most
2x. Wall time: the differential run against the gate alone: target at most 1.5x. Reports go to a scratch
folder, never to reports/.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchlib import ROOT, emit, machine, median, python_env, reference_gateway, requests_served
from gate_cost import LAST_CPU_S, gate_command, timed
from gateway_contracts.contract import Contract, load_contract
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import catalog_names, models_page

REQUEST_TARGET = 2.0  # production's requests at most 2x the contract's catalog reads
WALL_TARGET = 1.5  # the differential run at most 1.5x the gate alone
MODEL_LISTS = ("/v1/models", "/models")


def catalog_reads(url: str, contract: Contract) -> int:
    """The contract's catalog reads: every GET of a model list or of the registry in the gate's plan."""
    totals = {}
    for name in catalog_names(contract):
        page = models_page(name, 0, 1)
        totals[name] = httpx.get(url + page.path, params=page.query, timeout=30).json().get("total")
    plan = planned_requests(contract, totals, keyed=True)
    return sum(1 for r in plan if r.method == "GET" and (r.path in MODEL_LISTS or r.path == contract.registry.path))


def one_run(run: int, *, contract_path: Path, workers: int) -> dict[str, Any]:
    key = f"gwc-bench-{secrets.token_hex(8)}"
    env = {**python_env(), "GATEWAY_API_KEY": key}
    contract = load_contract(contract_path)
    figures: dict[str, Any] = {"run": run + 1}
    with reference_gateway(api_key=key) as candidate, reference_gateway() as production:
        figures["contract catalog reads"] = catalog_reads(candidate, contract)
        order = ("gate", "differential") if run % 2 == 0 else ("differential", "gate")
        for name in order:
            scratch = Path(tempfile.mkdtemp(prefix="gwc-bench-compare-"))
            (scratch / "stamp").touch()  # make gate runs with this interpreter: no virtualenv build inside
            command = gate_command(candidate, scratch, contracts_only=False, workers=workers)
            run_env = {**env, **({"COMPARE_URL": production} if name == "differential" else {})}
            before_candidate, before_production = requests_served(candidate), requests_served(production)
            seconds, result = timed(command, run_env)
            figures[f"{name} s"] = round(seconds, 2)
            figures[f"{name} cpu s"] = round(LAST_CPU_S[0], 2)  # every process it waited for: less load-bound
            figures[f"{name} exit"] = result.returncode
            figures[f"{name} candidate requests"] = requests_served(candidate) - before_candidate
            figures[f"{name} production requests"] = requests_served(production) - before_production
            if result.returncode != 0:
                print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    figures["production / catalog reads"] = round(
        figures["differential production requests"] / figures["contract catalog reads"], 3)
    figures["differential / gate wall"] = round(figures["differential s"] / figures["gate s"], 3)
    figures["differential / gate cpu"] = round(figures["differential cpu s"] / figures["gate cpu s"], 3)
    return figures


def measure(runs: int, *, contract_path: Path, workers: int) -> dict[str, Any]:
    rows = []
    for run in range(runs):
        rows.append(one_run(run, contract_path=contract_path, workers=workers))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    med = {key: median([r[key] for r in rows]) for key in rows[0] if key != "run"}
    return {
        "bench": "compare_cost",
        "workers": workers,
        "runs": rows,
        "median": med,
        "targets": {"request_ratio": REQUEST_TARGET, "wall_ratio": WALL_TARGET},
        "verdicts": {
            "production / catalog reads": med["production / catalog reads"] <= REQUEST_TARGET,
            "differential / gate wall": med["differential / gate wall"] <= WALL_TARGET,
        },
        "machine": machine(),
    }


def render(cost: dict[str, Any]) -> list[str]:
    """The section bench/RESULTS.md gets (bench/run_all.py)."""
    m = cost["median"]
    lines = [
        "",
        f"## The differential gate: `make gate COMPARE_URL=<production>` against `make gate` (medians of "
        f"{len(cost['runs'])} runs, {cost['workers']} xdist workers)",
        "",
        "`bench/compare_cost.py`: two fresh reference gateways (own processes), the candidate and production; the gate",
        "alone and the gate with `COMPARE_URL`, in alternating order. Production is read twice (Diffy's second read:",
        "what differs between production's own reads is noise), GET of each contracted catalog and the registry.",
        "",
        "| | measured | target | verdict |",
        "|---|---|---|---|",
        f"| production's requests | {m['differential production requests']:g} against the contract's "
        f"{m['contract catalog reads']:g} catalog reads: {m['production / catalog reads']:.2f}x | "
        f"<= {cost['targets']['request_ratio']:g}x | {_verdict(cost['verdicts']['production / catalog reads'])} |",
        f"| wall time | median of the runs' ratios {m['differential / gate wall']:.2f}x (median times "
        f"{m['differential s']:.1f} s and {m['gate s']:.1f} s, each run's in the table below) | "
        f"<= {cost['targets']['wall_ratio']:g}x | "
        f"{_verdict(cost['verdicts']['differential / gate wall'])} |",
        *([f"| CPU time (every process) | median of the runs' ratios {m['differential / gate cpu']:.2f}x "
           f"({m['differential cpu s']:.1f} s and {m['gate cpu s']:.1f} s): less moved by the box's load | | |"]
          if "differential cpu s" in m else []),
        f"| the candidate's requests | {m['differential candidate requests']:g} with, {m['gate candidate requests']:g} "
        "without (the comparison reads what the gate already read) | | |",
        "",
        "| run | gate s | differential s | ratio | production requests | catalog reads | candidate requests (gate, "
        "differential) | exits |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in cost["runs"]:
        lines.append(f"| {r['run']} | {r['gate s']:.1f} | {r['differential s']:.1f} | "
                     f"{r['differential / gate wall']:.2f} | {r['differential production requests']} | "
                     f"{r['contract catalog reads']} | "
                     f"{r['gate candidate requests']}, {r['differential candidate requests']} | "
                     f"{r['gate exit']}, {r['differential exit']} |")
    lines.append(f"\nLoad average (1 min) at the end: {cost['machine']['load_avg_1m']} on {cost['machine']['cores']} "
                 "cores shared with other suites: a single run's wall time swings by tens of seconds.")
    return lines


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="xdist workers of the gate (make gate's N)")
    parser.add_argument("--contract", type=Path, default=ROOT / "contracts" / "gateways.yaml")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    emit(measure(args.runs, contract_path=args.contract, workers=args.workers), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
