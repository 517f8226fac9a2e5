"""What a `make gate` run costs: requests against the minimum the contracts need, wall time against a bare crawl.

    python bench/gate_cost.py [--runs 5] [--json FILE]

Each run starts a fresh reference gateway in its own process, behind a recorder that notes every request
(method, path, sorted query, body, keyed or not). Then, in an order that alternates between runs:

  make gate        `make gate TARGET_URL=<it>`, timed end to end: the contracts (tests/contract) and, since
                   the fuzzing work, the gate fuzz profile (tests/fuzz -m gate); its reports go to a scratch
                   folder, never to reports/.
  contracts gate   the same command on tests/contract alone: the catalog contracts the issue's minimum is about.
  crawl            a plain httpx script (its own process, like the gate) that sends each request the
                   contracts need exactly once: the contract minimum, timed end to end.
  replay           a plain httpx script that sends, once each, every distinct request `make gate` sent
                   (the contract minimum plus each distinct fuzz case): the same pages as the full gate.
  schemathesis     plain `schemathesis run` of the same document (contracts/openapi.json) against the same
                   server with the gate profile's settings (examples and fuzzing phases, 100 cases per
                   operation, deterministic, every check, every failure): what fuzzing alone costs without the
                   suite, single-process as the CLI runs by default. It fails on chat's `model_not_priced` 400
                   for a generated model name, which the gate's profile accepts (profiles.CHAT_POSITIVE_STATUSES).
                   It runs in the run's scratch folder, warmed by one untimed run first: Hypothesis keeps its
                   caches in the working directory, and the gate's (the checkout's) are warm.

The gate binds nothing itself; the recording gateway listens with `bind_tcp` (IPPROTO_TCP, so accepted sockets
get TCP_NODELAY): before, every kept-alive answer waited ~40 ms and the crawl and replay measured the stall.

The contract minimum is `gateway_contracts.dialects.planned_requests`, computed from the contract, not hard-coded:
each page of each contracted catalog (slug, aliases, the aggregate) at the largest page size, the second
small-page walk of catalogs that fit one page, the past-the-end and other-case pages, the invalid list and
search queries, the status probe, the chat probes and the three preflight probes (/health, /openapi.json, the
registry); the crawl learns each catalog's size from its first page.
For the full gate, the minimum adds each distinct fuzz request once: a fuzz case is a probe, a repeat is waste.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from benchlib import ROOT, emit, machine, median, python_env, reference_gateway
from gateway_contracts.contract import load_contract
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import MODELS_PATH, PlannedRequest, first_pages, unique_name

REQUEST_TARGET = 1.1  # at most 1.1x the minimum
WALL_TARGET = 2.0  # at most 2x the bare crawl
# The full gate at most 1.3x the wall time of plain `schemathesis run` of its document (restated from 1.0x: on two
# shared cores the gate does the CLI's fuzzing plus the contracts, docs/architecture.md).
SCHEMATHESIS_TARGET = 1.3
DOCUMENT = ROOT / "contracts" / "openapi.json"  # what contracts/gateways.yaml names (`openapi`)
RECORD_PATH = "/_bench/requests"  # GET: the recorded requests; DELETE: forget them (neither is recorded)

Request = dict[str, Any]  # {"method", "path", "query", "raw_query", "body" (base64), "content_type", "keyed"}


def request_key(request: Request) -> tuple[Any, ...]:
    return (request["method"], request["path"], request["query"], request["body"], request["keyed"])


# -- the recording gateway ------------------------------------------------------------------------------


class Recorder:
    """ASGI wrapper: notes each request, then hands it (body replayed) to the reference app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[Request] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == RECORD_PATH:
            body = json.dumps(self.requests if scope["method"] == "GET" else []).encode()
            if scope["method"] == "DELETE":
                self.requests = []
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope["headers"])
        query = sorted(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        self.requests.append({
            # raw_path: as sent (percent-encoded), so the replay sends the same bytes; the query sorted.
            "method": scope["method"], "path": (scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            "query": urlencode(query), "raw_query": scope["query_string"].decode("latin-1"),
            "body": base64.b64encode(body).decode(), "content_type": headers.get(b"content-type", b"").decode(),
            "keyed": b"authorization" in headers,
        })
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def serve() -> None:
    import uvicorn

    from gateway_testbed.reference.app import create_app

    key = os.environ.get("GATEWAY_API_KEY")
    app = Recorder(create_app(api_keys=(key,) if key else ()))
    from gateway_testbed.reference.server import bind_tcp

    sock = bind_tcp("127.0.0.1", 0)
    print(f"reference gateway serving http://127.0.0.1:{sock.getsockname()[1]} (recording)", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                  ws="none")).run(sockets=[sock])


def recorded(url: str, *, forget: bool = True) -> list[Request]:
    requests = httpx.get(f"{url}{RECORD_PATH}", timeout=30).json()
    if forget:
        httpx.delete(f"{url}{RECORD_PATH}", timeout=30)
    return requests


# -- the bare crawls ------------------------------------------------------------------------------------


def crawl(url: str, contract_path: Path, api_key: str) -> int:
    """Send every request of the plan (gateway_contracts.plan), once, with plain httpx; return how many."""
    contract = load_contract(contract_path)
    sent: set[PlannedRequest] = set()
    with httpx.Client(base_url=url, timeout=60) as http:

        def send(request: PlannedRequest) -> httpx.Response:
            sent.add(request)
            headers = {"Authorization": f"Bearer {api_key}"} if request.authenticated else {}
            return http.request(request.method, request.path, params=request.query or None, json=request.body,
                                headers=headers)

        # Catalog sizes are learnt from each catalog's first page, which is part of the plan; the rows the samples
        # are drawn from (searched ids, developers) from the catalogs' pages, and unique mode's size from its first.
        firsts = {page.query["gateway"]: send(page).json() for page in first_pages(contract)}
        totals = {name: body.get("total") for name, body in firsts.items()}
        rows: dict[str, list[Any]] = {name: list(body.get("data") or []) for name, body in firsts.items()}
        for request in planned_requests(contract, totals, keyed=bool(api_key)):
            if request not in sent:
                answer = send(request)
                gateway = request.query.get("gateway")
                if request.path == MODELS_PATH and gateway in totals and "unique_models" not in request.query \
                        and request.query.get("limit") == contract.max_limit and not request.read \
                        and answer.status_code == 200:
                    rows.setdefault(gateway, []).extend(answer.json().get("data") or [])
                elif request.query.get("unique_models") == "true" and request.query.get("offset") == 0:
                    totals[unique_name(gateway)] = answer.json().get("total")
        for request in planned_requests(contract, totals, keyed=bool(api_key), rows=rows):
            if request not in sent:
                send(request)
    return len(sent)


def replay(url: str, requests_file: Path, api_key: str) -> int:
    """Send each recorded request once, as recorded, with plain httpx."""
    requests = json.loads(requests_file.read_text())
    with httpx.Client(base_url=url, timeout=60) as http:
        for r in requests:
            headers = {"content-type": r["content_type"]} if r["content_type"] else {}
            if r["keyed"]:
                headers["Authorization"] = f"Bearer {api_key}"
            path = f"{r['path']}?{r['raw_query']}" if r["raw_query"] else r["path"]
            http.request(r["method"], path, content=base64.b64decode(r["body"]), headers=headers)
    return len(requests)


# -- one measured run -----------------------------------------------------------------------------------


LAST_CPU_S = [0.0]  # the CPU seconds of the last `timed` command (all its processes), for the figures


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time; the CPU time of the command and every process it waited for (make, the cli, pytest, its xdist
    workers) goes to LAST_CPU_S: on a shared box the CPU seconds move less with the load than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU_S[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, result


def gate_command(url: str, scratch: Path, *, contracts_only: bool, workers: int) -> list[str]:
    # Reports of bench runs go to a scratch folder: never into reports/ (the sign-off trend reads it).
    redirect = (f"--junitxml={scratch}/junit.xml --reports-dir {scratch}/reports --alluredir={scratch}/allure "
                f"--max-rps=0")
    if contracts_only:
        return [sys.executable, "-m", "pytest", "-p", "xdist", "-n", str(workers), "tests/contract", "-m", "gate",
                f"--target-url={url}", *redirect.split()]
    return ["make", "-s", "gate", f"TARGET_URL={url}", f"N={workers}", f"PY={sys.executable}",
            f"STAMP={scratch}/stamp", f"PYTEST_ARGS={redirect}"]


def schemathesis_command(url: str, api_key: str) -> list[str]:
    """Plain `schemathesis run` with the gate profile's knobs (gateway_contracts.fuzz.profiles.GATE)."""
    executable = Path(sys.executable).with_name("schemathesis")
    return [str(executable), "run", str(DOCUMENT), "--url", url, "--checks", "all", "--phases", "examples,fuzzing",
            "--max-examples", "100", "--generation-deterministic", "--continue-on-failure",
            "-H", f"Authorization: Bearer {api_key}", "--no-color"]


@contextlib.contextmanager
def recording_gateway(api_key: str) -> Iterator[str]:
    with reference_gateway(api_key=api_key, command=[sys.executable, __file__, "serve"]) as url:
        yield url


def one_run(run: int, *, contract: Path, workers: int) -> dict[str, Any]:
    key = f"gwc-bench-{secrets.token_hex(8)}"
    env = {**python_env(), "GATEWAY_API_KEY": key}
    scratch = Path(tempfile.mkdtemp(prefix="gwc-bench-"))
    (scratch / "stamp").touch()  # make gate runs with this interpreter: no virtualenv build inside a measurement
    figures: dict[str, Any] = {"run": run + 1}
    with recording_gateway(key) as url:
        recorded(url)  # forget the start-up /health poll
        crawl(url, contract, key)  # warm the server up; it also yields the contract plan
        plan = {request_key(r) for r in recorded(url)}
        # Hypothesis keeps caches in the working directory's .hypothesis/ (its unicode tables, mined constants):
        # the gate's, in the checkout, are warm; the CLI's scratch folder starts cold, which cost it ~1 s (the
        # gate then looked 0.87x of it). One untimed run warms them, as the gate's were; its requests forgotten.
        timed(schemathesis_command(url, key), env, cwd=scratch)
        recorded(url)
        # Alternate the order, so neither side always runs on a warmer machine; the replay needs the full
        # gate's recording, so it comes after it.
        # The serial variants (N=0: no xdist, one process) show what the workers' start-up costs.
        gates = ("make gate", "make gate serial", "contracts gate", "contracts gate serial")
        steps = ((*gates, "schemathesis", "crawl", "replay") if run % 2 == 0
                 else ("crawl", "schemathesis", *reversed(gates), "replay"))
        full: list[Request] = []
        for step in steps:
            if step in gates:
                command = gate_command(url, scratch, contracts_only=step.startswith("contracts"),
                                       workers=0 if step.endswith("serial") else workers)
                seconds, result = timed(command, env)
                if result.returncode != 0:
                    raise RuntimeError(f"{step} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
                requests = recorded(url)
                figures[f"{step} s"] = seconds
                figures[f"{step} cpu s"] = LAST_CPU_S[0]
                figures[f"{step} requests"] = len(requests)
                if step == "make gate":
                    full = requests
                elif step == "contracts gate":
                    figures["contracts gate distinct"] = len({request_key(r) for r in requests})
            elif step == "schemathesis":
                # In the scratch folder: the CLI keeps a crash cache (.schemathesis/) in its working directory.
                seconds, result = timed(schemathesis_command(url, key), env, cwd=scratch)
                figures["schemathesis s"], figures["schemathesis requests"] = seconds, len(recorded(url))
                figures["schemathesis cpu s"] = LAST_CPU_S[0]
                figures["schemathesis status"] = result.returncode
                result = subprocess.CompletedProcess(result.args, 0)  # its findings are its own; timed, not judged
            elif step == "crawl":
                seconds, result = timed([sys.executable, __file__, "crawl", url, "--contract", str(contract)], env)
                figures["crawl s"], figures["crawl requests"] = seconds, len(recorded(url))
            else:
                distinct = {request_key(r): r for r in full}
                distinct_file = scratch / "distinct.json"
                distinct_file.write_text(json.dumps(list(distinct.values())))
                seconds, result = timed([sys.executable, __file__, "replay", url, str(distinct_file)], env)
                figures["replay s"], figures["replay requests"] = seconds, len(recorded(url))
            result.check_returncode()
    full_distinct = {request_key(r) for r in full}
    figures.update({
        "contract minimum": len(plan),
        "make gate distinct": len(full_distinct),
        "fuzz distinct": len(full_distinct - plan),
        "full minimum": len(plan | full_distinct),
        "plan requests the gate skipped": len(plan - full_distinct),
    })
    figures["contracts request ratio"] = figures["contracts gate requests"] / figures["contract minimum"]
    figures["contracts wall ratio"] = figures["contracts gate s"] / figures["crawl s"]
    figures["make gate request ratio"] = figures["make gate requests"] / figures["full minimum"]
    figures["make gate wall ratio"] = figures["make gate s"] / figures["replay s"]
    figures["contracts serial wall ratio"] = figures["contracts gate serial s"] / figures["crawl s"]
    figures["make gate serial wall ratio"] = figures["make gate serial s"] / figures["replay s"]
    figures["make gate / schemathesis"] = figures["make gate s"] / figures["schemathesis s"]
    figures["make gate serial / schemathesis"] = figures["make gate serial s"] / figures["schemathesis s"]
    figures["make gate cpu / schemathesis cpu"] = figures["make gate cpu s"] / figures["schemathesis cpu s"]
    figures["load avg 1m"] = os.getloadavg()[0]  # at the end of the run: the box is shared
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def measure(runs: int, *, contract: Path, workers: int) -> dict[str, Any]:
    rows = []
    for run in range(runs):
        rows.append(one_run(run, contract=contract, workers=workers))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    med = {key: median([r[key] for r in rows]) for key in rows[0] if key != "run"}
    return {
        "bench": "gate_cost",
        "workers": workers,
        "runs": rows,
        "median": med,
        "targets": {"request_ratio": REQUEST_TARGET, "wall_ratio": WALL_TARGET,
                    "schemathesis_ratio": SCHEMATHESIS_TARGET},
        "verdicts": {
            "contracts request ratio": med["contracts request ratio"] <= REQUEST_TARGET,
            "contracts wall ratio": med["contracts wall ratio"] <= WALL_TARGET,
            "make gate request ratio": med["make gate request ratio"] <= REQUEST_TARGET,
            "make gate wall ratio": med["make gate wall ratio"] <= WALL_TARGET,
            "make gate / schemathesis": med["make gate / schemathesis"] <= SCHEMATHESIS_TARGET,
        },
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        serve()
        return 0
    if args[:1] == ["crawl"]:
        parser = argparse.ArgumentParser()
        parser.add_argument("url")
        parser.add_argument("--contract", type=Path, required=True)
        options = parser.parse_args(args[1:])
        print(crawl(options.url, options.contract, os.environ["GATEWAY_API_KEY"]))
        return 0
    if args[:1] == ["replay"]:
        print(replay(args[1], Path(args[2]), os.environ["GATEWAY_API_KEY"]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="xdist workers of the gate (make gate's N)")
    parser.add_argument("--contract", type=Path, default=ROOT / "contracts" / "gateways.yaml")
    parser.add_argument("--json", type=Path, help="write the figures here")
    options = parser.parse_args(args)
    result = measure(options.runs, contract=options.contract, workers=options.workers)
    emit(result, options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
