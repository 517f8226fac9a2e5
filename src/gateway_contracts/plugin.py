"""The pytest entry point (conftest.py loads it): options, hooks and fixtures, delegating to `session/`.

Flow of a run: the contract file is loaded and validated at configure time (exit 6 on any problem); the
target is resolved once per run (session/target.py) and checked to be a reachable Gatewayz API (exit 7
otherwise); tests then read evidence from one shared `CatalogStore`. Under xdist the controller owns the
target and hands workers its URL and a shared cache directory (session/xdist.py). Nothing imports this
module (import-linter checks it): the other plugins read the run's state from session/state.py.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gateway_contracts.contract import Aggregate, Contract
from gateway_contracts.fuzz.settings import FUZZ_TESTS
from gateway_contracts.net.limits import DEFAULT_MAX_BODY_BYTES
from gateway_contracts.options import (
    env_default,
    env_flag,
    iso_date,
    non_negative_float,
    non_negative_int,
    option_type,
    positive_float,
    positive_int,
)
from gateway_contracts.production import Production
from gateway_contracts.report import facts
from gateway_contracts.report.sections import deploy_changes
from gateway_contracts.session import dialect, flaky, known_outcomes, run_deadline, target, target_health
from gateway_contracts.session.parametrize import parametrize
from gateway_contracts.session.state import (
    KEYLESS_ENV,
    KEYLESS_REASON,
    STATE,
    SuiteState,
    is_worker,
    is_xdist_controller,
)
from gateway_contracts.session.summary import summary_lines
from gateway_contracts.session.target import DEFAULT_CONTRACT, DEFAULT_EXTERNAL_RPS
from gateway_contracts.session.xdist import XdistBridge, worker_state
from gateway_contracts.store import CatalogStore

# Option validation (first: the others read the options); baselines, run records and Allure labels; the fuzz
# tests' options and safety: their own modules.
pytest_plugins = ["gateway_contracts.options", "gateway_contracts.report.recording", "gateway_contracts.fuzz.hooks"]


# -- options ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gateway-contracts", "gateway contract suite")
    group.addoption("--target-url", default=os.environ.get("TARGET_URL") or None,
                    help="base URL of the API under test (env TARGET_URL); unset: start the embedded reference "
                    "gateway on 127.0.0.1")
    group.addoption("--compare-url", default=os.environ.get("COMPARE_URL") or None,
                    help="production's base URL (env COMPARE_URL): its catalogs are read twice (GET only, never "
                    "fuzzed) and the candidate (TARGET_URL) is compared with them; key COMPARE_API_KEY, else "
                    "GATEWAY_API_KEY")
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
                    help="a request's wall-clock time on the wire, all attempts and reads together, in seconds "
                    "(env REQUEST_TIMEOUT; default 60)")
    group.addoption("--max-body-bytes", type=option_type("--max-body-bytes", "MAX_BODY_BYTES", positive_int),
                    default=env_default("MAX_BODY_BYTES"),
                    help=f"cap on any answer's body, decoded bytes included, for the suite, the fuzzer and the SDK "
                    f"(env MAX_BODY_BYTES; default {DEFAULT_MAX_BODY_BYTES})")
    group.addoption("--run-deadline", type=option_type("--run-deadline", "RUN_DEADLINE", positive_float),
                    default=env_default("RUN_DEADLINE"),
                    help="stop the run after this many seconds, write its reports and exit 8 (env RUN_DEADLINE; "
                    "default none)")
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
    group.addoption("--strict-known", action="store_true",
                    default=env_flag("--strict-known", known_outcomes.STRICT_ENV),
                    help="fail when a known_findings entry of the contract is no longer seen (env STRICT_KNOWN; "
                    "the default of nightly and signoff); expired entries always fail")
    group.addoption("--keyless", action="store_true", default=env_flag("--keyless", KEYLESS_ENV),
                    help="run without GATEWAY_API_KEY against a target with no chat (env KEYLESS=1): the keyed checks "
                    "skip and the summary says so; without it a TARGET_URL run with no key is refused (exit 6)")
    group.addoption("--probe-date", type=option_type("--probe-date", "PROBE_DATE", iso_date),
                    default=env_default("PROBE_DATE"), metavar="YYYY-MM-DD",
                    help="the date whose sample of listed models the callable probe calls (env PROBE_DATE; default "
                    "today, UTC): to re-run a night's probe")
    group.addoption("--baseline", default=os.environ.get("BASELINE") or None, metavar="FILE",
                    help="compare with a baseline taken by --update-baseline (env BASELINE): count drops beyond the "
                    "contract's tolerance, vanished gateways, vanished required models and latency regressions fail")
    group.addoption("--update-baseline", default=None, metavar="FILE",
                    help="after a passing run, write its snapshot to FILE ('auto': contracts/baselines/<host>.json)")
    group.addoption("--run-name", default=os.environ.get("RUN_NAME") or None, metavar="NAME",
                    help="write the run record <reports-dir>/run-NAME.json and append <reports-dir>/history.jsonl "
                    "(what the sign-off report reads; env RUN_NAME)")
    group.addoption("--reports-dir", default=os.environ.get("REPORTS_DIR") or "reports", metavar="DIR",
                    help="folder of run records and the run history (env REPORTS_DIR; default reports)")


# -- configuration and target --------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settle_heap()
    contract = target.load_selected_contract(config)
    config.pluginmanager.register(known_outcomes.KnownFindings(config), "gateway-contracts-known")
    if is_worker(config):
        config.stash[STATE] = worker_state(contract, config.workerinput)  # type: ignore[attr-defined]
        run_deadline.arm(config.stash[STATE])
        return
    controller = is_xdist_controller(config)
    workers = int(getattr(config.option, "numprocesses", 0) or 0) if controller else 1
    external = config.option.target_url is not None
    state = SuiteState(contract=contract, settings=target.client_settings(config, external, workers))
    config.stash[STATE] = state
    run_deadline.start(state, config.option.run_deadline)
    config.pluginmanager.register(flaky.FlakyTests(state), "gateway-contracts-flaky")
    if controller:
        # Workers cannot share a server they start themselves: the controller owns the target.
        target.resolve_target(config, state)
        # The long units, dealt out first, one per worker at a time: each fuzz operation, and the SDK contract.
        config.pluginmanager.register(XdistBridge(state, long_unit=long_unit), "gateway-contracts-xdist")


SDK_TESTS = "tests/contract/test_openai_sdk.py::"  # the OpenAI SDK contract's tests


def long_unit(nodeid: str) -> str | None:
    """The xdist controller's long units (it sees node ids, not marks): each fuzz operation (a second or more),
    and the SDK contract's tests together (the process that runs one imports the SDK, ~0.45 CPU-s)."""
    if nodeid.startswith(FUZZ_TESTS):
        return nodeid
    if nodeid.startswith(SDK_TESTS):
        return SDK_TESTS
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # What the contract's dialect has decides which contract tests exist (`needs` markers): the others are
    # deselected, not skipped.
    state = config.stash.get(STATE, None)
    if state is not None:
        dialect.select(items, config, state.contract)


