"""The run counts every request it sends, fuzzing included, across xdist workers; each fuzz operation records
its case counts for the sign-off report; a contract without a document says so instead of passing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gateway_testbed.reference import EmbeddedGateway
from tests.self.suite_run import SMOKE_FUZZ, reference_contract_text, run_suite

pytestmark = pytest.mark.slow
KEY = "counts-test-key"
FUZZ_CASES = re.compile(r"^generated=(\d+) passed=(\d+) failed=(\d+)$")


def fuzz_cases(junit: Path | None) -> dict[str, str]:
    """JUnit name -> its `fuzz_cases` property."""
    assert junit is not None
    return {case.get("name", ""): prop.get("value", "") for case in ET.parse(junit).iter("testcase")
            for prop in case.iter("property") if prop.get("name") == "fuzz_cases"}


def test_summary_counts_every_request_the_server_saw(tmp_path: Path) -> None:
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        run = run_suite(("tests/fuzz", "-m", "gate", "-p", "xdist", "-n", "2", "-k", "health or search"), tmp_path,
                        env={"TARGET_URL": gateway.url, "GATEWAY_API_KEY": KEY, "MAX_RPS": "0", **SMOKE_FUZZ})
        served = gateway.stats()["requests_total"]
    assert run.status == 0, run.output[-3000:]
    summary = re.search(r"gateway-contracts: (\d+) distinct requests, (\d+) sent "
                        r"\(fuzzing: (\d+) distinct, (\d+) sent\)", run.output)
    assert summary, run.output[-2000:]
    assert int(summary.group(2)) == served, f"the summary says {summary.group(0)!r}; the server served {served}"
    generated = sum(int(FUZZ_CASES.match(value)[1]) for value in fuzz_cases(run.junit).values())  # type: ignore[index]
    assert generated > 0
    assert int(summary.group(4)) >= generated, f"every fuzz case is counted: {summary.group(0)!r}, {generated} cases"


def test_each_fuzz_operation_records_its_case_counts(tmp_path: Path) -> None:
    run = run_suite(("tests/fuzz", "-m", "gate", "-k", "health or (gateways and not status)", "--reference-fault",
                     "schema-break"),
                    tmp_path, env=SMOKE_FUZZ)
    assert run.status == 1, run.output[-3000:]
    properties = fuzz_cases(run.junit)
    assert set(properties) == {"test_fuzz_gate[GET /health]", "test_fuzz_gate[GET /v1/gateways]"}
    for name, value in properties.items():
        match = FUZZ_CASES.match(value)
        assert match, value
        generated, passed, failed = map(int, match.groups())
        assert generated == passed + failed
        assert generated >= 1
        assert (failed > 0) == (name == "test_fuzz_gate[GET /v1/gateways]"), value


def contract_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "contracts"


def test_a_contract_without_a_document_skips_fuzzing_and_says_why(tmp_path: Path) -> None:
    contract = tmp_path / "bare.yaml"
    source = reference_contract_text()
    contract.write_text(re.sub(r"(?m)^openapi: .*\n", "", source), encoding="utf-8")
    run = run_suite(("tests/fuzz", "-m", "gate"), tmp_path, env={"CONTRACTS": str(contract), **SMOKE_FUZZ})
    assert run.status == 0, run.output[-3000:]
    assert run.skipped == {"test_fuzz_gate"}
    assert f"gateway-contracts: fuzz tests skipped: the contract {contract} names no OpenAPI document" in run.output
