"""The embedded target: the product's one seam to the test bed (gateway_testbed).

A run with no TARGET_URL starts the reference gateway in a thread of its own process, `gateway-contracts serve`
runs it in the foreground, and write-spec/check-spec compare the document it serves. Each reaches it through
here and only here (import-linter checks it), and only inside a function: a run against a real target never
imports the test double, nor fastapi and uvicorn with it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway_testbed.reference.server import EmbeddedGateway

__all__ = ["reference_document", "serve", "start"]


def start(*, faults: Sequence[str], api_keys: Collection[str], shape: str) -> EmbeddedGateway:
    """The reference gateway started on loopback in a background thread (stop it with `.stop()`).

    Raises ValueError for an unknown fault or shape, or a fault the shape cannot serve."""
    from gateway_testbed.reference.server import EmbeddedGateway

    gateway = EmbeddedGateway(faults=faults, api_keys=api_keys, shape=shape)
    gateway.start()
    return gateway


def serve(argv: Sequence[str]) -> int:
    """`gateway-contracts serve`: the reference gateway in the foreground (its own command's options)."""
    from gateway_testbed.reference.__main__ import main

    return main(list(argv))


def reference_document() -> dict[str, Any]:
    """The OpenAPI document the healthy reference gateway serves (as the suite starts it: no rate limiter)."""
    from gateway_testbed.reference.app import create_app

    return create_app().openapi()
