"""The target of a run: the contract, the client settings, the URL and key, and the preflight.

The target is resolved once per run (the URL given, or an embedded reference gateway started on loopback)
and checked to be a reachable Gatewayz API (exit 7 otherwise). A TARGET_URL run with no key fails closed
(exit 6) unless KEYLESS says the target has no chat; the embedded gateway gets a throwaway key.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

from gateway_contracts import dialects, exitcodes, production
from gateway_contracts.contract import Contract, ContractError, load_contract
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.limits import DEFAULT_MAX_BODY_BYTES
from gateway_contracts.net.redaction import too_short_to_redact
from gateway_contracts.session.state import API_KEY_ENV, COMPARE_KEY_ENV, SuiteState
from gateway_contracts.store import CatalogStore

DEFAULT_CONTRACT = "contracts/gateways.yaml"
# Requests per second against an external target: under the real API's 300/min per-IP limiter.
DEFAULT_EXTERNAL_RPS = 4.0


def fail_run(message: str, status: int) -> NoReturn:
    pytest.exit(f"gateway-contracts: {message}", returncode=status)


def load_selected_contract(config: pytest.Config) -> Contract:
    """The contract file, narrowed to the GATEWAYS selection; exit 6 on any problem."""
    path = Path(config.option.contracts)
    if not path.is_absolute():
        path = Path(config.rootpath) / path if not path.exists() else path
    try:
        contract = load_contract(path)
        if config.option.gateways:
            contract = contract.only({g.strip() for g in config.option.gateways.split(",") if g.strip()})
    except ContractError as exc:
        fail_run(f"invalid contract: {exc}", exitcodes.INVALID_CONTRACT)
    return contract


def client_settings(config: pytest.Config, external: bool, workers: int) -> ClientSettings:
    # Already parsed and validated (options.py): command line and environment alike.
    option = config.option
    rps = option.max_rps if option.max_rps is not None else (DEFAULT_EXTERNAL_RPS if external else 0.0)
    return ClientSettings(
        timeout_s=option.request_timeout if option.request_timeout is not None else 60.0,
        retries=option.retries if option.retries is not None else 2,
        max_body_bytes=option.max_body_bytes if option.max_body_bytes is not None else DEFAULT_MAX_BODY_BYTES,
        max_rps=rps / max(1, workers),  # the budget is for the run: each worker takes its share
    )


def api_key(env: str = API_KEY_ENV) -> str | None:
    """GATEWAY_API_KEY (or another key's variable); empty or blank counts as unset (CI passes an empty string for
    a missing secret)."""
    key = os.environ.get(env, "")
    return key if key.strip() else None


def server_of(url: str) -> tuple[str, str, int | None, str]:
    """What makes two base URLs the same server: scheme, host, port (the scheme's default filled in), path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def check_compare_url(config: pytest.Config) -> None:
    """COMPARE_URL must be an http(s) URL and another server than TARGET_URL (exit 6); checked before any request."""
    url = config.option.compare_url
    if not url:
        return
    scheme, host, _port, _path = server_of(url)
    if scheme not in ("http", "https") or not host:
        fail_run(f"COMPARE_URL (--compare-url) {url!r} is not an http(s) URL", exitcodes.INVALID_CONTRACT)
    if config.option.target_url and server_of(url) == server_of(config.option.target_url):
        fail_run(f"COMPARE_URL (--compare-url) is TARGET_URL ({config.option.target_url}): the candidate would be "
                 "compared with itself; COMPARE_URL is production, TARGET_URL the candidate",
                 exitcodes.INVALID_CONTRACT)


def read_production(config: pytest.Config, state: SuiteState) -> None:
    """The differential gate: read production (COMPARE_URL) twice before any test; exit 7 when it cannot be read."""
    url = config.option.compare_url
    if not url:
        return
    key = api_key(COMPARE_KEY_ENV) or api_key()
    short = too_short_to_redact(key) if key is not None else None
    if short is not None:
        fail_run(f"{COMPARE_KEY_ENV} (or {API_KEY_ENV}) cannot be used for COMPARE_URL: {short}",
                 exitcodes.INVALID_CONTRACT)
    state.compare_url, state.compare_key = url.rstrip("/"), key
    # Its own rate budget: the run's MAX_RPS (not divided across workers: the controller alone reads production),
    # the external default when unset.
    rps = config.option.max_rps if config.option.max_rps is not None else DEFAULT_EXTERNAL_RPS
    cache_dir = state.cache_dir or Path(tempfile.mkdtemp(prefix="gateway-contracts-"))  # set by resolve_target
    problem = production.read(state.compare_url, key, replace(state.settings, max_rps=rps), cache_dir,
                              state.contract)
    if problem is not None:
        fail_run(state.redact(problem), exitcodes.TARGET_UNREACHABLE)
    state.production = production.recorded(state.compare_url, cache_dir, state.contract)


def resolve_target(config: pytest.Config, state: SuiteState) -> None:
    """Start or name the target, provision the key, and check it speaks the API. Idempotent."""
    if state.target_url is not None:
        return
    check_compare_url(config)
    state.keyless = bool(config.option.keyless)
    env_key = None if state.keyless else api_key()  # keyless means keyless: a key in the environment is not sent
    short = too_short_to_redact(env_key) if env_key is not None else None
    if short is not None:
        fail_run(f"GATEWAY_API_KEY cannot be used: {short}", exitcodes.INVALID_CONTRACT)
    faults = list(config.option.reference_fault) + [
        f for f in os.environ.get("REFERENCE_FAULTS", "").split(",") if f.strip()
    ]
    if config.option.target_url:
        state.target_url = config.option.target_url.rstrip("/")
        if faults:
            fail_run("--reference-fault applies to the embedded gateway only; unset TARGET_URL to use it",
                     exitcodes.INVALID_CONTRACT)
        if env_key is None and not state.keyless:
            # Fail closed: a missing or renamed secret must not turn the keyed checks into a green skip.
            fail_run(f"GATEWAY_API_KEY is not set (or empty) for TARGET_URL {state.target_url}: the keyed checks "
                     "(chat completions) need it; set GATEWAY_API_KEY in the environment, or opt out explicitly "
                     "with KEYLESS=1 (--keyless) for a target with no chat", exitcodes.INVALID_CONTRACT)
        state.api_key, state.key_source = env_key, "keyless" if state.keyless else "environment"
        state.description = state.target_url
    else:
        from gateway_contracts import embedded

        # A throwaway key so the keyed chat checks run by default; GATEWAY_API_KEY wins if set, --keyless has none.
        state.api_key = None if state.keyless else env_key or f"gwc-throwaway-{secrets.token_urlsafe(18)}"
        state.key_source = "keyless" if state.keyless else "environment" if env_key else "provisioned"
        try:
            shape = os.environ.get("REFERENCE_SHAPE", "").strip() or "full"  # docs/reference-gateway.md
            keys = {state.api_key} if state.api_key else set()
            state.embedded = embedded.start(faults=faults, api_keys=keys, shape=shape)
        except ValueError as exc:  # an unknown fault or shape, or a fault the shape cannot serve
            fail_run(f"embedded reference gateway: {exc}", exitcodes.INVALID_CONTRACT)
        state.target_url = state.embedded.url
        state.description = (f"embedded reference gateway at {state.target_url} (shape: {shape}; "
                             f"faults: {', '.join(faults) or 'none'})")
    state.cache_dir = Path(tempfile.mkdtemp(prefix="gateway-contracts-"))
    state.owns_cache = True
    preflight(store(state))
    read_production(config, state)


def preflight(store: CatalogStore) -> None:
    """A target that does not answer, or answers 404 everywhere, is a configuration error, not 40 failures."""
    # What is probed, and what proves it is not the API at all, is the contract's dialect's (dialects/).
    problem = dialects.of(store.contract).preflight(store.contract, store.send, store.client.base_url,
                                                    keyed=bool(store.client.has_key))
    if problem is not None:
        fail_run(problem, exitcodes.TARGET_UNREACHABLE)


def store(state: SuiteState) -> CatalogStore:
    """The run's one evidence store (and its client), made on first use."""
    if state.store is None:
        dialect = dialects.of(state.contract)  # how its API takes the key, and the headers it wants
        state.client = GatewayClient(state.target_url or "", api_key=state.api_key, settings=state.settings,
                                     cache_dir=state.cache_dir, key_header=dialect.key_header,
                                     headers=dialect.headers)
        state.store = CatalogStore(state.client, state.contract)
    return state.store


def release(state: SuiteState) -> None:
    """Close the client, stop the embedded gateway this process started, remove the cache it owns."""
    if state.client is not None:
        state.client.close()
    if state.embedded is not None:
        state.embedded.stop()
    if state.owns_cache and state.cache_dir is not None:
        shutil.rmtree(state.cache_dir, ignore_errors=True)
