"""The pytest plugin: options, target resolution, shared fixtures, parametrization and the run summary.

Flow of a run: the contract file is loaded and validated at configure time (exit 6 on any problem); the
target is resolved once per run (the URL given, or an embedded reference gateway started on loopback)
and checked to be a reachable Gatewayz API (exit 7 otherwise); tests then read evidence from one shared
`CatalogStore`. Under xdist the controller owns the target and hands workers its URL and a shared cache
directory, so every page is fetched once per run, not once per worker.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.catalog import CatalogStore, invalid_queries, probe_gateway
from gateway_contracts.contract import Aggregate, Contract, ContractError, load_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.invariants.registry import registry_names, uncovered_gateways
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.options import (
    env_default,
    env_flag,
    non_negative_float,
    non_negative_int,
    option_type,
    positive_float,
)

API_KEY_ENV = "GATEWAY_API_KEY"  # the key is read from the environment only, never from an option
KEYLESS_ENV = "KEYLESS"
# The skip reason of every keyed check in a keyless run, and the summary's line: a choice, said as one.
KEYLESS_REASON = ("keyed checks skipped by choice: KEYLESS=1 (--keyless) says the target has no chat to check; "
                  "unset it and set GATEWAY_API_KEY to run them")
DEFAULT_CONTRACT = "contracts/gateways.yaml"
# Requests per second against an external target: under the real API's 300/min per-IP limiter.
DEFAULT_EXTERNAL_RPS = 4.0
STATE = pytest.StashKey["SuiteState"]()
# Option validation (first: the others read the options); baselines, run records and Allure labels; the fuzz
# tests' options and safety: their own modules.
pytest_plugins = ["gateway_contracts.options", "gateway_contracts.report.plugin", "gateway_contracts.fuzz.plugin"]


@dataclass
class SuiteState:
    contract: Contract
    settings: ClientSettings
    target_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    key_source: str = "none"  # "environment", "provisioned" (embedded gateway), "keyless" (opted out), "none"
    keyless: bool = False  # KEYLESS / --keyless: keyed checks skip, by choice
    description: str = ""
    cache_dir: Path | None = None
    owns_cache: bool = False
    embedded: Any = None  # EmbeddedGateway when this process started it
    client: GatewayClient | None = field(default=None, repr=False)
    store: CatalogStore | None = None
    flaky_tests: dict[str, list[str]] = field(default_factory=dict)  # passed tests -> their retried requests

    @property
    def redact(self) -> Redactor:
        return Redactor(self.api_key)


# -- options ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gateway-contracts", "gateway contract suite")
    group.addoption("--target-url", default=os.environ.get("TARGET_URL") or None,
                    help="base URL of the API under test (env TARGET_URL); unset: start the embedded reference "
                    "gateway on 127.0.0.1")
    group.addoption("--contracts", default=os.environ.get("CONTRACTS") or DEFAULT_CONTRACT,
                    help=f"contract file (env CONTRACTS; default {DEFAULT_CONTRACT})")
    group.addoption("--gateways", default=os.environ.get("GATEWAYS") or None,
                    help="comma-separated gateways to check, slugs or aliases; the aggregate's slug (all) selects the "
                    "aggregate (env GATEWAYS; CI sharding); default every gateway and the aggregate")
    group.addoption("--reference-fault", action="append", default=[], metavar="NAME",
                    help="fault to inject into the embedded reference gateway (repeatable; env REFERENCE_FAULTS)")
    # Numbers and flags: the environment variable is the default, parsed by the option's own type (options.py).
    group.addoption("--request-timeout", type=option_type("--request-timeout", "REQUEST_TIMEOUT", positive_float),
                    default=env_default("REQUEST_TIMEOUT"),
                    help="per-request timeout in seconds (env REQUEST_TIMEOUT; default 60)")
    group.addoption("--retries", type=option_type("--retries", "RETRIES", non_negative_int),
                    default=env_default("RETRIES"),
                    help="retries of transient failures: reset, timeout, 429, 502/503 with Retry-After "
                    "(env RETRIES; default 2)")
    group.addoption("--max-rps", type=option_type("--max-rps", "MAX_RPS", non_negative_float),
                    default=env_default("MAX_RPS"),
                    help=f"request-rate budget for the whole run, divided across xdist workers (env MAX_RPS; "
                    f"default {DEFAULT_EXTERNAL_RPS:g} against TARGET_URL, 0 = unlimited, the default against the "
                    "embedded gateway)")
    group.addoption("--strict-registry", action="store_true", default=env_flag("--strict-registry", "STRICT_REGISTRY"),
                    help="fail when /v1/gateways lists a gateway or alias no contract covers (env STRICT_REGISTRY; "
                    "default: report it)")
    group.addoption("--keyless", action="store_true", default=env_flag("--keyless", KEYLESS_ENV),
                    help="run without GATEWAY_API_KEY against a target with no chat (env KEYLESS=1): the keyed checks "
                    "skip and the summary says so; without it a TARGET_URL run with no key is refused (exit 6)")
    group.addoption("--baseline", default=os.environ.get("BASELINE") or None, metavar="FILE",
                    help="compare with a baseline taken by --update-baseline (env BASELINE): count drops beyond the "
                    "contract's tolerance, vanished gateways, required or long-lived ids and latency regressions fail")
    group.addoption("--update-baseline", default=None, metavar="FILE",
                    help="after a passing run, write its snapshot to FILE ('auto': contracts/baselines/<host>.json)")
    group.addoption("--run-name", default=os.environ.get("RUN_NAME") or None, metavar="NAME",
                    help="write the run record <reports-dir>/run-NAME.json and append <reports-dir>/history.jsonl "
                    "(what the sign-off report reads; env RUN_NAME)")
    group.addoption("--reports-dir", default=os.environ.get("REPORTS_DIR") or "reports", metavar="DIR",
                    help="folder of run records and the run history (env REPORTS_DIR; default reports)")


# -- configuration and target --------------------------------------------------------------------


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_worker(config) and bool(getattr(config.option, "numprocesses", None))


def _fail_run(message: str, status: int) -> None:
    pytest.exit(f"gateway-contracts: {message}", returncode=status)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        info = config.workerinput  # type: ignore[attr-defined]
        contract = _load_contract(config)
        state = SuiteState(contract=contract, settings=ClientSettings(**info["settings"]))
        state.target_url, state.api_key = info["target_url"], info["api_key"]
        state.description, state.key_source = info["description"], info["key_source"]
        state.keyless = info["keyless"]
        state.cache_dir = Path(info["cache_dir"])
        config.stash[STATE] = state
        return
    contract = _load_contract(config)
    workers = int(getattr(config.option, "numprocesses", 0) or 0) if _is_xdist_controller(config) else 1
    state = SuiteState(contract=contract, settings=_settings(config, config.option.target_url is not None, workers))
    config.stash[STATE] = state
    config.pluginmanager.register(_FlakyTests(state), "gateway-contracts-flaky")
    if _is_xdist_controller(config):
        # Workers cannot share a server they start themselves: the controller owns the target.
        _resolve_target(config, state)
        config.pluginmanager.register(_XdistBridge(state), "gateway-contracts-xdist")


def _load_contract(config: pytest.Config) -> Contract:
    path = Path(config.option.contracts)
    if not path.is_absolute():
        path = Path(config.rootpath) / path if not path.exists() else path
    try:
        contract = load_contract(path)
        if config.option.gateways:
            contract = contract.only({g.strip() for g in config.option.gateways.split(",") if g.strip()})
    except ContractError as exc:
        _fail_run(f"invalid contract: {exc}", exitcodes.INVALID_CONTRACT)
    return contract


def _settings(config: pytest.Config, external: bool, workers: int) -> ClientSettings:
    # Already parsed and validated (options.py): command line and environment alike.
    option = config.option
    rps = option.max_rps if option.max_rps is not None else (DEFAULT_EXTERNAL_RPS if external else 0.0)
    return ClientSettings(
        timeout_s=option.request_timeout if option.request_timeout is not None else 60.0,
        retries=option.retries if option.retries is not None else 2,
        max_rps=rps / max(1, workers),  # the budget is for the run: each worker takes its share
    )


def _api_key() -> str | None:
    """GATEWAY_API_KEY; empty or blank counts as unset (CI passes an empty string for a missing secret)."""
    key = os.environ.get(API_KEY_ENV, "")
    return key if key.strip() else None


def _resolve_target(config: pytest.Config, state: SuiteState) -> None:
    """Start or name the target, provision the key, and check it speaks the API. Idempotent."""
    if state.target_url is not None:
        return
    state.keyless = bool(config.option.keyless)
    env_key = None if state.keyless else _api_key()  # keyless means keyless: a key in the environment is not sent
    faults = list(config.option.reference_fault) + [
        f for f in os.environ.get("REFERENCE_FAULTS", "").split(",") if f.strip()
    ]
    if config.option.target_url:
        state.target_url = config.option.target_url.rstrip("/")
        if faults:
            _fail_run("--reference-fault applies to the embedded gateway only; unset TARGET_URL to use it",
                      exitcodes.INVALID_CONTRACT)
        if env_key is None and not state.keyless:
            # Fail closed: a missing or renamed secret must not turn the keyed checks into a green skip.
            _fail_run(f"GATEWAY_API_KEY is not set (or empty) for TARGET_URL {state.target_url}: the keyed checks "
                      "(chat completions) need it; set GATEWAY_API_KEY in the environment, or opt out explicitly "
                      "with KEYLESS=1 (--keyless) for a target with no chat", exitcodes.INVALID_CONTRACT)
        state.api_key, state.key_source = env_key, "keyless" if state.keyless else "environment"
        state.description = state.target_url
    else:
        from gateway_contracts.reference.server import EmbeddedGateway

        # A throwaway key so the keyed chat checks run by default; GATEWAY_API_KEY wins if set, --keyless has none.
        state.api_key = None if state.keyless else env_key or f"gwc-throwaway-{secrets.token_urlsafe(18)}"
        state.key_source = "keyless" if state.keyless else "environment" if env_key else "provisioned"
        try:
            shape = os.environ.get("REFERENCE_SHAPE", "").strip() or "full"  # README "The reference gateway"
            keys = {state.api_key} if state.api_key else set()
            state.embedded = EmbeddedGateway(faults=faults, api_keys=keys, shape=shape)
            state.embedded.start()
        except ValueError as exc:  # an unknown fault or shape, or a fault the shape cannot serve
            _fail_run(f"embedded reference gateway: {exc}", exitcodes.INVALID_CONTRACT)
        state.target_url = state.embedded.url
        state.description = (f"embedded reference gateway at {state.target_url} (shape: {shape}; "
                             f"faults: {', '.join(faults) or 'none'})")
    state.cache_dir = Path(tempfile.mkdtemp(prefix="gateway-contracts-"))
    state.owns_cache = True
    _preflight(_store(state))


def _preflight(store: CatalogStore) -> None:
    """A target that does not answer, or answers 404 everywhere, is a configuration error, not 40 failures."""
    url = store.client.base_url
    health = store.health()
    if health.unreachable:  # no connection at all (refused, DNS, TLS, connect timeout): other paths cannot differ
        _fail_run(f"target unreachable: {url}: {health.error}", exitcodes.TARGET_UNREACHABLE)
    probes = [health, store.openapi(), store.registry()]
    if all(p.status is None for p in probes):
        _fail_run(f"target unreachable: {url}: {probes[0].error}", exitcodes.TARGET_UNREACHABLE)
    if all(p.status == 404 for p in probes) and store.page(probe_gateway(store.contract), 0, 1).status == 404:
        _fail_run(f"no Gatewayz API at {url}: /health, /openapi.json, /v1/gateways and /v1/models all answer 404 "
                  "(wrong base path?)", exitcodes.TARGET_UNREACHABLE)


def _store(state: SuiteState) -> CatalogStore:
    if state.store is None:
        state.client = GatewayClient(state.target_url or "", api_key=state.api_key, settings=state.settings,
                                     cache_dir=state.cache_dir)
        state.store = CatalogStore(state.client, state.contract)
    return state.store


class _XdistBridge:
    """Hands each worker the controller's target (registered only when xdist runs)."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        s = self.state
        node.workerinput.update(
            target_url=s.target_url, api_key=s.api_key, description=s.description, key_source=s.key_source,
            keyless=s.keyless,
            cache_dir=str(s.cache_dir), settings=dataclasses.asdict(s.settings),
        )


