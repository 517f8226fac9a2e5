"""End to end: the differential gate (COMPARE_URL) against reference gateways as production and as candidate.

Two reference gateways in this process are production: one healthy, one whose order and health-gated rows flap
between reads (`unstable-order`, `health-gated-flap`). Each fault of a deploy (removed models, prices in
per-million notation, zeroed context, a renamed gateway, a duplicated block) is compared in-process through
`production.read` and the differential core, each expected to fail by its own finding; then a few suite runs
show the wiring: the contract tests fail on those findings and write reports/changes.json and the run record's
`changes`, production is only read (GET of the catalog routes, never fuzzed, no chat, its key never printed),
a flapping production charges the candidate nothing, and the refusals (exit 6, exit 7) are one line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway_contracts import production
from gateway_contracts.contract import Contract, load_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.differential import CatalogDiff, Side, side_of
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.store import CatalogStore
from gateway_testbed.reference import EmbeddedGateway
from tests.self.suite_run import SMOKE_FUZZ, SuiteRun, assert_one_line_exit, reference_contract_text, run_suite

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "contracts" / "gateways.yaml"
COMPARE_KEY = "gwc-compare-canary-3b7e91d2"  # production's key: never written anywhere
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("deploy-changes")]


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT)


@pytest.fixture(scope="module")
def healthy_production() -> Iterator[EmbeddedGateway]:
    with EmbeddedGateway() as gateway:
        yield gateway


@pytest.fixture(scope="module")
def flapping_production() -> Iterator[EmbeddedGateway]:
    with EmbeddedGateway(faults=["unstable-order", "health-gated-flap"]) as gateway:
        yield gateway


def read_production(url: str, where: Path, contract: Contract) -> production.Production:
    assert production.read(url, None, ClientSettings(), where, contract) is None
    return production.recorded(url, where, contract)


@pytest.fixture(scope="module")
def recorded(healthy_production: EmbeddedGateway, contract: Contract,
             tmp_path_factory: pytest.TempPathFactory) -> production.Production:
    return read_production(healthy_production.url, tmp_path_factory.mktemp("production"), contract)


@functools.cache
def candidate(faults: tuple[str, ...]) -> tuple[dict[str, Side], Exchange]:
    """A candidate's catalogs (a reference gateway with `faults`, read once per module) and its registry answer."""
    contract = load_contract(CONTRACT)
    with EmbeddedGateway(faults=faults) as gateway:
        client = GatewayClient(gateway.url)
        store = CatalogStore(client, contract)
        sides = {name: side_of(name, store.walk(name), pairs=pairs)
                 for name, _required, pairs in production.catalogs_of(contract)}
        registry = store.registry()
        client.close()
    return sides, registry


def compare_with(prod: production.Production, contract: Contract, faults: list[str]) -> dict[str, CatalogDiff]:
    """Every catalog of a candidate (a reference gateway with `faults`) compared with production, and the registry's
    changes under the key `registry`."""
    sides, answer = candidate(tuple(faults))
    diffs = {name: prod.compare(name, sides[name], contract, required, pairs=pairs)
             for name, required, pairs in production.catalogs_of(contract)}
    registry, _ = prod.compare_registry(answer)
    diffs["registry"] = CatalogDiff("registry", 200, 200, 0, 0, 0, 0, tuple(registry), diffs["all"].noise)
    return diffs


def failing(diffs: dict[str, CatalogDiff]) -> dict[str, set[str]]:
    return {name: {c.kind for c in d.failing} for name, d in diffs.items() if d.failing}


def test_a_healthy_candidate_changes_nothing(recorded: production.Production, contract: Contract) -> None:
    diffs = compare_with(recorded, contract, [])
    assert failing(diffs) == {}
    assert all(d.changes == () for d in diffs.values())


# fault -> the catalogs that must fail, each with the finding kinds it must fail by
DEPLOY_FAULTS = {
    "hf-partial-load": {"huggingface": {"compare-ids-removed", "compare-count"}},
    "prices-per-million": {"deepinfra": {"compare-price"}, "all": {"compare-price"}},
    "context-unknown": {"deepinfra": {"compare-context-zeroed"}, "all": {"compare-context-zeroed"}},
    # The aggregate still serves huggingface's rows (under the new name): only the slug and the registry change.
    "gateway-renamed": {"huggingface": {"compare-ids-removed", "compare-count"},
                        "registry": {"compare-registry-lost"}},
    "hf-duplicate-block": {"huggingface": {"compare-ids-removed", "compare-duplicates"},
                           "all": {"compare-ids-removed", "compare-duplicates"}},
}


