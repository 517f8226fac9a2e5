"""Reporting hooks: baselines (compare and update), the run record and history, Allure labels and environment.

Loaded by gateway_contracts.plugin (which owns every option). Session-end work runs once, on the xdist
controller or the single process, over the run's recorded exchanges: it never sends a request.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.baseline import BaselineError, Snapshot, carry_first_seen
from gateway_contracts.baseline_file import default_path, load_baseline, save_baseline, utc_now
from gateway_contracts.contract import Gateway
from gateway_contracts.report import evidence
from gateway_contracts.report.runrecord import build_record, narrowing, suite_version, write_record
from gateway_contracts.session.known_outcomes import OUTCOMES as KNOWN_OUTCOMES
from gateway_contracts.session.state import STATE

BASELINE = pytest.StashKey[Snapshot | None]()
STARTED = pytest.StashKey[str]()
SUMMARY = pytest.StashKey[list[str]]()
BROKEN = pytest.StashKey[set[str]]()  # gateways (Allure features) with a failed or erroring test
SDK_SEEN = pytest.StashKey[dict[str, str]]()  # the OpenAI SDK listing's properties: sdk_models, sdk_scope
SDK_PROPERTIES = ("sdk_models", "sdk_scope")
API = "api"  # the Allure feature of tests that are about no single gateway
FUZZ = "fuzz"  # the Allure feature of schemathesis tests (the report groups them by operation instead)
RELEASE_MARKS = frozenset({"gate", "nightly", "signoff", "keyed"})  # written as the JUnit property `marks`

# Allure severities (`@pytest.mark.severity(...)` on a contract; unmarked ones are "normal"). Keyed by a marker,
# not by the test's name, so a rename keeps the severity.
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
DEFAULT_SEVERITY = "normal"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _state(config: pytest.Config) -> Any:
    return config.stash.get(STATE, None)


# -- configuration ---------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.stash[STARTED] = utc_now()
    config.stash[SUMMARY] = []
    config.stash[BROKEN] = set()
    config.stash[SDK_SEEN] = {}
    if not _is_worker(config):
        config.pluginmanager.register(_Outcomes(config.stash[BROKEN], config.stash[SDK_SEEN]),
                                      "gateway-contracts-outcomes")
    if getattr(config.option, "allure_report_dir", None):
        # allure-pytest attaches captured stdout and logs to every result, passing ones too: never here.
        config.option.attach_capture = False
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)  # DEBUG records carry request headers
    config.stash[BASELINE] = None
    path = config.getoption("baseline", None)
    if path:
        try:
            config.stash[BASELINE] = load_baseline(path)
        except BaselineError as exc:
            pytest.exit(f"gateway-contracts: invalid baseline: {exc}", returncode=exitcodes.INVALID_CONTRACT)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def baseline(pytestconfig: pytest.Config) -> Snapshot:
    """The baseline given with BASELINE / --baseline; its tests skip when there is none."""
    snapshot = pytestconfig.stash.get(BASELINE, None)
    if snapshot is None:
        pytest.skip("no baseline given: BASELINE=FILE (--baseline FILE) compares with a snapshot from `make baseline`")
    return snapshot


# -- labels: gateway as feature, invariant as story, severity --------------------------------------


def labels_of(item: pytest.Item, aggregate: str | None) -> tuple[str, str, str]:
    """(feature, story, severity) of a test: the gateway it checks, the contract, how bad a failure is."""
    name = getattr(item, "originalname", item.name)
    params = getattr(getattr(item, "callspec", None), "params", {})
    fixtures = getattr(item, "fixturenames", ())
    if "fuzz" in item.keywords:
        feature = FUZZ
    elif "aggregate" in fixtures and aggregate:
        feature = aggregate
    elif isinstance(params.get("gateway"), Gateway):
        feature = params["gateway"].slug
    else:
        feature = API
    story = name.removeprefix("test_").replace("_", " ")
    return feature, story, severity_of(item)


def severity_of(item: pytest.Item) -> str:
    """The test's `severity` marker (the closest one), else "normal"; a value Allure does not know fails the
    collection with one line naming the test."""
    marker = item.get_closest_marker("severity")
    if marker is None:
        return DEFAULT_SEVERITY
    value = marker.args[0] if marker.args else marker.kwargs.get("level")
    if value not in SEVERITIES:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.severity({value!r}): expected one of "
                                f"{', '.join(SEVERITIES)}")
    return str(value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    aggregate = state.contract.aggregate.slug if state and state.contract.aggregate else None
    allure = config.pluginmanager.hasplugin("allure_pytest")
    for item in items:
        if "catalogs" not in getattr(item, "fixturenames", ()) and "fuzz" not in item.keywords:
            continue  # self-tests are not contracts
        feature, story, severity = labels_of(item, aggregate)
        # JUnit properties: the sign-off report groups results by gateway from these, and knows a skipped keyed
        # contract (chat not checked) by its marks, whatever its skip reason says.
        marks = " ".join(sorted({m.name for m in item.iter_markers()} & RELEASE_MARKS))
        if feature != FUZZ:
            item.user_properties += [("gateway", feature), ("invariant", story), ("marks", marks)]
        if allure:
            have = {m.kwargs.get("label_type") for m in item.iter_markers("allure_label")}
            for label_type, value in (("feature", feature), ("story", story), ("severity", severity)):
                if label_type not in have:  # a test's own allure mark wins
                    item.add_marker(pytest.mark.allure_label(value, label_type=label_type))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # Allure shows parameters by repr: a Gateway dataclass becomes a wall of text. Show its slug.
    params = getattr(getattr(item, "callspec", None), "params", {})
    if isinstance(params.get("gateway"), Gateway) and item.config.pluginmanager.get_plugin("allure_listener"):
        import allure

        allure.dynamic.parameter("gateway", params["gateway"].slug)


class _Outcomes:
    """Which gateways had a broken contract (for the trend's red points), and how many models the OpenAI SDK
    listed (for the run summary); sees worker reports under xdist."""

    def __init__(self, broken: set[str], sdk_seen: dict[str, str]) -> None:
        self.broken = broken
        self.sdk_seen = sdk_seen

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.sdk_seen.update((k, str(v)) for k, v in report.user_properties if k in SDK_PROPERTIES)
        if report.failed:
            gateway = next((v for k, v in report.user_properties if k == "gateway"), None)
            if gateway:
                self.broken.add(str(gateway))


# -- session end: baseline, run record, Allure environment -----------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    exitstatus = session.exitstatus  # an expired known finding may have failed the run (session/known.py)
    state = _state(config)
    if _is_worker(config) or state is None or state.cache_dir is None or state.target_url is None:
        return  # no contract run (self-tests), or a worker: the controller does this once
    update, run = config.getoption("update_baseline", None), config.getoption("run_name", None)
    exitstatus = session.exitstatus  # as the entry point settled it (7: target unusable, 8: run deadline)
    alluredir = getattr(config.option, "allure_report_dir", None)
    if not (update or run or alluredir):
        return  # nothing asked for: skip re-reading the run's exchanges
    summary = config.stash[SUMMARY]
    store = evidence.offline_store(state.target_url, state.cache_dir, state.contract)
    target = "embedded reference gateway" if state.embedded is not None else state.target_url
    snapshot = evidence.snapshot(store, state.contract, target=target, suite_version=suite_version())
    if update:
        summary.append(_update_baseline(snapshot, update, state.target_url if state.embedded is None else None,
                                        int(exitstatus)))
    spec_hash = evidence.spec_hash(store)
    if run:
        faults = list(config.option.reference_fault) + [
            f.strip() for f in os.environ.get("REFERENCE_FAULTS", "").split(",") if f.strip()]
        record = build_record(
            run=run, started_at=config.stash[STARTED], snapshot=snapshot, contract=state.contract,
            exit_status=int(exitstatus), target_description=state.redact(state.description),
            embedded=state.embedded is not None, faults=faults if state.embedded is not None else [],
            envelope_totals={slug: store.walk(slug).total for slug in snapshot.gateways},
            aliases=evidence.alias_facts(store, state.contract),
            required=evidence.required_facts(store, state.contract),
            baseline=config.stash[BASELINE], baseline_path=config.getoption("baseline", None),
            junit=getattr(config.option, "xmlpath", None), root=Path(config.rootpath), spec_hash=spec_hash,
            gateways_selected=config.option.gateways, broken=sorted(config.stash[BROKEN]),
            narrowed=narrowing(config.option.keyword, config.args),
            known=[o.as_record() for o in config.stash.get(KNOWN_OUTCOMES, [])],
            strict_known=bool(config.getoption("strict_known", False)),
        )
        path = write_record(record, Path(config.option.reports_dir))
        summary.append(f"gateway-contracts: run record {path}; history {path.parent / 'history.jsonl'}")
    if alluredir:
        write_allure_environment(Path(alluredir), {
            "target.url": state.target_url, "target.version": snapshot.target_version or "unknown",
            "suite.version": snapshot.suite_version, "git.sha": _git_sha(config), "spec.hash": spec_hash or "unknown",
            "contract": str(state.contract.path), "run": run or "", "gateways": config.option.gateways or "all",
            "baseline": config.getoption("baseline", None) or "none",
            # Allure's environment panel: the entries' outcomes (each seen one is also its test's xfail + issue link).
            **{f"known.{o.status.replace(' ', '_')}.{i}": o.entry.label
               for i, o in enumerate(config.stash.get(KNOWN_OUTCOMES, []))},
        }, redact=state.redact)


def _git_sha(config: pytest.Config) -> str:
    from gateway_contracts.report.runrecord import git_sha

    return git_sha(Path(config.rootpath)) or "unknown"


def _update_baseline(snapshot: Snapshot, where: str, target_url: str | None, exitstatus: int) -> str:
    path = default_path(target_url) if where == "auto" else Path(where)
    if exitstatus != 0:
        return (f"gateway-contracts: baseline NOT written to {path}: the run did not pass (status {exitstatus}); "
                "a baseline must be a healthy snapshot")
    if not snapshot.gateways:
        return f"gateway-contracts: baseline NOT written to {path}: the run walked no gateway"
    previous = None
    note = ""
    if path.exists():
        try:
            previous = load_baseline(path)
        except BaselineError as exc:
            note = f" (the previous file was unreadable and is replaced: {exc})"
    save_baseline(carry_first_seen(snapshot, previous), path)
    counts = ", ".join(f"{slug} {g.unique:,}" for slug, g in snapshot.gateways.items())
    return f"gateway-contracts: baseline written to {path} ({snapshot.taken_at}): {counts}{note}"


def write_allure_environment(alluredir: Path, values: dict[str, Any], *, redact: Any) -> Path:
    """The report's metadata panel: target, versions, sha, spec hash. Values pass the key redactor."""
    alluredir.mkdir(parents=True, exist_ok=True)
    path = alluredir / "environment.properties"
    lines = [f"{key}={_escape(redact(str(value)))}" for key, value in values.items() if value not in (None, "")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _escape(value: str) -> str:
    # Java properties: backslash, newlines and leading spaces would change the meaning.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "")


def sdk_line(seen: dict[str, str]) -> str | None:
    """`an OpenAI SDK user sees 100 models (gatewayz: the default page (...))`, when the SDK listed them."""
    models = seen.get("sdk_models")
    if models is None or not models.isdigit():
        return None
    scope = f" ({seen['sdk_scope']})" if seen.get("sdk_scope") else ""
    return f"gateway-contracts: an OpenAI SDK user sees {int(models):,} models{scope}"


@pytest.hookimpl(trylast=True)  # after the target and request-count lines
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _is_worker(config):
        return
    sdk = sdk_line(config.stash.get(SDK_SEEN, {}))
    for line in [*([sdk] if sdk else []), *config.stash.get(SUMMARY, [])]:
        terminalreporter.write_line(line)