def pytest_collection_finish(session: pytest.Session) -> None:
    settle_heap()  # the collected tests (schemathesis' strategies among them) live until the run ends
    # Single process: resolve the target only when a collected test needs it (self-tests do not).
    config = session.config
    if is_worker(config) or is_xdist_controller(config):
        return
    if any("catalogs" in getattr(item, "fixturenames", ()) for item in session.items):
        target.resolve_target(config, config.stash[STATE])


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        target.release(state)
    if is_worker(config):
        # The worker's run is over and reported; the controller waits for the process to end. Tearing its
        # interpreter down (freeing every object one by one) took ~1 s per worker under load.
        atexit.register(_exit_now)


def _exit_now() -> None:
    """Registered last, so the first exit handler: out without the interpreter's teardown (xdist does not read a
    worker's exit status: it has reported everything by now)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# -- memory: the cyclic garbage collector ---------------------------------------------------------------

# Young collections every 10,000 net allocations instead of 700: generating fuzz cases allocates millions of
# short-lived objects, and each collection also walks what survived.
YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """What is alive now (the imports, the contract, then the collected tests) lives until the run ends: frozen,
    the collector no longer walks it in every full collection. Measured in a gate's xdist worker: 1.1 of its ~7
    CPU-s went to the collector, 0.5 with this."""
    gc.freeze()
    young, *older = gc.get_threshold()
    if 0 < young < YOUNG_THRESHOLD:  # 0: collection turned off; leave it so
        gc.set_threshold(YOUNG_THRESHOLD, *older)


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
    target.resolve_target(pytestconfig, suite_state)
    return target.store(suite_state)


@pytest.fixture(scope="session")
def production(pytestconfig: pytest.Config, catalogs: CatalogStore, suite_state: SuiteState) -> Production:
    """Production's two recorded reads (COMPARE_URL); the differential tests skip when the run compares nothing."""
    if suite_state.production is None:
        pytest.skip("no COMPARE_URL: the candidate is not compared with production (--compare-url URL)")
    # The report section "What changes with this deploy" names production (report/sections/deploy_changes.py).
    facts.publish(pytestconfig, deploy_changes.NAME, deploy_changes.PRODUCTION_KEY, suite_state.production.url)
    return suite_state.production


