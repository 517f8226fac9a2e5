"""The CI workflows, whatever files .github/workflows holds: valid against GitHub's workflow schema
(check-jsonschema's vendored copy, offline), calling make targets that exist, passing the key only through
the environment, and failing closed before a staging run when the key secret is empty."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
IDS = [f.name for f in FILES]
VALIDATOR = Path(sys.executable).parent / "check-jsonschema"
# Any download attempt (a schema fetched instead of the vendored one) fails against a dead proxy.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
KEY_CHECK = '"${GATEWAY_API_KEY:-}"'  # the only way a run script may name the key: testing it is empty


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True)) or {}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def called_targets(workflow: dict[str, Any]) -> set[str]:
    return {target for s in steps(workflow) for target in re.findall(r"\bmake ([a-z-]+)", s.get("run", ""))}


def staging_jobs(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Jobs whose TARGET_URL (job env over workflow env) is the staging variable."""
    return [(name, job) for name, job in workflow["jobs"].items()
            if "vars.STAGING_URL" in str({**(workflow.get("env") or {}), **(job.get("env") or {})}.get("TARGET_URL"))]


def validate(files: list[Path]) -> subprocess.CompletedProcess[str]:
    assert VALIDATOR.exists(), f"{VALIDATOR} missing: install the dev extra (pip install -e '.[dev]')"
    return subprocess.run([str(VALIDATOR), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                          env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=120, check=False)


def test_there_are_workflows() -> None:
    assert FILES


def test_every_workflow_is_valid_against_the_github_schema_offline() -> None:
    result = validate(FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_an_invalid_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    # `runs:` for `run:`: a typo YAML accepts and GitHub rejects.
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - runs: make gate\n")
    result = validate([broken])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.yml" in result.stdout


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_calls_existing_make_targets_within_ci_limits(path: Path) -> None:
    workflow = load(path)
    assert triggers(workflow)
    for job in workflow["jobs"].values():
        assert job["timeout-minutes"] <= 90  # within CI's time per run
    called = called_targets(workflow)
    assert called <= make_targets(), f"{path.name} calls targets the Makefile lacks: {called - make_targets()}"


def test_the_workflows_run_gate_nightly_and_signoff() -> None:
    called = set().union(*(called_targets(load(f)) for f in FILES))
    assert {"gate", "nightly", "signoff", "report"} <= called


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_key_is_passed_by_environment_and_never_echoed(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "secrets." in line:
            assert re.fullmatch(r"\s*GATEWAY_API_KEY: \$\{\{ secrets\.GATEWAY_API_KEY \}\}", line), line
    for step in steps(load(path)):
        script = step.get("run", "").replace(KEY_CHECK, "")
        # The value is never expanded (echoed, passed as an argument), nor printed by tracing or env dumps.
        assert not re.search(r"\$\{?GATEWAY_API_KEY\b", script), step.get("name")
        assert not re.search(r"\bset -[a-z]*x|\bprintenv\b|^\s*env\s*$", script, re.M), step.get("name")


def _first_step(job: dict[str, Any]) -> dict[str, Any]:
    return job["steps"][0]


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=30, check=False)


STAGING = [(path, name) for path in FILES for name, _ in staging_jobs(load(path))]


def test_staging_jobs_are_found() -> None:
    assert len(STAGING) >= 3  # gate (staging shards), nightly, signoff


@pytest.mark.parametrize(("path", "job_name"), STAGING, ids=[f"{p.name}:{j}" for p, j in STAGING])
def test_staging_jobs_fail_closed_before_the_run_without_the_key(path: Path, job_name: str) -> None:
    workflow = load(path)
    job = workflow["jobs"][job_name]
    assert "vars.STAGING_URL != ''" in job["if"]  # a repository without staging skips the job instead
    env = {**(workflow.get("env") or {}), **(job.get("env") or {})}
    assert env["KEYLESS"] == "${{ vars.KEYLESS }}"  # the opt-out is explicit, a repository variable
    script = _first_step(job)["run"]  # first: before checkout, install or any request
    missing = _run(script, {"GATEWAY_API_KEY": "", "TARGET_URL": "https://staging.example.com"})
    assert missing.returncode != 0
    assert "::error::STAGING_URL is set but the secret GATEWAY_API_KEY is empty" in missing.stdout
    assert "KEYLESS=1" in missing.stdout
    key = "sk-canary-0123456789"
    present = _run(script, {"GATEWAY_API_KEY": key})
    assert present.returncode == 0, present.stdout + present.stderr
    assert key not in present.stdout + present.stderr
    assert _run(script, {"KEYLESS": "1"}).returncode == 0  # the documented opt-out
    assert _run(script, {"KEYLESS": "0"}).returncode != 0


def _by_trigger(trigger: str) -> list[dict[str, Any]]:
    return [w for w in map(load, FILES) if trigger in triggers(w)]


def test_scheduled_run_keeps_baseline_and_history_between_runs() -> None:
    scheduled = _by_trigger("schedule")
    assert scheduled
    for workflow in scheduled:
        assert triggers(workflow)["schedule"][0]["cron"]
        kept = [s["with"]["path"] for s in steps(workflow) if str(s.get("uses", "")).startswith("actions/cache/")]
        assert len(kept) == 2  # restored, then saved
        assert all("contracts/baselines/staging.json" in p and "reports/history.jsonl" in p for p in kept)


def test_release_tag_run_uploads_the_signoff_report() -> None:
    tagged = [w for w in _by_trigger("push") if (triggers(w)["push"] or {}).get("tags")]
    assert tagged
    for workflow in tagged:
        assert any("upload-artifact" in str(s.get("uses")) and "signoff.html" in s["with"]["path"]
                   for s in steps(workflow))


def test_shards_cover_every_staging_gateway_once() -> None:
    sharded = [job for w in map(load, FILES) for job in w["jobs"].values()
               if "gateways" in ((job.get("strategy") or {}).get("matrix") or {})]
    assert sharded
    contracted = yaml.safe_load((ROOT / "contracts" / "gatewayz-staging.yaml").read_text())["gateways"]
    for job in sharded:
        shards = job["strategy"]["matrix"]["gateways"]
        assert job["env"]["GATEWAYS"] == "${{ matrix.gateways }}"
        assert sum("all" in shard.split(",") for shard in shards) == 1  # the aggregate runs in one shard
        listed = [g for shard in shards for g in shard.split(",") if g != "all"]
        assert sorted(listed) == sorted(contracted)
