"""End to end: a nightly run against a baseline catches a count drop that stays above the floor.

The suite runs in subprocesses against the embedded reference gateway: a baseline from the healthy
gateway, then the `hf-partial-load` fault (HuggingFace 1,204 -> 1,050 models; floor 1,000) with and
without that baseline. Along the way: the run record, history, JUnit, Allure results and the sign-off
report, none of which may hold the API key.
"""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gateway_testbed.reference import FAULTS, create_app
from tests.self.suite_run import SuiteRun, run_suite

ROOT = Path(__file__).resolve().parents[3]
CANARY = "gwc-canary-key-5f1d0c9e7a"  # an API key that must never be written anywhere
# One worker runs this module: its suite runs are a module fixture, which every xdist worker holding one of its
# tests would otherwise run again (`--dist loadgroup`, as make test runs).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("baseline-nightly")]


def suite(tmp: Path, run: str, *args: str, workers: int = 0) -> SuiteRun:
    """One suite run; `workers` > 0 runs it under xdist (the controller then snapshots from the shared cache)."""
    env = {"GATEWAY_API_KEY": CANARY}  # the package comes from the venv's editable install, as in make gate
    return run_suite(["tests/contract", "-p", "xdist", "-n", str(workers), "--run-name", run, "--reports-dir", str(tmp),
                      f"--junitxml={tmp}/junit-{run}.xml", f"--alluredir={tmp}/allure-{run}", "--allure-no-capture",
                      *args], env=env, timeout=600)


def failed_tests(junit: Path) -> dict[str, str]:
    root = ET.parse(junit).getroot()
    return {case.get("name", ""): (case.find("failure").text or "") for case in root.iter("testcase")  # type: ignore[union-attr]
            if case.find("failure") is not None}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SuiteRun]]:
    tmp = tmp_path_factory.mktemp("nightly")
    done = {"baseline": suite(tmp, "baseline", "--update-baseline", str(tmp / "baseline.json"))}
    done["nightly"] = suite(tmp, "nightly", "--baseline", str(tmp / "baseline.json"),
                            "--reference-fault", "hf-partial-load", workers=2)
    done["gate"] = suite(tmp, "gate", "--reference-fault", "hf-partial-load")
    return tmp, done


def test_the_fault_drops_huggingface_above_its_floor_and_beyond_the_tolerance() -> None:
    with warnings.catch_warnings():  # starlette's TestClient warns about httpx on import; not our concern
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    assert "hf-partial-load" in FAULTS
    with TestClient(create_app(faults=["hf-partial-load"])) as client:
        body = client.get("/v1/models", params={"gateway": "huggingface", "limit": 1}).json()
        hug = client.get("/v1/models", params={"gateway": "hug", "limit": 1}).json()
    assert body["total"] == hug["total"] == 1050  # floor 1,000; 1,204 healthy: -12.8 %, tolerance 10 %


def test_the_healthy_snapshot_is_written(runs: tuple[Path, dict]) -> None:
    tmp, done = runs
    assert done["baseline"].status == 0, done["baseline"].stdout[-3000:]
    assert f"baseline written to {tmp / 'baseline.json'}" in done["baseline"].stdout
    snapshot = json.loads((tmp / "baseline.json").read_text())
    hf = snapshot["gateways"]["huggingface"]
    assert (hf["unique"], len(hf["ids"]), hf["required"]) == (1204, 1204, {"katanemo/Arch-Router-1.5B": True})
    assert snapshot["target_version"] == "reference-1.0.0"
    assert hf["latency"]["requests"] >= 2