def pytest_collection_finish(session: pytest.Session) -> None:
    # Single process: resolve the target only when a collected test needs it (self-tests do not).
    config = session.config
    if _is_worker(config) or _is_xdist_controller(config):
        return
    if any("catalogs" in getattr(item, "fixturenames", ()) for item in session.items):
        _resolve_target(config, config.stash[STATE])


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.client is not None:
        state.client.close()
    if state.embedded is not None:
        state.embedded.stop()
    if state.owns_cache and state.cache_dir is not None:
        shutil.rmtree(state.cache_dir, ignore_errors=True)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def suite_state(pytestconfig: pytest.Config) -> SuiteState:
    return pytestconfig.stash[STATE]


@pytest.fixture(scope="session")
def contract(suite_state: SuiteState) -> Contract:
    return suite_state.contract


@pytest.fixture(scope="session")
def catalogs(pytestconfig: pytest.Config, suite_state: SuiteState) -> CatalogStore:
    """The shared evidence store: every catalog page fetched once per run."""
    _resolve_target(pytestconfig, suite_state)
    return _store(suite_state)


@pytest.fixture(scope="session")
def aggregate(contract: Contract) -> Aggregate:
    """The aggregate (`all`) contract; its tests skip when the contract (or GATEWAYS sharding) has none."""
    if contract.aggregate is None:
        pytest.skip("no aggregate in this contract (or not selected by GATEWAYS)")
    return contract.aggregate


