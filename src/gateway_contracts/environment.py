"""Every environment variable the suite reads: one list, for whatever starts the suite in a child process.

The kill matrix, the benchmarks and the self-tests start suite runs that must not inherit the caller's
target, key, selection or pacing: they remove these variables and set their own. A variable the suite
starts reading belongs here (docs/configuration.md documents each one).
"""

from __future__ import annotations

SUITE_ENV = (
    "TARGET_URL", "GATEWAY_API_KEY", "KEYLESS", "CONTRACTS", "GATEWAYS",  # target, key, selection
    "COMPARE_URL", "COMPARE_API_KEY",  # production, for the differential gate
    "REFERENCE_FAULTS", "REFERENCE_SHAPE",  # the embedded reference gateway
    "MAX_RPS", "REQUEST_TIMEOUT", "RETRIES", "MAX_BODY_BYTES", "RUN_DEADLINE",  # pacing and bounds
    "STRICT_REGISTRY", "STRICT_KNOWN", "BASELINE", "RUN_NAME", "REPORTS_DIR",  # verdicts and records
    "FUZZ_ALLOWED_HOSTS", "FUZZ_ALLOW_METHODS", "FUZZ_SEED", "FUZZ_SPEC", "FUZZ_GATE_PROFILE",  # fuzzing
    "FUZZ_OPERATIONS",
)
