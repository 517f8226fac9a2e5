"""The anthropic dialect (dialects/anthropic.py): its contract file (keys, `file:line: key:` errors), the requests
it sends (the key as x-api-key, anthropic-version), its model object check, and `init` against the reference
gateway's anthropic shape (a starter contract the healthy shape passes)."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest

from gateway_contracts import dialects, starter
from gateway_contracts.contract import WHOLE_LIST, ContractError, load_contract, parse_contract
from gateway_contracts.dialects import anthropic
from gateway_contracts.net.client import GatewayClient
from gateway_testbed.reference.server import EmbeddedGateway

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "contracts" / "anthropic-example.yaml"
PATH = Path("c.yaml")
SECRET = "sk-ant-test-9f8e7d"


def test_the_example_contract_is_one_list_paged_by_cursor() -> None:
    contract = load_contract(EXAMPLE)
    assert dialects.of(contract).name == "anthropic"
    assert dialects.capabilities(contract) == {"cursor", "model-object", "retrieve"}
    (listing,) = contract.gateways
    assert (listing.slug, listing.min_models, listing.max_models) == (WHOLE_LIST, 8, 40)
    assert listing.required_models == ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805")
    assert (contract.max_limit, contract.max_pages, contract.aggregate) == (4, 20, None)
    assert contract.only({"all"}).gateways == contract.gateways  # GATEWAYS=all selects the list


@pytest.mark.parametrize(("text", "error"), [
    ("models:\n  min_models: 3\n  max_modles: 2\n", r"c\.yaml:5: models\.max_modles: unknown key"),
    ("pagination:\n  limit: 1001\n", r"c\.yaml:4: pagination\.limit: Input should be less than or equal to 1000"),
    ("pagination:\n  limit: 0\n", r"c\.yaml:4: pagination\.limit: Input should be greater than or equal to 1"),
    ("models:\n  min_models: 9\n  max_models: 3\n", r"c\.yaml:3: models: max_models \(3\) is below min_models"),
    ("groups: {}\n", r"c\.yaml:3: groups: a key of the openai dialect, not of this anthropic contract"),
    ("gateways: {}\n", r"c\.yaml:3: gateways: a key of the gatewayz dialect"),
])
def test_a_bad_key_is_one_line_naming_file_line_and_key(text: str, error: str) -> None:
    with pytest.raises(ContractError, match=error) as caught:
        parse_contract("version: 1\ndialect: anthropic\n" + text, PATH)
    assert "\n" not in str(caught.value)


def test_its_requests_carry_the_key_as_x_api_key_and_the_api_version() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [], "has_more": False, "first_id": None, "last_id": None})

    dialect = dialects.named("anthropic")
    assert dialect is not None
    client = GatewayClient("http://t", api_key=SECRET, transport=httpx.MockTransport(answer),
                           key_header=dialect.key_header, headers=dialect.headers)
    request = anthropic.page_request("model-3", 4, keyed=True)
    client.request(request.method, request.path, params=request.query, authenticated=request.authenticated)
    (sent,) = seen
    assert sent.headers["x-api-key"] == SECRET
    assert "authorization" not in sent.headers
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.url.params["after_id"] == "model-3"
    assert sent.url.params["limit"] == "4"


def test_a_model_object_is_checked_against_the_documented_shape() -> None:
    good = {"type": "model", "id": "claude-x", "display_name": "Claude X", "created_at": "2025-02-19T00:00:00Z"}
    assert anthropic.model_object_findings(good, model_id="claude-x", request=None) == []
    extra = {**good, "max_tokens": 8192}  # a field the API adds is not a finding
    assert anthropic.model_object_findings(extra, model_id="claude-x", request=None) == []
    bad = {"type": "Model", "id": "claude-y", "display_name": None, "created_at": "2025-02-19"}
    (finding,) = anthropic.model_object_findings(bad, model_id="claude-x", request="GET /v1/models/claude-x")
    assert finding.invariant == "model-schema"
    for problem in ("type is 'Model'", "id is 'claude-y', expected 'claude-x'", "display_name is None",
                    "created_at is '2025-02-19', not an RFC 3339 time"):
        assert problem in finding.message


def test_init_writes_a_starter_contract_from_the_anthropic_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAX_RPS", "0")
    monkeypatch.setenv("GATEWAY_API_KEY", SECRET)
    parser = argparse.ArgumentParser()
    starter.add_arguments(parser)
    with EmbeddedGateway(shape="anthropic", api_keys={SECRET}) as gateway:
        args = parser.parse_args(["--target-url", gateway.url, "-o", str(tmp_path / "c.yaml"), "--dialect",
                                  "anthropic"])
        assert starter.run(args) == 0
    text = (tmp_path / "c.yaml").read_text()
    contract = load_contract(tmp_path / "c.yaml")
    (listing,) = contract.gateways
    assert 0 < listing.min_models <= 11 <= (listing.max_models or 0)
    assert len(listing.required_models) == 2
    assert contract.openapi is None
    out = capsys.readouterr().out
    assert "1 list; no OpenAPI document" in out
    assert SECRET not in text + out


def test_init_refuses_a_list_it_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAX_RPS", "0")
    monkeypatch.setenv("GATEWAY_API_KEY", "not-the-key")
    parser = argparse.ArgumentParser()
    starter.add_arguments(parser)
    with EmbeddedGateway(shape="anthropic", api_keys={SECRET}) as gateway:
        args = parser.parse_args(["--target-url", gateway.url, "-o", str(tmp_path / "c.yaml"), "--dialect",
                                  "anthropic"])
        assert starter.run(args) != 0
    assert not (tmp_path / "c.yaml").exists()
    assert "HTTP 401" in capsys.readouterr().err