@pytest.mark.parametrize("fault", sorted(DEPLOY_FAULTS))
def test_each_deploy_fault_fails_by_its_own_finding(fault: str, recorded: production.Production,
                                                    contract: Contract) -> None:
    diffs = compare_with(recorded, contract, [fault])
    assert failing(diffs) == DEPLOY_FAULTS[fault]


def test_per_million_prices_name_the_factor_and_the_unit(recorded: production.Production, contract: Contract) -> None:
    change = compare_with(recorded, contract, ["prices-per-million"])["deepinfra"].of("compare-price")
    assert change is not None
    assert change.detail == {"factor": 1_000_000.0, "unit_change": "per-million"}
    assert change.count == 215  # every deepinfra row: every one is priced
    assert "x1,000,000 (a unit change: per-million)" in change.message


def test_a_renamed_gateway_is_lost_and_gained_in_the_registry(recorded: production.Production,
                                                              contract: Contract) -> None:
    registry = compare_with(recorded, contract, ["gateway-renamed"])["registry"]
    assert {c.kind: c.ids for c in registry.changes} == {"compare-registry-lost": ("huggingface",),
                                                         "compare-registry-gained": ("hugging-face",)}


def test_a_flapping_production_is_noise_never_charged(flapping_production: EmbeddedGateway, contract: Contract,
                                                      tmp_path: Path) -> None:
    prod = read_production(flapping_production.url, tmp_path, contract)
    diffs = compare_with(prod, contract, [])
    assert failing(diffs) == {}
    assert diffs["all"].noise.reordered
    assert diffs["featherless"].noise.flapping  # a hundredth of the rows left out of the second read


def test_production_that_cannot_be_read_is_named(contract: Contract, tmp_path: Path) -> None:
    with EmbeddedGateway(faults=["gateway-503"]) as broken:
        url = broken.url
        problem = production.read(url, None, ClientSettings(retries=0), tmp_path, contract)
    assert problem is not None
    assert problem.startswith(f"production {url} cannot be read: GET {url}/v1/models?gateway=deepinfra")


# -- suite runs: the wiring --------------------------------------------------------------------------------


def suite(tmp: Path, *args: str, env: dict[str, str] | None = None) -> SuiteRun:
    return run_suite(["tests/contract", "-m", "gate", "--reports-dir", str(tmp), *args], tmp,
                     env={"MAX_RPS": "0", **(env or {})}, timeout=600)


def stats(gateway: EmbeddedGateway) -> dict[str, int]:
    return httpx.get(f"{gateway.url}/_reference/stats").json()["by_path"]


def test_the_gate_fails_on_a_deploys_changes_and_writes_them_down(tmp_path: Path) -> None:
    with EmbeddedGateway() as prod:
        url = prod.url
        before = stats(prod)
        # Fuzzing too, with production's host on the allow-list: production is still only read.
        # The contract tests that compare, and the fuzzer's (the rest of the gate is what every other run shows).
        run = run_suite(["tests/contract", "tests/fuzz", "-m", "gate", "-k", "deploy_changes or test_fuzz_gate",
                         "--reports-dir", str(tmp_path),
                         "--run-name", "deploy", "--reference-fault", "prices-per-million",
                         "--reference-fault", "hf-partial-load"], tmp_path,
                        env={"MAX_RPS": "0", "COMPARE_URL": prod.url, "COMPARE_API_KEY": COMPARE_KEY,
                             "FUZZ_ALLOWED_HOSTS": "127.0.0.1", **SMOKE_FUZZ}, timeout=600)
        after = stats(prod)
    assert run.status == 1, run.output[-3000:]
    assert set(run.failed) == {"test_gateway_changes_with_deploy[huggingface]",
                               "test_gateway_changes_with_deploy[deepinfra]", "test_aggregate_changes_with_deploy"}
    assert "GC805" in run.failed["test_gateway_changes_with_deploy[deepinfra]"]
    assert "per-million" in run.failed["test_gateway_changes_with_deploy[deepinfra]"]
    assert "GC801" in run.failed["test_gateway_changes_with_deploy[huggingface]"]
    # Production: GETs of the catalog routes (model lists, the registry) and nothing else; the stats route is ours.
    read = {path: after[path] - before.get(path, 0) for path in after if after[path] != before.get(path, 0)}
    assert set(read) - {"/_reference/stats"} == {"/v1/models", "/v1/gateways"}, read
    changes = json.loads((tmp_path / "changes.json").read_text())
    by_name = {c["name"]: c for c in changes["catalogs"]}
    price = next(c for c in by_name["deepinfra"]["changes"] if c["code"] == "GC805")
    assert price["fails"]
    assert price["detail"] == {"factor": 1_000_000.0, "unit_change": "per-million"}
    assert price["count"] == 215
    assert changes["production"] == url
    record = json.loads((tmp_path / "run-deploy.json").read_text())
    assert record["changes"] == changes
    assert "compared with production" in run.output
    for text in (run.output, (tmp_path / "changes.json").read_text(), (tmp_path / "run-deploy.json").read_text()):
        assert COMPARE_KEY not in text


