"""Green means checked: what the suite refuses to pass silently, on real suite runs.

- against a TARGET_URL, no GATEWAY_API_KEY (unset, empty, blank) is a configuration error: exit 6 and one line
  saying how to give the key or opt out, and so is a key too short to clean out of answers; KEYLESS=1 / --keyless
  is that opt-out, and the keyed checks then skip with a reason naming it, the summary says so, and no request
  carries a key
- every GATEWAYS selection (only the aggregate, one gateway, an alias) gives passes and skips, never errors;
  a name outside the contract, or nothing, is exit 6 with one line
- every numeric or on/off option is validated the same from the command line and the environment: exit 6 and
  one line naming the option and its variable, not pytest's usage dump (exit 4)
- a walk read again from the store's cache still counts as evidence of the test that reads it (FLAKY)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.contract import load_contract
from gateway_contracts.data.exchange import Exchange, build_url
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.options import (
    EXPECTED,
    Invalid,
    flag,
    non_negative_float,
    non_negative_int,
    one_of,
    option_type,
    positive_float,
)
from gateway_contracts.session.state import KEYLESS_REASON
from gateway_contracts.store import CatalogStore
from gateway_testbed.reference.server import EmbeddedGateway
from tests.self.suite_run import SuiteRun, assert_one_line_exit, run_gate

ROOT = Path(__file__).resolve().parents[3]
KEY = "gwc-fail-closed-test-key"  # accepted by the external gateway below
CHAT = "test_chat_model_answers"
CRASH = re.compile(r"^\w+(Error|Exception)\b")  # a failure message that is an exception, not a finding


class ExternalGateway:
    """A reference gateway the suite sees as a TARGET_URL, recording the Authorization header of each request."""

    def __init__(self) -> None:
        self.gateway = EmbeddedGateway(api_keys={KEY})
        self.authorizations: list[str] = []
        self._lock = threading.Lock()

        @self.gateway.app.middleware("http")
        async def record(request, call_next):  # type: ignore[no-untyped-def]
            with self._lock:
                self.authorizations.append(request.headers.get("authorization", ""))
            return await call_next(request)

    @property
    def url(self) -> str:
        return self.gateway.url


@pytest.fixture(scope="module")
def external() -> Iterator[ExternalGateway]:
    target = ExternalGateway()
    target.gateway.start()
    try:
        yield target
    finally:
        target.gateway.stop()


def _outcomes(run: SuiteRun) -> dict[str, str]:
    return {name: outcome for name, (outcome, _, _) in run.outcomes().items()}


# -- keyed checks fail closed --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("key", "workers"), [(None, ()), ("", ()), ("  ", ()), ("", ("-n", "2"))],
                         ids=["unset", "empty", "blank", "empty-n2"])
def test_a_target_without_a_key_is_refused_with_one_line(tmp_path: Path, external: ExternalGateway,
                                                         key: str | None, workers: tuple[str, ...]) -> None:
    before = len(external.authorizations)
    run = run_gate(tmp_path, "--target-url", external.url, *workers,
                    env={} if key is None else {"GATEWAY_API_KEY": key})
    line = assert_one_line_exit(run, exitcodes.INVALID_CONTRACT, f"GATEWAY_API_KEY is not set (or empty) for "
                                f"TARGET_URL {external.url}", "set GATEWAY_API_KEY", "KEYLESS=1 (--keyless)")
    assert len(line) < 400
    assert len(external.authorizations) == before  # refused before any request


@pytest.mark.slow
def test_a_key_too_short_to_redact_is_refused_with_one_line(tmp_path: Path, external: ExternalGateway) -> None:
    # Every answer is cleaned of the key before a check reads it: a 1-character key rewrote every 'xai' row into
    # '***ai' and failed the contracts of a healthy target. The line says why without quoting the key.
    before = len(external.authorizations)
    run = run_gate(tmp_path, "--target-url", external.url, env={"GATEWAY_API_KEY": "zq9"})
    assert_one_line_exit(run, exitcodes.INVALID_CONTRACT, "GATEWAY_API_KEY cannot be used: it is 3 characters long",
                         "at least 6 characters")
    assert "zq9" not in run.output
    assert len(external.authorizations) == before  # refused before any request


@pytest.mark.slow
@pytest.mark.parametrize("opt_out", ["env", "option"])
def test_keyless_by_choice_skips_the_keyed_checks_and_says_so(tmp_path: Path, external: ExternalGateway,
                                                              opt_out: str) -> None:
    before = len(external.authorizations)
    # A key in the environment too: keyless means keyless, the key is not sent. Unpaced (MAX_RPS=0): the target
    # is local, and the default 4 rps against a TARGET_URL would make this run wait, not test more.
    env = {"GATEWAY_API_KEY": KEY, "MAX_RPS": "0", **({"KEYLESS": "1"} if opt_out == "env" else {})}
    args = ("--keyless",) if opt_out == "option" else ()
    run = run_gate(tmp_path, "--target-url", external.url, "--gateways", "novita", "-rs", *args, env=env)
    assert run.status == exitcodes.OK, run.output[-3000:]
    outcomes = run.outcomes()
    chat = {name: (outcome, message) for name, (outcome, message, _) in outcomes.items() if name.startswith(CHAT)}
    assert chat
    assert all(outcome == "skipped" for outcome, _ in chat.values()), chat
    # The OpenAI SDK contract is keyed too: its list and chats skip with the same reason (one -rs line).
    sdk = {name: outcome for name, (outcome, _, _) in outcomes.items() if name.startswith("test_openai_sdk")}
    assert sdk
    assert set(sdk.values()) == {"skipped"}, sdk
    assert f"SKIPPED [{len(chat) + len(sdk)}]" in run.stdout
    assert KEYLESS_REASON in run.stdout  # the reason names the opt-out
    assert outcomes["test_chat_requires_a_key"][0] == "passed"  # the unkeyed chat check still runs
    assert run.lines("key: keyless")
    assert run.lines(f"gateway-contracts: {KEYLESS_REASON}")
    assert not any(external.authorizations[before:])  # no request carried a key


@pytest.mark.slow
def test_the_embedded_gateway_still_provisions_a_throwaway_key(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--gateways", "novita", "-k", "chat")
    assert run.status == exitcodes.OK, run.output[-3000:]
    assert run.lines("key: provisioned")
    outcomes = _outcomes(run)
    assert {o for name, o in outcomes.items() if name.startswith(CHAT)} == {"passed"}, outcomes


# -- every GATEWAYS selection: findings or passes, never errors ----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("selection", ["all", "novita", "HUG,all"], ids=["aggregate-only", "one", "alias-upper"])
def test_every_selection_passes_or_skips_never_errors(tmp_path: Path, selection: str) -> None:
    # --strict-registry: a shard must not call the gateways it left out uncovered.
    run = run_gate(tmp_path, "--strict-registry", env={"GATEWAYS": selection})
    assert run.status == exitcodes.OK, run.output[-3000:]
    assert "Traceback" not in run.output
    assert "<error" not in run.junit.read_text(encoding="utf-8"), run.output[-3000:]
    outcomes = _outcomes(run)
    assert set(outcomes.values()) <= {"passed", "skipped"}, outcomes
    passed = {name for name, outcome in outcomes.items() if outcome == "passed"}
    assert {n for n in passed if n.startswith("test_invalid_query_is_rejected")}  # probes found a gateway value
    assert {"test_catalog_and_chat_routes_answer", "test_registry_has_no_uncovered_gateways"} <= passed
    if "all" in selection:
        assert "test_aggregate_count_within_bounds" in passed
    checked = {name.split("[")[1].rstrip("]") for name in passed if name.startswith("test_gateway_answers_200[")}
    assert checked == {"all": set(), "novita": {"novita"}, "HUG,all": {"huggingface"}}[selection]


@pytest.mark.slow
@pytest.mark.parametrize("selection", ["all", "openrouter"])
def test_the_staging_contract_shards_give_findings_or_passes_never_errors(tmp_path: Path, selection: str) -> None:
    # The real backend's contract against the reference gateway: findings are allowed here, errors are not.
    run = run_gate(tmp_path, env={"GATEWAYS": selection, "CONTRACTS": "contracts/gatewayz-staging.yaml"})
    assert run.status in (exitcodes.OK, exitcodes.CONTRACT_BROKEN), run.output[-3000:]
    assert "<error" not in run.junit.read_text(encoding="utf-8"), run.output[-3000:]
    crashes = {name: message for name, (_, message, _) in run.outcomes().items() if CRASH.match(message)}
    assert not crashes  # a failure is a finding, never an exception (IndexError was one)
    assert "passed" in _outcomes(run).values()


@pytest.mark.slow
@pytest.mark.parametrize(("selection", "needle"), [("novita,nope", "GATEWAYS (--gateways) names nope, not in the "
                                                   "contract"), (",", "GATEWAYS (--gateways) selects nothing")],
                         ids=["unknown", "nothing"])
def test_a_bad_selection_is_one_line_and_exit_6(tmp_path: Path, selection: str, needle: str) -> None:
    run = run_gate(tmp_path, env={"GATEWAYS": selection})
    assert_one_line_exit(run, exitcodes.INVALID_CONTRACT, "contracts/gateways.yaml", needle)


# -- options: the same validation from the command line and the environment --------------------------

BAD_VALUES = [  # option, variable, a bad value
    ("--max-rps", "MAX_RPS", "-1"),
    ("--request-timeout", "REQUEST_TIMEOUT", "0"),
    ("--retries", "RETRIES", "1.5"),
    ("--fuzz-seed", "FUZZ_SEED", "seven"),
    ("--fuzz-gate-profile", "FUZZ_GATE_PROFILE", "huge"),
]
FLAGS = [("--strict-registry", "STRICT_REGISTRY"), ("--keyless", "KEYLESS")]  # on/off: only a variable has a value


def _parse_options(args: list[str]) -> dict[str, Any]:
    """The suite's options as its plugins declare them (the environment read at declaration, as pytest does)."""
    from gateway_contracts import plugin
    from gateway_contracts.fuzz import hooks as fuzz_hooks

    parser = pytest.Parser(_ispytest=True)  # no public constructor; the declarations are what is under test
    plugin.pytest_addoption(parser)
    fuzz_hooks.pytest_addoption(parser)
    return vars(parser.parse_known_args(args))


