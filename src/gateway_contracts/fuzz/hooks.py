"""The fuzz tests' pytest side: options, the allow-list refusal, the session's fuzz target, redaction.

Loaded by gateway_contracts.plugin. The refusal runs before any fuzz request: in a single process right
after collection (before the target is resolved); under xdist on the controller when the first worker
reports its collection (tests are handed out only once every worker has collected). The contracts'
preflight (GET /health, /openapi.json, /v1/gateways) may already have run by then: it is the gate's own
traffic, which TARGET_URL asked for.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.fuzz.headroom import call_with_headroom
from gateway_contracts.fuzz.safety import CHAT_OPERATION, DEFAULT_ALLOWED_HOSTS, SafetyError, refusal
from gateway_contracts.fuzz.settings import (
    DEFAULT_SEED,
    FUZZ_TESTS,
    GATE_PROFILES,
    SCHEMATHESIS_PLUGIN,
    TARGET_SPEC,
    TARGET_SPEC_TIMEOUT_S,
    FuzzSettings,
    resolve_settings,
)
from gateway_contracts.options import env_default, one_of, option_type
from gateway_contracts.session import known_outcomes
from gateway_contracts.session.state import KEYLESS_REASON, STATE

if TYPE_CHECKING:
    from gateway_contracts.fuzz.spec import SpecSource
    from gateway_contracts.fuzz.transport import FuzzTarget

SETTINGS = pytest.StashKey[FuzzSettings]()
# Test modules build their schemas at import (collection), before any fixture exists: they read these.
_active: FuzzSettings | None = None
_config: pytest.Config | None = None
_source: SpecSource | None = None


def current_settings() -> FuzzSettings:
    """The run's settings (set at configure time), or the environment's when no run configured them."""
    return _active if _active is not None else resolve_settings()


def current_source() -> SpecSource:
    """The document this run fuzzes (spec.resolve_source), resolved once per process at collection. A
    document that cannot be used ends the run with one line (exit 6)."""
    global _source
    if _source is None:
        from gateway_contracts.fuzz.documents import DocumentError
        from gateway_contracts.fuzz.spec import resolve_source

        state = _state(_config) if _config is not None else None
        contract = getattr(state, "contract", None)
        target_url = getattr(state, "target_url", None) or (
            _config.option.target_url if _config is not None else None) or None
        timeout = getattr(_config.option, "request_timeout", None) if _config is not None else None
        cap = getattr(_config.option, "max_body_bytes", None) if _config is not None else None
        try:
            _source = resolve_source(current_settings(), contract, target_url,
                                     timeout_s=timeout or TARGET_SPEC_TIMEOUT_S,
                                     **({"max_body_bytes": cap} if cap else {}))
        except DocumentError as exc:
            pytest.exit(f"gateway-contracts: invalid OpenAPI document: {exc}", returncode=exitcodes.INVALID_CONTRACT)
        if _source.document is not None and current_settings().operations:
            from gateway_contracts.fuzz.documents import labels

            unknown = sorted(set(current_settings().operations) - set(labels(_source.document)))
            if unknown:  # a failing fuzz test that says so, as for a document that cannot be had: never a silent pass
                _source = replace(_source, document=None, problem=(
                    f"FUZZ_OPERATIONS (--fuzz-operations) names operations the document does not have: "
                    f"{', '.join(unknown)}; it has {', '.join(labels(_source.document))}"))
    return _source


def marks_selected(*marks: str) -> bool:
    """Could `-m` select a test carrying these marks? Test modules ask at import, before collection: schemathesis
    builds each parametrized test as it is collected (the nightly profile's coverage cases cost ~2 s per process),
    and `-m gate` would deselect the nightly ones right after. Any doubt (no run, an expression this cannot
    read) answers yes: building a test too many is only slower."""
    expression = getattr(getattr(_config, "option", None), "markexpr", "") if _config is not None else ""
    if not expression:
        return True
    try:
        from _pytest.mark.expression import Expression  # pytest's own reading of -m; private, hence the fallback

        return bool(Expression.compile(expression).evaluate(lambda name, **_: name in marks))
    except Exception:
        return True


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
    group.addoption("--fuzz-gate-profile", default=env_default("FUZZ_GATE_PROFILE"),
                    type=option_type("--fuzz-gate-profile", "FUZZ_GATE_PROFILE", one_of(*GATE_PROFILES)),
                    help="the profile of the gate's fuzz tests (env FUZZ_GATE_PROFILE): gate (the default; "
                    "100 cases per operation) or smoke (5: for testing the suite's plumbing, not an API)")
    group.addoption("--fuzz-operations", default=None, metavar="OPERATIONS",
                    help="only these operations of the document are fuzzed, comma-separated as the fuzz tests name "
                    "them ('GET /v1/models/search,POST /v1/chat/completions'; env FUZZ_OPERATIONS; default all)")
    group.addoption("--fuzz-spec", default=None, metavar="FILE|target",
                    help="the OpenAPI document fuzzed and compared for drift, instead of the one the contract names "
                    f"(key `openapi`); `{TARGET_SPEC}`: the target's own /openapi.json, restricted to the operations "
                    "the contract's document covers and judged by its responses (env FUZZ_SPEC)")


def pytest_configure(config: pytest.Config) -> None:
    global _active, _config, _source
    option = config.option
    _load_schemathesis_where_collected(config)
    try:
        settings = resolve_settings(option.fuzz_allowed_hosts, option.fuzz_allow_methods, option.fuzz_seed,
                                    option.fuzz_spec, Path(config.rootpath), option.fuzz_gate_profile,
                                    option.fuzz_operations)
    except SafetyError as exc:
        pytest.exit(f"gateway-contracts: invalid fuzz setting: {exc}", returncode=exitcodes.INVALID_CONTRACT)
    if settings.spec is not None and not settings.spec.is_file():
        pytest.exit(f"gateway-contracts: invalid fuzz setting: FUZZ_SPEC {settings.spec}: no such file",
                    returncode=exitcodes.INVALID_CONTRACT)
    if settings.spec is not None:
        from gateway_contracts.fuzz.documents import DocumentError, read_document

        try:  # here, once, rather than in every xdist worker's collection (where exiting is a crash)
            read_document(settings.spec)
        except DocumentError as exc:
            pytest.exit(f"gateway-contracts: invalid fuzz setting: FUZZ_SPEC {exc}",
                        returncode=exitcodes.INVALID_CONTRACT)
    config.stash[SETTINGS] = settings
    _active, _config, _source = settings, config, None


def _load_schemathesis_where_collected(config: pytest.Config) -> None:
    """The suite's xdist sessions block schemathesis' pytest plugin (`-p no:schemathesis`, cli.suite_args): the
    controller never collects, and importing schemathesis and hypothesis cost it ~0.4 s before it starts the
    workers. Every process that collects the fuzz tests (a worker, a run without xdist) loads it here."""
    manager = config.pluginmanager
    controller = not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))
    if controller or not manager.is_blocked(SCHEMATHESIS_PLUGIN):
        return
    import schemathesis.pytest.plugin

    if not manager.is_registered(schemathesis.pytest.plugin):
        manager.register(schemathesis.pytest.plugin, "gateway-contracts-schemathesis")


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return None
    unsafe = ",".join(sorted(settings.methods.allowed)) or "none"
    state = _state(config)
    document = settings.spec or getattr(getattr(state, "contract", None), "openapi", None)
    spec = ("the target's /openapi.json judged by " if settings.target_spec else "") + (
        str(document) if document else "none (the contract names no `openapi` document)")
    profile = "" if settings.gate_profile == "gate" else f"gate profile {settings.gate_profile} (FUZZ_GATE_PROFILE), "
    return (f"gateway-contracts fuzz: {profile}seed {settings.seed} (FUZZ_SEED), allowed hosts "
            f"{','.join(settings.allowed_hosts)}, unsafe methods allowed: {unsafe}; spec: {spec}")


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fuzz operations longest first, in the places they were collected in: under xdist the controller deals
    them out in this order (session/xdist.py), so the longest never starts last. The same order in every worker."""
    document = _source.document if _source is not None else None
    slots = [i for i, item in enumerate(items) if getattr(item, "operation_label", None)]
    if document is None or len(slots) < 2:
        return
    from gateway_contracts.fuzz.documents import generation_weight

    ordered = sorted((items[i] for i in slots), key=lambda item: -generation_weight(document, item.operation_label))
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fuzz_settings(pytestconfig: pytest.Config) -> FuzzSettings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def fuzz_target(catalogs: Any, suite_state: Any) -> Iterator[FuzzTarget]:
    """The session's target for schemathesis: its URL, key, timeout and this process's request budget."""
    # Imported here: schemathesis is heavy, and runs without fuzz tests never need it.
    from gateway_contracts.dialects.base import FUZZ_REGISTRY
    from gateway_contracts.fuzz import checks
    from gateway_contracts.fuzz.transport import FuzzTarget
    from gateway_contracts.invariants.registry import registry_names

    target = FuzzTarget(
        base_url=suite_state.target_url,
        api_key=suite_state.api_key,
        max_rps=suite_state.settings.max_rps,  # already this worker's share
        timeout_s=suite_state.settings.timeout_s,
        retries=suite_state.settings.retries,
        max_body_bytes=suite_state.settings.max_body_bytes,
        breaker=getattr(catalogs.client, "breaker", None),  # an offline store's client has none
    )
    # Valid `gateway` values: the contract's names plus what the live registry lists (the gate's own cached
    # request: no extra traffic), when the contract's API has a registry (the openai dialect has none).
    facts = checks.CatalogFacts.from_contract(suite_state.contract)
    if facts.reads(FUZZ_REGISTRY):
        live = catalogs.registry()
        facts = facts.with_registry(registry_names(live.json) if live.status == 200 else None)
    checks.configure(facts)
    checks.configure_redaction(target.redact)
    yield target
    target.write_counts(suite_state.cache_dir, extra_sent=_source.requests_sent if _source is not None else 0)
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


# -- the call: frame-stack headroom for Hypothesis ----------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A fuzz test is called as pytest calls it (its own arguments from the fixtures), through a frame that
    gives Hypothesis' recursion a frame-stack chunk of its own (fuzz/headroom.py: ~0.5 CPU-s of page faults
    less per process). Other tests, and every wrapper of this hook (schemathesis' among them), as before."""
    if not pyfuncitem.nodeid.startswith(FUZZ_TESTS):
        return None
    test, fixtures = pyfuncitem.obj, pyfuncitem.funcargs
    call_with_headroom(test, **{name: fixtures[name] for name in inspect.signature(test).parameters
                                if name in fixtures})
    return True


# -- every distinct failure of an operation, once, at the end of its item --------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A fuzz operation's cases record their failures instead of raising (FuzzTarget.call_and_validate), so
    Hypothesis spends the whole budget; the item then fails once with every distinct failure. Its case counts
    go to the JUnit property `fuzz_cases` (`generated=N passed=M failed=K`, read by the sign-off report)."""
    target = getattr(item, "funcargs", {}).get("fuzz_target")
    if target is None:
        return (yield)
    # A stateful test (the pagination walk) records its failures the same way, each at the operation it
    # happened on, and is judged against the known findings per operation.
    stateful = not getattr(item, "operation_label", None)
    log = target.start_item()
    try:
        result = yield
    finally:
        item.user_properties.append(("fuzz_cases", log.counts))
    failures = log.failures()
    for failure in failures:  # every distinct failure, one JUnit property each (the sign-off lists them)
        item.user_properties.append(("fuzz_failure", json.dumps(
            {"code": failure.code, "title": failure.title, "message": failure.message, "request": failure.request,
             "curl": log.curl(failure.code, failure.title)},
            ensure_ascii=False)))
    operations = [log.operations.get((f.code, f.title)) for f in failures] if stateful else ()
    judgement = known_outcomes.settle(item, failures, operations=operations)
    if judgement.accepted:
        known_outcomes.accept(judgement)
    unaccepted = [*judgement.new, *(f for f, _ in judgement.expired)]
    verdict = log.verdict({(f.code, f.title) for f in unaccepted})
    if verdict:
        pytest.fail(verdict, pytrace=False)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say it when the fuzz tests had nothing to fuzz (they skip; -ra lists them, this says why once)."""
    if hasattr(config, "workerinput") or (_source is None and not terminalreporter.stats.get("skipped")):
        return
    reasons = {str(report.longrepr[2]) for report in terminalreporter.stats.get("skipped", [])
               if report.nodeid.startswith(FUZZ_TESTS) and isinstance(report.longrepr, tuple)}
    for reason in sorted(r for r in reasons if "names no OpenAPI document" in r):
        terminalreporter.write_line(f"gateway-contracts: fuzz tests skipped: {reason.removeprefix('Skipped: ')}")


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