def test_a_flapping_production_fails_nothing(tmp_path: Path, flapping_production: EmbeddedGateway) -> None:
    # Under xdist: the workers read production's recorded reads and send their facts to the controller.
    run = suite(tmp_path, "-k", "deploy_changes", "-p", "xdist", "-n", "2",
                env={"COMPARE_URL": flapping_production.url})
    assert run.status == 0, run.output[-3000:]
    assert len(run.with_outcome("passed")) == 15  # 13 gateways, the aggregate, the registry
    changes = json.loads((tmp_path / "changes.json").read_text())
    assert changes["failing"] == 0
    assert {c["name"] for c in changes["catalogs"] if c["noise"]["flapping_count"]} >= {"featherless", "all"}
    assert "production's own noise in" in run.output


def test_without_compare_url_nothing_changes(tmp_path: Path) -> None:
    run = suite(tmp_path, "-k", "deploy_changes")
    assert run.status == 0, run.output[-3000:]
    assert run.with_outcome("passed") == set()
    assert len(run.with_outcome("skipped")) == 15
    assert not (tmp_path / "changes.json").exists()


def test_refusals_are_one_line(tmp_path: Path, healthy_production: EmbeddedGateway) -> None:
    with EmbeddedGateway() as gone:
        url = gone.url
    unreadable = suite(tmp_path, "-k", "deploy_changes", env={"COMPARE_URL": url})
    assert_one_line_exit(unreadable, 7, f"production {url} cannot be read")
    itself = suite(tmp_path, "-k", "deploy_changes", env={
        "TARGET_URL": healthy_production.url, "COMPARE_URL": healthy_production.url + "/", "KEYLESS": "1"})
    assert_one_line_exit(itself, 6, "COMPARE_URL (--compare-url) is TARGET_URL")
    bad = tmp_path / "bad.yaml"
    bad.write_text(reference_contract_text(CONTRACT)
                   + "\ncompare:\n  price_fail_factor: 0.5\n")
    invalid = suite(tmp_path, "-k", "deploy_changes",
                    env={"CONTRACTS": str(bad), "COMPARE_URL": healthy_production.url})
    assert_one_line_exit(invalid, 6, "compare.price_fail_factor")


def test_a_known_finding_accepts_a_deploy_change(tmp_path: Path, healthy_production: EmbeddedGateway) -> None:
    contract = tmp_path / "known.yaml"
    contract.write_text(
        reference_contract_text(CONTRACT)
        + "\nknown_findings:\n  - code: GC805\n    where: test_gateway_changes_with_deploy[deepinfra]\n"
          "    gateway: deepinfra\n    reason: deepinfra moves to per-million prices on purpose\n"
          "    ticket: PRICE-1\n    expires: 2099-01-01\n")
    run = suite(tmp_path, "-k", "deploy_changes", "--reference-fault", "prices-per-million",
                env={"CONTRACTS": str(contract), "COMPARE_URL": healthy_production.url})
    assert run.status == 1, run.output[-3000:]
    # The entry accepts deepinfra's repricing (known: skipped in JUnit); the aggregate's is not covered by it.
    assert "test_gateway_changes_with_deploy[deepinfra]" in run.with_outcome("skipped")
    assert set(run.failed) == {"test_aggregate_changes_with_deploy"}
