"""The committed OpenAPI document: where it lives, how it is produced, how it is loaded for fuzzing.

`contracts/openapi.json` is the reference gateway's document (what a healthy Gatewayz API promises),
committed so the gate never depends on a live spec: loading one at import time makes the whole session
fail to collect when staging is down. `python -m gateway_contracts.fuzz write-spec` regenerates it, and a
self-test keeps it equal to what the reference gateway serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from gateway_contracts.fuzz.profiles import Profile, schemathesis_config
from gateway_contracts.fuzz.safety import MethodPolicy
from gateway_contracts.fuzz.settings import COMMITTED_SPEC

__all__ = ["COMMITTED_SPEC", "load_schema", "read_spec", "reference_spec", "render"]


def reference_spec() -> dict[str, Any]:
    """The document the healthy reference gateway serves (as the suite starts it: no rate limiter)."""
    from gateway_contracts.reference.app import create_app

    return create_app().openapi()


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def read_spec(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_schema(path: Path, profile: Profile, *, seed: int, methods: MethodPolicy) -> OpenApiSchema:
    """The committed spec as a schemathesis schema with a profile's configuration. No network: the base
    URL is given per call, once the session knows its target."""
    return schemathesis.openapi.from_path(path, config=schemathesis_config(profile, seed=seed, methods=methods))
