"""The LiteLLM proxies the self-tests share: one healthy, one with the four configured faults, started
together once per session (each start costs 7-25 s; see docs/litellm-notes.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.self.litellm_proxy import HEALTHY, LiteLLMProxy, faulty_models, start_all


@pytest.fixture(scope="session")
def litellm_proxies() -> Iterator[tuple[LiteLLMProxy, LiteLLMProxy]]:
    healthy, faulty = LiteLLMProxy(HEALTHY), LiteLLMProxy(faulty_models())
    start_all(healthy, faulty)
    try:
        yield healthy, faulty
    finally:
        healthy.stop()
        faulty.stop()


@pytest.fixture(scope="session")
def healthy(litellm_proxies: tuple[LiteLLMProxy, LiteLLMProxy]) -> LiteLLMProxy:
    return litellm_proxies[0]


@pytest.fixture(scope="session")
def faulty(litellm_proxies: tuple[LiteLLMProxy, LiteLLMProxy]) -> LiteLLMProxy:
    return litellm_proxies[1]
