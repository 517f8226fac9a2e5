"""The fuzz tests' pytest side: options, the allow-list refusal, the session's fuzz target, redaction.

Loaded by gateway_contracts.plugin. The refusal runs before any fuzz request: in a single process right
after collection (before the target is resolved); under xdist on the controller when the first worker
reports its collection (tests are handed out only once every worker has collected). The contracts'
preflight (GET /health, /openapi.json, /v1/gateways) may already have run by then: it is the gate's own
traffic, which TARGET_URL asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.fuzz.safety import CHAT_OPERATION, DEFAULT_ALLOWED_HOSTS, SafetyError, refusal
from gateway_contracts.fuzz.settings import COMMITTED_SPEC, DEFAULT_SEED, FuzzSettings, resolve_settings
from gateway_contracts.options import env_default, option_type
from gateway_contracts.session.state import KEYLESS_REASON, STATE

if TYPE_CHECKING:
    from gateway_contracts.fuzz.target import FuzzTarget

FUZZ_TESTS = "tests/fuzz/"  # node ids under here are fuzz tests (the xdist controller sees ids, not marks)
SETTINGS = pytest.StashKey[FuzzSettings]()
# Test modules build their schemas at import (collection), before any fixture exists: they read this.
_active: FuzzSettings | None = None


def current_settings() -> FuzzSettings:
    """The run's settings (set at configure time), or the environment's when no run configured them."""
    return _active if _active is not None else resolve_settings()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gateway-contracts")
    group.addoption("--fuzz-allowed-hosts", default=None, metavar="HOSTS",
                    help="hosts the fuzz tests may target: names or shell patterns, comma-separated (env "
                    f"FUZZ_ALLOWED_HOSTS; default {','.join(DEFAULT_ALLOWED_HOSTS)}); others are refused (exit 6)")
    group.addoption("--fuzz-allow-methods", default=None, metavar="METHODS",
                    help="unsafe methods the fuzz tests may send besides GET/HEAD/OPTIONS and keyed chat "
                    "(env FUZZ_ALLOW_METHODS, e.g. POST,PUT; default none)")
    group.addoption("--fuzz-seed", type=option_type("--fuzz-seed", "FUZZ_SEED", int), default=env_default("FUZZ_SEED"),
                    help=f"seed of the nightly fuzz profile (env FUZZ_SEED; default {DEFAULT_SEED}); the gate "
                    "profile is derandomized")
    group.addoption("--fuzz-spec", default=None, metavar="FILE",
                    help=f"the committed OpenAPI document fuzzed and compared for drift (env FUZZ_SPEC; default "
                    f"{COMMITTED_SPEC})")


def pytest_configure(config: pytest.Config) -> None:
    global _active
    option = config.option
    try:
        settings = resolve_settings(option.fuzz_allowed_hosts, option.fuzz_allow_methods, option.fuzz_seed,
                                    option.fuzz_spec, Path(config.rootpath))
    except SafetyError as exc:
        pytest.exit(f"gateway-contracts: invalid fuzz setting: {exc}", returncode=exitcodes.INVALID_CONTRACT)
    if (option.fuzz_spec or os.environ.get("FUZZ_SPEC")) and not settings.spec.is_file():
        pytest.exit(f"gateway-contracts: invalid fuzz setting: FUZZ_SPEC {settings.spec}: no such file",
                    returncode=exitcodes.INVALID_CONTRACT)
    config.stash[SETTINGS] = settings
    _active = settings


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return None
    unsafe = ",".join(sorted(settings.methods.allowed)) or "none"
    return (f"gateway-contracts fuzz: seed {settings.seed} (FUZZ_SEED), allowed hosts "
            f"{','.join(settings.allowed_hosts)}, unsafe methods allowed: {unsafe}")


# -- refusing a host outside the allow-list ----------------------------------------------------------


def _state(config: pytest.Config) -> Any:
    return config.stash.get(STATE, None)


def sharded_away(config: pytest.Config) -> str | None:
    """Why this GATEWAYS shard does not fuzz, or None. Fuzzing covers the whole API, not one gateway: it runs
    once per sharded gate, in the shard that lists the aggregate (as the aggregate's contracts do)."""
    state = _state(config)
    if config.option.gateways and state is not None and state.contract.aggregate is None:
        return (f"GATEWAYS={config.option.gateways}: the fuzz tests run in the shard that lists the aggregate "
                "(e.g. `all`), once per sharded run")
    return None


def _refuse(config: pytest.Config, url: str | None) -> None:
    if url is None or sharded_away(config):
        return  # the embedded reference gateway (local and ours), or a shard that fuzzes nothing
    line = refusal(url, config.stash[SETTINGS].allowed_hosts)
    if line:
        pytest.exit(f"gateway-contracts: {line}", returncode=exitcodes.INVALID_CONTRACT)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Single process: before the main plugin resolves the target (which would start fuzzing's fixtures)."""
    config = session.config
    if hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        return  # a worker must not exit by itself (xdist reports a crash); the controller decides
    if any("fuzz" in item.keywords for item in session.items):
        _refuse(config, config.option.target_url)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist controller: the first worker's collection is in, no test has been handed out yet."""
    config = node.config
    state = _state(config)
    if state is None or state.embedded is not None:
        return
    if any(nodeid.startswith(FUZZ_TESTS) for nodeid in ids):
        _refuse(config, state.target_url)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fuzz_settings(pytestconfig: pytest.Config) -> FuzzSettings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def fuzz_target(catalogs: Any, suite_state: Any) -> Iterator[FuzzTarget]:
    """The session's target for schemathesis: its URL, key, timeout and this process's request budget."""
    # Imported here: schemathesis is heavy, and runs without fuzz tests never need it.
    from gateway_contracts.fuzz import checks
    from gateway_contracts.fuzz.target import FuzzTarget

    target = FuzzTarget(
        base_url=suite_state.target_url,
        api_key=suite_state.api_key,
        max_rps=suite_state.settings.max_rps,  # already this worker's share
        timeout_s=suite_state.settings.timeout_s,
    )
    checks.configure(checks.CatalogFacts.from_contract(suite_state.contract))
    checks.configure_redaction(target.redact)
    yield target
    target.close()


def skip_unpermitted_operation(request: pytest.FixtureRequest) -> None:
    """Skip a fuzz test this run may not run (another shard's job; for an operation: an unsafe method, chat
    without a key) before any of its requests is sent. Called from tests/fuzz's autouse fixture: a
    function-scoped fixture argument would trip Hypothesis' health check."""
    elsewhere = sharded_away(request.config)
    if elsewhere:
        pytest.skip(elsewhere)
    label = getattr(request.node, "operation_label", None)
    if not label or " " not in label:
        return
    method, path = label.split(" ", 1)
    target: FuzzTarget = request.getfixturevalue("fuzz_target")
    reason = request.config.stash[SETTINGS].methods.skip_reason(method, path, has_key=target.has_key)
    if reason and (method, path) == CHAT_OPERATION and getattr(_state(request.config), "keyless", False):
        reason = f"{label}: {KEYLESS_REASON}"  # no key by choice: say so, as the chat contracts do
    if reason:
        pytest.skip(reason)


# -- reports: the key never reaches the console, JUnit or Allure ------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = _state(item.config)
    key = getattr(state, "api_key", None)
    if not key or "fuzz" not in item.keywords:
        return report
    redact = state.redact
    if report.longrepr is not None and key in str(report.longrepr):
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(content)) for title, content in report.sections]
    return report