# -- parametrization: the contract file drives the test matrix -------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "catalogs" not in names:
        return  # only contract tests (they read the evidence store) are driven by the contract file
    contract: Contract = metafunc.config.stash[STATE].contract
    if "gateway" in names and "alias" in names:
        pairs = [(g, a) for g in contract.gateways for a in g.aliases]
        metafunc.parametrize(("gateway", "alias"), pairs, ids=[f"{g.slug}-{a}" for g, a in pairs])
    elif "gateway" in names and "required_model" in names:
        pairs = [(g, m) for g in contract.gateways for m in g.required_models]
        metafunc.parametrize(("gateway", "required_model"), pairs, ids=[f"{g.slug}-{m}" for g, m in pairs])
    elif "gateway" in names:
        metafunc.parametrize("gateway", contract.gateways, ids=[g.slug for g in contract.gateways])
    elif "required_model" in names:
        models = sorted({m for g in contract.gateways for m in g.required_models})
        metafunc.parametrize("required_model", models, ids=models)
    if "chat_model" in names:
        metafunc.parametrize("chat_model", contract.chat_models, ids=list(contract.chat_models))
    if "invalid_query" in names:
        queries = invalid_queries(contract.max_limit)
        metafunc.parametrize("invalid_query", queries, ids=[q.id for q in queries])


