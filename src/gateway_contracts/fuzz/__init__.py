"""Schemathesis fuzzing of the API's OpenAPI document, safe against a shared staging.

    spec.py      the committed document (contracts/openapi.json) and how it is produced and loaded
    profiles.py  gate and nightly: examples, phases, determinism, the checks' per-operation scope
    checks.py    catalog invariants registered as schemathesis checks (pure findings + adapters)
    safety.py    host allow-list and method policy
    target.py    the session's target for schemathesis: URL, key, throttled transport, pagination walk
    drift.py     differences between the committed and a live document
    plugin.py    pytest options, the allow-list refusal, fixtures, report redaction
"""