@pytest.mark.parametrize("source", ["command-line", "environment"])
@pytest.mark.parametrize(("option", "variable", "value"), BAD_VALUES, ids=[o for o, _, _ in BAD_VALUES])
def test_every_option_is_declared_with_its_variable_and_parser(monkeypatch: pytest.MonkeyPatch, option: str,
                                                               variable: str, value: str, source: str) -> None:
    """Each option and its variable go through the same parser and name each other: a bad value from either
    source is an `Invalid` naming both, which options.py turns into one line and exit 6 (shown end to end below,
    once per source)."""
    monkeypatch.setenv(variable, value if source == "environment" else "")
    parsed = _parse_options([f"{option}={value}"] if source == "command-line" else [])
    invalid = parsed[option.lstrip("-").replace("-", "_")]
    assert isinstance(invalid, Invalid), invalid
    assert invalid.message().startswith(f"invalid option: {option} / {variable} = '{value}': expected ")


@pytest.mark.parametrize(("option", "variable"), FLAGS, ids=[o for o, _ in FLAGS])
def test_every_flag_is_declared_with_its_variable(monkeypatch: pytest.MonkeyPatch, option: str, variable: str) -> None:
    monkeypatch.setenv(variable, "maybe")
    invalid = _parse_options([])[option.lstrip("-").replace("-", "_")]
    assert isinstance(invalid, Invalid)
    assert invalid.message() == f"invalid option: {option} / {variable} = 'maybe': expected " + EXPECTED[flag]
    monkeypatch.setenv(variable, "on")
    assert _parse_options([])[option.lstrip("-").replace("-", "_")] is True