# -- flaky evidence: a contract that passed on an answer that needed a retry ------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash[STATE]
    if state.client is not None and state.store is not None:
        state.client.touched.clear()
        state.store.reread.clear()
    if state.keyless and item.get_closest_marker("keyed") is not None:
        pytest.skip(KEYLESS_REASON)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = item.config.stash[STATE]
    if report.when == "call" and state.client is not None and state.store is not None:
        # Everything the test read: fetched or cached by the client (memory, or disk from another worker, where
        # `attempts` is kept), and walks the store served from its own cache.
        read = [*state.client.touched, *state.store.reread]
        retried = {e.request_line: e for e in read if e.recovered}
        for exchange in retried.values():
            # Shows up in JUnit as a property and in the summary as FLAKY; the verdict itself is unchanged.
            flaky = ("flaky", f"{exchange.describe()}: {'; '.join(exchange.notes)}")
            report.user_properties.append(flaky)
            item.user_properties.append(flaky)  # JUnit writes the teardown report's copy of the item's properties
    return report


class _FlakyTests:
    """On the controller (or the single process): which passed tests read an answer that needed a retry."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed:
            retried = [str(value) for name, value in report.user_properties if name == "flaky"]
            if retried:
                self.state.flaky_tests[report.nodeid] = retried


# -- run summary -----------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _is_worker(config):
        return
    state: SuiteState | None = config.stash.get(STATE, None)
    if state is None or state.cache_dir is None or state.target_url is None:
        return
    for line in summary_lines(state):
        terminalreporter.write_line(state.redact(line))


def summary_lines(state: SuiteState) -> list[str]:
    from gateway_contracts.net.cache import read_cache_dir
    from gateway_contracts.net.counts import read_counts

    exchanges = read_cache_dir(state.cache_dir) if state.cache_dir else []
    sent = sum(e.attempts for e in exchanges)
    # Fuzzing's own traffic (every process writes its count into the shared cache dir): the line counts
    # every request the run sent.
    fuzz_distinct, fuzz_sent = read_counts(state.cache_dir) if state.cache_dir else (0, 0)
    fuzzing = f" (fuzzing: {fuzz_distinct} distinct, {fuzz_sent} sent)" if fuzz_sent else ""
    lines = [
        f"gateway-contracts: target {state.description}; contract {state.contract.path} "
        f"({len(state.contract.gateways)} gateways); key: {state.key_source}",
        f"gateway-contracts: {len(exchanges) + fuzz_distinct} distinct requests, {sent + fuzz_sent} sent{fuzzing}",
    ]
    if state.keyless:
        lines.append(f"gateway-contracts: {KEYLESS_REASON}")
    lines += _transport_lines(state, exchanges)
    uncovered = _uncovered(state, exchanges)
    if uncovered:
        lines.append(f"gateway-contracts: the registry lists gateways no contract covers: {', '.join(uncovered)}"
                     " (--strict-registry fails on this)")
    return lines


LISTED = 10  # summary lines per kind; the JUnit properties and the exchange cache hold every one


def _transport_lines(state: SuiteState, exchanges: list[Exchange]) -> list[str]:
    """FLAKY contracts (passed only after a transport retry) and 429s without Retry-After (R19)."""
    lines = []
    flaky = state.flaky_tests
    if flaky:
        retried = sum(1 for e in exchanges if e.recovered)
        lines.append(f"gateway-contracts: FLAKY: {len(flaky)} contracts passed only after a transport retry "
                     f"({retried} requests answered on a retry; JUnit property 'flaky' on each test)")
        for nodeid, evidence in list(flaky.items())[:LISTED]:
            more = f" (and {len(evidence) - 1} more retried requests)" if len(evidence) > 1 else ""
            lines.append(f"gateway-contracts: FLAKY {nodeid}: {evidence[0]}{more}")
        if len(flaky) > LISTED:
            lines.append(f"gateway-contracts: FLAKY: and {len(flaky) - LISTED} more contracts")
    limited = [e for e in exchanges if e.rate_limited_without_retry_after]
    if limited:
        lines.append(f"gateway-contracts: 429 without Retry-After on {len(limited)} requests (R19: the API must say "
                     "when to come back; the suite backed off on its own)")
        lines += [f"gateway-contracts: 429 without Retry-After: {e.describe()}" for e in limited[:LISTED]]
        if len(limited) > LISTED:
            lines.append(f"gateway-contracts: 429 without Retry-After: and {len(limited) - LISTED} more requests")
    return lines


def _uncovered(state: SuiteState, exchanges: list[Exchange]) -> list[str]:
    path = state.contract.registry.path
    for e in exchanges:
        if e.method == "GET" and e.url.endswith(path):
            return uncovered_gateways(registry_names(e.json), state.contract.covered_names(),
                                      state.contract.registry.ignore)
    return []
