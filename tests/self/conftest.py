"""Self-test fixtures shared across modules: one healthy LiteLLM proxy per session (each start costs 7-25 s
on the project's machine; tests/self/litellm_proxy.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.self.litellm_proxy import HEALTHY, LiteLLMProxy, litellm_executable


@pytest.fixture(scope="session")
def litellm_healthy() -> Iterator[LiteLLMProxy]:
    """The healthy config (litellm_proxy.HEALTHY), started once for every self-test that only reads from it."""
    if litellm_executable() is None:
        pytest.skip("the litellm extra is not installed (make test installs it)")
    with LiteLLMProxy(HEALTHY) as proxy:
        yield proxy