# A suite run per source (was ten, one per option and source: the parsers and the declarations are tested above
# in-process): the bad value ends the run at configure time with one line and exit 6, not pytest's usage (exit 4).
@pytest.mark.slow
@pytest.mark.parametrize(("args", "env", "line"), [
    (("--retries=1.5",), {}, "invalid option: --retries / RETRIES = '1.5'"),
    ((), {"STRICT_REGISTRY": "maybe"}, "invalid option: --strict-registry / STRICT_REGISTRY = 'maybe'"),
], ids=["command-line", "environment"])
def test_a_bad_option_value_is_one_line_and_exit_6_from_either_source(tmp_path: Path, args: tuple[str, ...],
                                                                      env: dict[str, str], line: str) -> None:
    run = run_gate(tmp_path, *args, env=env)
    assert_one_line_exit(run, exitcodes.INVALID_CONTRACT, line)
    assert "usage:" not in run.output


@pytest.mark.parametrize(("parse", "good", "bad"), [
    (non_negative_float, {"0": 0.0, "2.5": 2.5, " 4 ": 4.0}, ["-1", "-0.1", "nan", "inf", "fast", ""]),
    (positive_float, {"0.5": 0.5, "60": 60.0}, ["0", "-3", "nan", "inf", "x"]),
    (non_negative_int, {"0": 0, "5": 5}, ["-1", "1.5", "two", ""]),
    (int, {"-3": -3, "20260817": 20260817}, ["1.5", "seven"]),
    (flag, {"1": True, "TRUE": True, "yes": True, "0": False, "off": False, "": False}, ["2", "maybe", "y"]),
    (one_of("gate", "smoke"), {"gate": "gate", " smoke ": "smoke"}, ["Gate", "huge", ""]),
])
def test_each_parser_takes_what_it_documents(parse: Any, good: dict[str, Any], bad: list[str]) -> None:
    convert = option_type("--opt", "OPT", parse)
    for raw, value in good.items():
        assert convert(raw) == value
    for raw in bad:
        invalid = convert(raw)
        assert isinstance(invalid, Invalid), raw
        assert invalid.message().startswith(f"invalid option: --opt / OPT = {raw!r}: expected ")


