"""Fuzz profiles: how much schemathesis generates, which phases run, and the checks' scope.

`gate` runs on every deploy: deterministic (the same cases every run, so a red gate is reproducible) and
small (seconds on the reference gateway with two workers). `smoke` takes its place (FUZZ_GATE_PROFILE=smoke)
where only the plumbing is under test (reports, counts, pacing, refusals): the examples and a few generated
cases per operation, so every operation still sends requests, at a twentieth of the cost.
`nightly` goes deep: more examples, the coverage phase (boundary and invalid values of every parameter,
undeclared methods) and the stateful pagination walk; its seed (FUZZ_SEED) can change between nights, and
the log names it.

The configuration is built here, in code, rather than in a `schemathesis.toml`: such a file is found
automatically up to the repository root and resolves `${VARS}` eagerly, which would make an unset
variable break collection for every run in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemathesis.config import SchemathesisConfig

from gateway_contracts.fuzz.safety import CHAT_OPERATION, MethodPolicy

REDACTED = "***"  # same marker as client.Redactor


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int  # per operation, fuzzing phase
    coverage: bool  # the coverage phase (deterministic boundary and negative cases)
    deterministic: bool  # derandomized generation: the same cases on every run
    stateful_examples: int  # pagination walks (0: no stateful test)
    stateful_steps: int  # calls per walk


GATE = Profile("gate", max_examples=100, coverage=False, deterministic=True, stateful_examples=0, stateful_steps=0)
NIGHTLY = Profile(
    "nightly", max_examples=150, coverage=True, deterministic=False, stateful_examples=25, stateful_steps=8
)
SMOKE = Profile("smoke", max_examples=5, coverage=False, deterministic=True, stateful_examples=0, stateful_steps=0)
PROFILES = {profile.name: profile for profile in (GATE, NIGHTLY, SMOKE)}

# Positive data on chat: a schema-valid `model` is any non-empty string, but only catalog ids are served;
# others answer a documented 400 `model_not_priced`. The catalog is data (thousands of ids, changing
# daily), not schema, so the spec cannot enumerate it. For this one operation a 400 counts as an accepted
# valid request; the `chat_rejections` check then requires that 400 to be `model_not_priced` for a model
# the contract does not list, so a valid request rejected for any other reason still fails.
CHAT_POSITIVE_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# Drop the "token" marker from the sanitizer: it masks `max_tokens` in curl lines (making them unusable)
# while the key travels in `Authorization`, which stays in the exact-key list.
SENSITIVE_MARKERS = ["key", "secret", "password", "auth", "session", "passwd", "credential"]


def config_dict(profile: Profile, *, seed: int, methods: MethodPolicy,
                operations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The schemathesis configuration of a profile, as the `schemathesis.toml` keys would spell it;
    `operations`: per-operation settings derived from the document (spec.server_error_statuses)."""
    chat_method, chat_path = CHAT_OPERATION
    return {
        "seed": seed,
        # Network latency is the target's, not a generation problem.
        "suppress-health-check": ["too_slow"],
        "output": {"sanitization": {"replacement": REDACTED, "sensitive-markers": SENSITIVE_MARKERS}},
        "generation": {
            "max-examples": profile.max_examples,
            "deterministic": profile.deterministic,
            # No example database: replaying last run's failures would make two runs differ.
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": profile.coverage, "unexpected-methods": methods.unexpected_methods()},
            "fuzzing": {"enabled": True},
            # pytest never runs this phase itself; the pagination walk (tests/fuzz) builds the state machine,
            # which keeps only operations whose stateful phase is enabled.
            "stateful": {
                "enabled": profile.stateful_examples > 0,
                "max-steps": max(profile.stateful_steps, 2),
                # The walk is about pagination: invalid inputs are the stateless phases' job.
                "generation": {"mode": "positive"},
            },
        },
        "operations": [
            {
                "include-path": chat_path,
                "include-method": chat_method,
                "checks": {"positive_data_acceptance": {"expected-statuses": CHAT_POSITIVE_STATUSES}},
            },
            *(operations or []),
        ],
    }


def schemathesis_config(profile: Profile, *, seed: int, methods: MethodPolicy,
                        operations: list[dict[str, Any]] | None = None) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(config_dict(profile, seed=seed, methods=methods, operations=operations))
