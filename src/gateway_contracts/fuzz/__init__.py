"""Schemathesis fuzzing of the API's OpenAPI document, safe against a shared staging.

    spec.py      which document is fuzzed (the contract's `openapi`, FUZZ_SPEC, or the target's own) and how it
                 is loaded; the reference gateway's document (contracts/openapi.json) and how it is produced
    documents.py reading documents, matching operations by path template, restricting a target's spec to the
                 contract's, the in-memory gateway format
    profiles.py  gate and nightly: examples, phases, determinism, the checks' per-operation scope
    checks.py    catalog invariants registered as schemathesis checks (pure findings + adapters)
    safety.py    host allow-list and method policy
    transport.py the session's target for schemathesis: URL, key, throttled transport, pagination walk
    drift.py     differences between the contract's and a live document, for the operations it covers
    hooks.py     the pytest side: options, the allow-list refusal, fixtures, report redaction
"""