# -- FLAKY: a walk read again from the store's cache is the reader's evidence too -----------------------


class Retried:
    """A client for `CatalogStore` whose every answer needed a retry (a 503 with Retry-After, then 200)."""

    base_url = "http://gateway.test"
    has_key = False  # the store tells the contract's dialect whether a walk's requests may carry a key

    def __init__(self) -> None:
        self.touched: list[Exchange] = []

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: int = 0) -> Exchange:
        body = '{"data": [{"id": "a/b"}], "total": 1, "returned": 1, "has_more": false}'
        exchange = Exchange("GET", build_url(self.base_url, path, params), 200, "application/json", body, attempts=2)
        self.touched.append(exchange)
        return exchange


def test_a_walk_read_from_the_store_cache_is_noted_for_the_reader() -> None:
    client = Retried()
    store = CatalogStore(cast(GatewayClient, client), load_contract(ROOT / "contracts" / "gateways.yaml"))
    first = store.walk("novita")
    assert client.touched  # the first reader: through the client
    assert all(e.recovered for e in client.touched)
    client.touched.clear()
    assert store.walk("novita") is first
    assert not client.touched  # the second reader never reaches the client ...
    assert [e.request_line for e in store.reread] == [p.exchange.request_line for p in first.pages]  # ... but is noted
    assert all(e.recovered for e in store.reread)
