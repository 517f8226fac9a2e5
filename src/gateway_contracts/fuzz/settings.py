"""A run's fuzz settings: allowed hosts, method policy, seed, spec override. Light (no schemathesis import):
the plugin loads this module in every run, fuzz tests selected or not."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gateway_contracts.fuzz.safety import DEFAULT_ALLOWED_HOSTS, MethodPolicy, SafetyError, parse_methods, split_list

COMMITTED_SPEC = Path("contracts/openapi.json")  # the reference gateway's document, relative to the repository root
DEFAULT_SEED = 20260817  # any constant: a fixed seed makes the nightly reproducible until FUZZ_SEED changes it
TARGET_SPEC = "target"  # FUZZ_SPEC=target: fuzz the target's own /openapi.json, judged by the contract's document
# Reading the target's own document (FUZZ_SPEC=target) when REQUEST_TIMEOUT does not say: the suite's default
# per-request timeout. LiteLLM's (2 MB, 717 paths) takes ~7 s to its first answer, 20 s under load.
TARGET_SPEC_TIMEOUT_S = 60.0
# FUZZ_GATE_PROFILE: what the gate's fuzz tests run (profiles.py defines them; named here to stay light).
# `smoke` is a handful of cases per operation: for tests of the plumbing (reports, counts, pacing, refusals),
# never a verdict on an API.
GATE_PROFILE = "gate"
SCHEMATHESIS_PLUGIN = "schemathesis"  # the pytest11 entry point of schemathesis' plugin (blocked in xdist controllers)
FUZZ_TESTS = "tests/fuzz/"  # node ids under here are fuzz tests (the xdist controller sees ids, not marks)
GATE_PROFILES = (GATE_PROFILE, "smoke")


@dataclass(frozen=True)
class FuzzSettings:
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    methods: MethodPolicy = field(default_factory=MethodPolicy)
    seed: int = DEFAULT_SEED
    # FUZZ_SPEC: a document that overrides the contract's `openapi` (None: the contract's), or TARGET_SPEC.
    spec: Path | None = None
    target_spec: bool = False
    gate_profile: str = GATE_PROFILE  # the profile test_fuzz_gate runs (FUZZ_GATE_PROFILE)
    # FUZZ_OPERATIONS: only these operations of the document are fuzzed ("GET /v1/models/search"); empty: all.
    operations: tuple[str, ...] = ()


def parse_operations(raw: str | None) -> tuple[str, ...]:
    """`METHOD /path` labels, comma-separated, as the fuzz tests name them (`test_fuzz_gate[GET /v1/models]`);
    the method in any case. SafetyError names an entry that is not one."""
    operations = []
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        method, _, path = entry.strip().partition(" ")
        if not method.isalpha() or not path.strip().startswith("/"):
            raise SafetyError(f"--fuzz-operations / FUZZ_OPERATIONS: {entry.strip()!r} is not 'METHOD /path'")
        operations.append(f"{method.upper()} {path.strip()}")
    return tuple(dict.fromkeys(operations))


def resolve_settings(hosts: str | None = None, methods: str | None = None, seed: int | None = None,
                     spec: str | None = None, root: Path | None = None,
                     gate_profile: str | None = None, operations: str | None = None) -> FuzzSettings:
    """Options win over the environment (FUZZ_ALLOWED_HOSTS, FUZZ_ALLOW_METHODS, FUZZ_SEED, FUZZ_SPEC,
    FUZZ_GATE_PROFILE, FUZZ_OPERATIONS), which wins over the defaults. SafetyError names a value that cannot be
    used."""
    env = os.environ
    raw_seed = seed if seed is not None else env.get("FUZZ_SEED", "").strip() or DEFAULT_SEED
    try:
        seed_value = int(raw_seed)
    except ValueError:
        raise SafetyError(f"FUZZ_SEED={raw_seed!r} is not an integer") from None
    profile = (gate_profile or env.get("FUZZ_GATE_PROFILE") or "").strip() or GATE_PROFILE
    if profile not in GATE_PROFILES:
        raise SafetyError(f"--fuzz-gate-profile / FUZZ_GATE_PROFILE = {profile!r}: expected one of "
                          f"{', '.join(GATE_PROFILES)}")
    raw_spec = (spec or env.get("FUZZ_SPEC") or "").strip()
    spec_path = None
    if raw_spec and raw_spec != TARGET_SPEC:
        spec_path = Path(raw_spec)
        if not spec_path.is_absolute():
            spec_path = (root or Path.cwd()) / spec_path
    return FuzzSettings(
        allowed_hosts=split_list(hosts if hosts is not None else env.get("FUZZ_ALLOWED_HOSTS"))
        or DEFAULT_ALLOWED_HOSTS,
        methods=MethodPolicy(parse_methods(methods if methods is not None else env.get("FUZZ_ALLOW_METHODS"))),
        seed=seed_value,
        spec=spec_path,
        target_spec=raw_spec == TARGET_SPEC,
        gate_profile=profile,
        operations=parse_operations(operations if operations is not None else env.get("FUZZ_OPERATIONS")),
    )
