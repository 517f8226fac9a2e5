"""The reference gateway's anthropic shape: Anthropic's model list paged by cursor, both directions, its auth
headers and error shape, and each of its faults changing only what it names."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway_testbed.reference import create_app
from gateway_testbed.reference.anthropic_models import FAULTS, MISSING_MODEL, models

KEY = "k-1"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
IDS = [m["id"] for m in models()]


def _client(*faults: str) -> TestClient:
    return TestClient(create_app(faults=faults, api_keys={KEY}, shape="anthropic"))


def _get(client: TestClient, path: str = "/v1/models", **params: Any) -> Any:
    return client.get(path, params=params, headers=HEADERS)


def test_pages_follow_after_id_and_before_id() -> None:
    with _client() as client:
        first = _get(client, limit=4).json()
        assert [m["id"] for m in first["data"]] == IDS[:4]
        assert (first["has_more"], first["first_id"], first["last_id"]) == (True, IDS[0], IDS[3])
        last = _get(client, limit=8, after_id=IDS[3]).json()
        assert ([m["id"] for m in last["data"]], last["has_more"]) == (IDS[4:], False)
        back = _get(client, limit=2, before_id=IDS[3]).json()
        assert ([m["id"] for m in back["data"]], back["has_more"]) == (IDS[1:3], True)
        assert _get(client).json()["data"] == models()  # default limit 20 > 11 models
        assert _get(client, f"/v1/models/{IDS[0]}").json() == models()[0]


@pytest.mark.parametrize(("headers", "status", "kind"), [
    ({}, 401, "authentication_error"),
    ({"x-api-key": "other", "anthropic-version": "2023-06-01"}, 401, "authentication_error"),
    ({"x-api-key": KEY}, 400, "invalid_request_error"),
])
def test_the_key_and_the_version_header_are_required(headers: dict[str, str], status: int, kind: str) -> None:
    with _client() as client:
        answer = client.get("/v1/models", headers=headers)
    assert answer.status_code == status
    assert answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == kind


def test_bad_input_is_a_json_400_and_an_unknown_model_a_404() -> None:
    with _client() as client:
        for params in ({"limit": 0}, {"limit": 1001}, {"after_id": "nope"}, {"after_id": IDS[0], "before_id": IDS[2]}):
            answer = _get(client, **params)
            assert (answer.status_code, answer.json()["error"]["type"]) == (400, "invalid_request_error"), params
        missing = _get(client, "/v1/models/no-such-model")
    assert (missing.status_code, missing.json()["error"]["type"]) == (404, "not_found_error")


def test_each_fault_breaks_what_it_names() -> None:
    with _client("anthropic-cursor-repeats") as client:
        assert _get(client, limit=4, after_id=IDS[7]).json()["last_id"] == IDS[7]  # the second page again
    with _client("anthropic-has-more-false") as client:
        assert _get(client, limit=4).json()["has_more"] is False
        assert _get(client, limit=4, after_id=IDS[3]).json()["data"]  # yet more exist
    with _client("anthropic-has-more-true") as client:
        empty = _get(client, limit=4, after_id=IDS[-1]).json()
        assert (empty["data"], empty["has_more"]) == ([], True)
    with _client("anthropic-model-missing") as client:
        assert MISSING_MODEL not in [m["id"] for m in _get(client).json()["data"]]
        assert _get(client, f"/v1/models/{MISSING_MODEL}").status_code == 404
    with pytest.raises(ValueError, match="unknown fault"):
        create_app(faults=["hf-rename-404"], shape="anthropic")
    assert len(FAULTS) == 4