@pytest.fixture(scope="session")
def probe_day(pytestconfig: pytest.Config) -> date:
    """The date of the callable probe's sample: --probe-date (PROBE_DATE), else today (UTC)."""
    chosen: date | None = pytestconfig.option.probe_date
    return chosen or datetime.now(UTC).date()


@pytest.fixture(scope="session")
def aggregate(contract: Contract) -> Aggregate:
    """The aggregate (`all`) contract; its tests skip when the contract (or GATEWAYS sharding) has none."""
    if contract.aggregate is None:
        pytest.skip("no aggregate in this contract (or not selected by GATEWAYS)")
    return contract.aggregate


@pytest.fixture
def junit_property(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """A JUnit property of this test (what the reports read), as pytest's `record_property` without its warning
    under the xunit2 family the suite writes: pytest writes a test's properties in either family."""
    return lambda name, value: request.node.user_properties.append((name, value))


# -- parametrization: the contract file drives the test matrix -------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize(metafunc, metafunc.config.stash[STATE].contract)


# -- per test: keyless skips and flaky evidence ----------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash[STATE]
    flaky.start_test(state)
    run_deadline.before_test(state)  # the run deadline passed: skip
    target_health.before_test(state)  # the breaker is open: fail at once
    if state.keyless and item.get_closest_marker("keyed") is not None:
        pytest.skip(KEYLESS_REASON)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    flaky.record_retried(item.config.stash[STATE], item, report)
    return report


# -- run summary -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before the run record is written: it records this status
def pytest_sessionfinish(session: pytest.Session) -> None:
    # Exit 8 for a run stopped by its deadline (run_deadline.py), judged first: what else the run saw may be the
    # deadline's doing; else exit 7 for a target that never gave a usable answer (target_health.py).
    state: SuiteState | None = session.config.stash.get(STATE, None)
    if state is not None and not is_worker(session.config) and not run_deadline.finish(session, state):
        target_health.finish(session, state)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if is_worker(config):
        return
    state: SuiteState | None = config.stash.get(STATE, None)
    if state is None or state.cache_dir is None or state.target_url is None:
        return
    for line in summary_lines(state):
        terminalreporter.write_line(state.redact(line))
    if state.verdict is not None:
        terminalreporter.write_line(state.redact(f"gateway-contracts: {state.verdict}"))