def test_nightly_against_the_baseline_fails_naming_gateway_counts_and_vanished_ids(runs: tuple[Path, dict]) -> None:
    tmp, done = runs
    assert done["nightly"].status == 1, done["nightly"].stdout[-3000:]
    failed = failed_tests(tmp / "junit-nightly.xml")
    assert list(failed) == ["test_gateway_matches_baseline[huggingface]"]
    text = failed["test_gateway_matches_baseline[huggingface]"]
    assert "[baseline-count-drop] huggingface: 1,050 distinct models" in text
    assert "had 1,204 (-12.8 %, beyond the 10 % tolerance); 154 ids vanished" in text
    assert "evidence: '" in text
    assert "(+149 more)" in text
    assert "request: GET http://127.0.0.1:" in text


def test_the_same_run_without_a_baseline_passes(runs: tuple[Path, dict]) -> None:
    _, done = runs
    assert done["gate"].status == 0, done["gate"].stdout[-3000:]
    assert "no baseline given" in done["gate"].stdout


def test_run_records_history_and_report(runs: tuple[Path, dict]) -> None:
    tmp, _ = runs
    history = [json.loads(line) for line in (tmp / "history.jsonl").read_text().splitlines()]
    assert [h["run"] for h in history] == ["baseline", "nightly", "gate"]
    assert [h["counts"]["huggingface"] for h in history] == [1204, 1050, 1050]
    assert history[1]["broken"] == ["huggingface"]
    assert history[1]["faults"] == ["hf-partial-load"]
    record = json.loads((tmp / "run-nightly.json").read_text())
    hf = next(g for g in record["gateways"] if g["gateway"] == "huggingface")
    assert (hf["total"], hf["unique"], hf["duplicates"], hf["floor"]) == (1050, 1050, 0, 1000)
    assert hf["baseline"]["unique"] == 1204
    assert hf["baseline"]["vanished"] == 154
    from gateway_contracts.report.__main__ import main

    assert main(["--reports-dir", str(tmp), "--run", "nightly", "--out", str(tmp / "out")]) == 0
    html = (tmp / "out" / "signoff.html").read_text()
    assert "NOT READY TO SIGN" in html
    assert "1,204 → 1,050 (-12.8 %)" in html
    assert "<svg" in html
    assert "http://" not in html.replace("http://127.0.0.1", "").replace("http://www.w3", "")
    # The values scorecard: in the record of an xdist run (the reference share published by a worker),
    # a trend point in every history line, and in the page with the drop since the baseline run as an arrow.
    scores = {g["gateway"]: g["measures"] for g in record["scorecard"]}
    assert scores["huggingface"]["rows"] == {"value": 1050, "bound": 5000, "low": 1000}
    assert scores["openrouter"]["reference_mismatch"] == {"value": 0.0, "bound": 0.1, "low": None}
    assert [h["scorecard"]["huggingface"]["rows"] for h in history] == [1204, 1050, 1050]
    assert "<h2>Values scorecard</h2>" in html
    assert "huggingface rows: 1,050 (bound 1,000..5,000)" in html
    assert ">1,050 \u2193</text>" in html


def test_no_output_holds_the_key(runs: tuple[Path, dict]) -> None:
    tmp, done = runs
    leaks = [str(p) for p in tmp.rglob("*") if p.is_file() and CANARY in p.read_text(errors="replace")]
    assert leaks == []
    assert all(CANARY not in r.stdout + r.stderr for r in done.values())
    env = (tmp / "allure-nightly" / "environment.properties").read_text()
    assert "target.version=reference-1.0.0" in env
    assert "spec.hash=" in env
    assert "git.sha=" in env
    result = json.loads(next((tmp / "allure-nightly").glob("*-result.json")).read_text())
    assert not result.get("attachments")  # --allure-no-capture: no stdout or logs attached


def test_an_unreadable_baseline_ends_the_run_with_status_6(tmp_path: Path) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text('{"format": 1, "taken_at": "2026-01-01T00:00:00Z"}')
    result = suite(tmp_path, "bad", "--baseline", str(bad))
    assert result.status == 6
    assert f"invalid baseline: {bad}: gateways: required key is missing" in result.stdout + result.stderr
