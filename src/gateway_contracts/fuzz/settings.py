"""A run's fuzz settings: allowed hosts, method policy, seed, committed spec. Light (no schemathesis import):
the plugin loads this module in every run, fuzz tests selected or not."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gateway_contracts.fuzz.safety import DEFAULT_ALLOWED_HOSTS, MethodPolicy, SafetyError, parse_methods, split_list

COMMITTED_SPEC = Path("contracts/openapi.json")  # relative to the repository root
DEFAULT_SEED = 20260817  # any constant: a fixed seed makes the nightly reproducible until FUZZ_SEED changes it


@dataclass(frozen=True)
class FuzzSettings:
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    methods: MethodPolicy = field(default_factory=MethodPolicy)
    seed: int = DEFAULT_SEED
    spec: Path = COMMITTED_SPEC


def resolve_settings(hosts: str | None = None, methods: str | None = None, seed: int | None = None,
                     spec: str | None = None, root: Path | None = None) -> FuzzSettings:
    """Options win over the environment (FUZZ_ALLOWED_HOSTS, FUZZ_ALLOW_METHODS, FUZZ_SEED, FUZZ_SPEC), which
    wins over the defaults. SafetyError names a value that cannot be used."""
    env = os.environ
    raw_seed = seed if seed is not None else env.get("FUZZ_SEED", "").strip() or DEFAULT_SEED
    try:
        seed_value = int(raw_seed)
    except ValueError:
        raise SafetyError(f"FUZZ_SEED={raw_seed!r} is not an integer") from None
    spec_path = Path(spec or env.get("FUZZ_SPEC") or COMMITTED_SPEC)
    if not spec_path.is_absolute():
        spec_path = (root or Path.cwd()) / spec_path
    return FuzzSettings(
        allowed_hosts=split_list(hosts if hosts is not None else env.get("FUZZ_ALLOWED_HOSTS"))
        or DEFAULT_ALLOWED_HOSTS,
        methods=MethodPolicy(parse_methods(methods if methods is not None else env.get("FUZZ_ALLOW_METHODS"))),
        seed=seed_value,
        spec=spec_path,
    )
