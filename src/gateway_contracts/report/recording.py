"""The report's pytest side: what a run records for its reports, and when.

Loaded by gateway_contracts.plugin (which owns every option). Labels each contract test once for every
format (report/labels.py -> report/formats.py), loads and updates baselines, and at session end, once, on
the xdist controller or the single process, builds the run record from the run's recorded exchanges (it
never sends a request) with each section's facts (report/sections/), and hands it to every format the run
asked for (the run record file, Allure's environment).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.baseline import BaselineError, Snapshot, carry_first_seen
from gateway_contracts.baseline_file import default_path, load_baseline, save_baseline, utc_now
from gateway_contracts.report import evidence, facts
from gateway_contracts.report.formats import FORMATS
from gateway_contracts.report.interface import SessionEnd
from gateway_contracts.report.labels import is_contract, labels_of
from gateway_contracts.report.runrecord import build_record, narrowing, suite_version
from gateway_contracts.report.sections import SECTIONS
from gateway_contracts.session.known_outcomes import OUTCOMES as KNOWN_OUTCOMES
from gateway_contracts.session.state import STATE

BASELINE = pytest.StashKey[Snapshot | None]()
STARTED = pytest.StashKey[str]()
SUMMARY = pytest.StashKey[list[str]]()
BROKEN = pytest.StashKey[set[str]]()  # gateways (Allure features) with a failed or erroring test
SDK_SEEN = pytest.StashKey[dict[str, str]]()  # the OpenAI SDK listing's properties: sdk_models, sdk_scope
SDK_PROPERTIES = ("sdk_models", "sdk_scope")


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
    # The section facts' fixture and transport (report_fact), and a format's own pytest hooks (Allure's).
    for name, plugin in (("report-facts", facts), *((f"format-{fmt.name}", fmt) for fmt in FORMATS)):
        if not config.pluginmanager.is_registered(plugin):
            config.pluginmanager.register(plugin, f"gateway-contracts-{name}")
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


# -- labels: each contract test labelled once, for every format ----------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    aggregate = state.contract.aggregate.slug if state and state.contract.aggregate else None
    for item in items:
        if not is_contract(item):
            continue  # self-tests are not contracts
        labels = labels_of(item, aggregate)
        for fmt in FORMATS:
            fmt.label(item, labels)


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
    # As the entry point settled it (7: target unusable, 8: run deadline), or an expired known finding failed it.
    exitstatus = session.exitstatus
    state = _state(config)
    if _is_worker(config) or state is None or state.cache_dir is None or state.target_url is None:
        return  # no contract run (self-tests), or a worker: the controller does this once
    update = config.getoption("update_baseline", None)
    wanted = [fmt for fmt in FORMATS if fmt.enabled(config)]
    if not (update or wanted):
        return  # nothing asked for: skip re-reading the run's exchanges
    summary = config.stash[SUMMARY]
    store = evidence.offline_store(state.target_url, state.cache_dir, state.contract)
    target = "embedded reference gateway" if state.embedded is not None else state.target_url
    snapshot = evidence.snapshot(store, state.contract, target=target, suite_version=suite_version())
    if update:
        summary.append(_update_baseline(snapshot, update, state.target_url if state.embedded is None else None,
                                        int(exitstatus)))
    if not wanted:
        return
    given = facts.published(config)
    sections = {s.name: _redacted(s.collect(SessionEnd(state.contract, store, snapshot, given.get(s.name, {}))),
                                  state.redact) for s in SECTIONS}
    faults = list(config.option.reference_fault) + [
        f.strip() for f in os.environ.get("REFERENCE_FAULTS", "").split(",") if f.strip()]
    record = build_record(
        run=config.getoption("run_name", None), started_at=config.stash[STARTED], snapshot=snapshot,
        contract=state.contract, exit_status=int(exitstatus), target_description=state.redact(state.description),
        embedded=state.embedded is not None, faults=faults if state.embedded is not None else [],
        envelope_totals={slug: store.walk(slug).total for slug in snapshot.gateways},
        baseline=config.stash[BASELINE], baseline_path=config.getoption("baseline", None),
        junit=getattr(config.option, "xmlpath", None), root=Path(config.rootpath), spec_hash=evidence.spec_hash(store),
        gateways_selected=config.option.gateways, broken=sorted(config.stash[BROKEN]),
        narrowed=narrowing(config.option.keyword, config.args),
        known=[o.as_record() for o in config.stash.get(KNOWN_OUTCOMES, [])],
        strict_known=bool(config.getoption("strict_known", False)), sections=sections,
    )
    for fmt in wanted:
        line = fmt.finish(record, config)
        if line:
            summary.append(line)


def _redacted(value: Any, redact: Any) -> Any:
    """A section's facts with the key filtered out of every string (they may quote what a target answered)."""
    return None if value is None else json.loads(redact(json.dumps(value)))


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
