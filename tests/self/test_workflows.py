"""The example CI workflows are valid YAML, call the same make targets as a laptop, and pass the key only
through the environment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# workflow -> make targets its steps must call
EXPECTED = {"gate.yml": {"gate"}, "nightly.yml": {"nightly", "baseline", "report"},
            "signoff.yml": {"signoff", "report"}}


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True)) or {}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_workflow_is_valid_and_calls_the_make_targets(name: str) -> None:
    workflow = load(name)
    assert workflow["name"]
    assert triggers(workflow)
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        assert job["timeout-minutes"] <= 90  # within CI's time per run
        assert all(("run" in s) != ("uses" in s) for s in job["steps"])
    called = {target for s in steps(workflow) for target in re.findall(r"\bmake ([a-z-]+)", s.get("run", ""))}
    assert called >= EXPECTED[name]
    assert called <= make_targets(), f"{name} calls targets the Makefile lacks: {called - make_targets()}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_key_is_passed_by_environment_and_never_echoed(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for line in text.splitlines():
        if "secrets." in line:
            assert re.fullmatch(r"\s*GATEWAY_API_KEY: \$\{\{ secrets\.GATEWAY_API_KEY \}\}", line), line
    for step in steps(load(name)):
        assert "GATEWAY_API_KEY" not in step.get("run", "")


def test_triggers_and_kept_state() -> None:
    gate, nightly, signoff = load("gate.yml"), load("nightly.yml"), load("signoff.yml")
    assert {"push", "pull_request"} <= set(triggers(gate))
    assert triggers(nightly)["schedule"][0]["cron"]
    assert triggers(signoff)["push"]["tags"]
    # the nightly job restores and saves the baseline and the history between runs
    kept = [s["with"]["path"] for s in steps(nightly) if str(s.get("uses", "")).startswith("actions/cache/")]
    assert len(kept) == 2
    assert all("contracts/baselines/staging.json" in p and "reports/history.jsonl" in p for p in kept)
    assert any("upload-artifact" in str(s.get("uses")) and "signoff.html" in s["with"]["path"] for s in steps(signoff))
    shards = gate["jobs"]["staging"]["strategy"]["matrix"]["gateways"]
    assert gate["jobs"]["staging"]["env"]["GATEWAYS"] == "${{ matrix.gateways }}"
    assert sum("all" in shard.split(",") for shard in shards) == 1  # the aggregate runs in one shard
    # every gateway of the staging contract the job uses is in exactly one shard
    contracted = yaml.safe_load((ROOT / "contracts" / "gatewayz-staging.yaml").read_text())["gateways"]
    listed = [g for shard in shards for g in shard.split(",") if g != "all"]
    assert sorted(listed) == sorted(contracted)
