"""Unit tests of baselines: snapshots from walks, the comparison's findings, the file and its errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway_contracts.baseline import (
    BaselineError,
    GatewaySnapshot,
    Latency,
    Policy,
    Snapshot,
    carry_first_seen,
    changes,
    compare,
    long_lived_vanished,
    snapshot_gateway,
)
from gateway_contracts.baseline_file import default_path, load_baseline, save_baseline
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.pager import Page, Walk

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TAKEN = "2026-11-20T00:00:00Z"


def ids(n: int, prefix: str = "org/model-") -> tuple[str, ...]:
    return tuple(sorted(f"{prefix}{i:04d}" for i in range(n)))


def gateway(slug: str = "huggingface", n: int = 1204, *, status: int | None = 200, rows: int | None = None,
            required: dict[str, bool] | None = None, median_s: float = 0.5,
            model_ids: tuple[str, ...] | None = None) -> GatewaySnapshot:
    chosen = model_ids if model_ids is not None else ids(n)
    return GatewaySnapshot(slug=slug, status=status, complete=True, rows=rows if rows is not None else len(chosen),
                           ids=chosen, required=required or {},
                           latency=Latency(requests=2, median_s=median_s, max_s=median_s * 2))


def baseline(*gateways: GatewaySnapshot, taken_at: str = TAKEN) -> Snapshot:
    return Snapshot(taken_at=taken_at, target="https://staging.example.com", target_version="1.2.3",
                    suite_version="0.1.0", contract="contracts/gateways.yaml",
                    gateways={g.slug: g for g in gateways})


def findings_of(base: Snapshot, current: GatewaySnapshot, **policy: object) -> dict[str, str]:
    found = compare(base, current, policy=Policy(**policy),  # type: ignore[arg-type]
                    now=NOW, request="GET /v1/models?gateway=x -> 200")
    return {f.invariant: f.render() for f in found}


# -- snapshot from a walk --------------------------------------------------------------------------


def page(offset: int, rows: list[dict[str, object]], total: int, elapsed: float) -> Page:
    body = {"data": rows, "total": total, "offset": offset, "returned": len(rows), "has_more": False}
    return Page(offset=offset, limit=1000, exchange=Exchange("GET", f"http://t/v1/models?offset={offset}", 200,
                                                              "application/json", json.dumps(body), elapsed))


def test_snapshot_counts_rows_ids_duplicates_required_and_latency() -> None:
    rows = [{"id": "a/x", "source_gateway": "g"}, {"id": "a/y", "source_gateway": "g"},
            {"id": "a/x", "source_gateway": "g"}]
    walk = Walk(limit=1000, pages=(page(0, rows[:2], 3, 0.2), page(2, rows[2:], 3, 0.4)))
    snap = snapshot_gateway("g", walk, ["a/x", "a/missing"])
    assert (snap.rows, snap.unique, snap.duplicates, snap.ids) == (3, 2, 1, ("a/x", "a/y"))
    assert snap.required == {"a/x": True, "a/missing": False}
    assert snap.latency == Latency(requests=2, median_s=0.3, max_s=0.4)
    assert snap.status == 200
    assert snap.complete


def test_aggregate_snapshot_counts_id_and_source_pairs() -> None:
    # R28: one id served by two gateways is two aggregate rows, not a duplicate.
    rows = [{"id": "m", "source_gateway": "a"}, {"id": "m", "source_gateway": "b"}]
    snap = snapshot_gateway("all", Walk(limit=1000, pages=(page(0, rows, 2, 0.1),)), pairs=True)
    assert (snap.unique, snap.duplicates) == (2, 0)


# -- comparison ------------------------------------------------------------------------------------


def test_count_drop_above_the_floor_but_beyond_tolerance_fails_naming_gateway_counts_and_ids() -> None:
    base = baseline(gateway(n=1204))
    found = findings_of(base, gateway(model_ids=ids(1204)[:1050]))
    assert set(found) == {"baseline-count-drop"}
    text = found["baseline-count-drop"]
    assert "huggingface: 1,050 distinct models" in text
    assert "had 1,204" in text
    assert "-12.8 %" in text
    assert "beyond the 10 % tolerance" in text
    assert "154 ids vanished" in text
    assert "'org/model-1050'" in text
    assert "(+149 more)" in text


def test_drop_within_tolerance_and_growth_are_reported_not_failed() -> None:
    base = baseline(gateway(n=1000))
    assert findings_of(base, gateway(model_ids=ids(1000)[:950])) == {}
    assert findings_of(base, gateway(n=1500)) == {}
    notes = changes(base, gateway(n=1500))
    assert notes[0] == "huggingface: 1,000 -> 1,500 distinct models (+50.0 %)"
    assert notes[1].startswith("huggingface: 500 new ids: 'org/model-1000'")


def test_tolerance_comes_from_the_policy() -> None:
    base = baseline(gateway(n=100))
    assert findings_of(base, gateway(n=94), count_drop_tolerance=0.05)
    assert not findings_of(base, gateway(n=94), count_drop_tolerance=0.10)


def test_growth_past_the_ceiling_fails() -> None:
    found = findings_of(baseline(gateway(n=1204)), gateway(n=1204, rows=6000), ceiling=5000)
    assert "grew from 1,204 rows" in found["baseline-growth-past-ceiling"]


@pytest.mark.parametrize(("status", "count", "what"), [(404, 0, "answers HTTP 404"), (None, 0, "does not answer"),
                                                       (200, 0, "lists no models")])
def test_a_vanished_gateway_is_one_finding(status: int | None, count: int, what: str) -> None:
    found = findings_of(baseline(gateway(n=20)), gateway(n=count, status=status))
    assert list(found) == ["baseline-gateway-gone"]
    assert f"huggingface {what}; the baseline of {TAKEN} listed 20 models" in found["baseline-gateway-gone"]


def test_required_model_listed_in_the_baseline_that_vanished_fails() -> None:
    base = baseline(gateway(model_ids=("katanemo/Arch-Router-1.5B", *ids(99)),
                            required={"katanemo/Arch-Router-1.5B": True}))
    found = findings_of(base, gateway(model_ids=ids(99)))
    assert "'katanemo/Arch-Router-1.5B'" in found["baseline-required-vanished"]
    assert "baseline-long-lived-vanished" not in found  # reported once, as required


def test_long_lived_ids_that_vanished_are_reported_not_failed() -> None:
    # Catalogs retire and health-gate models every week: only required models must not vanish (they fail).
    old = "2026-09-01T00:00:00Z"  # more than 30 days before NOW
    base = Snapshot(**{**baseline().__dict__, "gateways": {"g": GatewaySnapshot(
        slug="g", status=200, complete=True, rows=3, ids=("keep", "old", "young"),
        first_seen={"keep": old, "old": old})}})
    assert findings_of(base, gateway("g", model_ids=("keep", "young")), count_drop_tolerance=1.0) == {}
    notes = changes(base, gateway("g", model_ids=("keep", "young")), now=NOW)
    assert notes[-1] == "g: 1 of them listed for at least 30 days (retired or health-gated?): 'old'"
    assert long_lived_vanished(base, gateway("g", model_ids=("keep", "young")), now=NOW) == ["old"]
    # taken 6 days before NOW, with no older first-seen times: nothing is long-lived yet
    assert long_lived_vanished(base, gateway("g", model_ids=("keep", "old")), now=NOW) == []


def test_latency_regression_beyond_the_factor_and_the_noise_floor() -> None:
    base = baseline(gateway(n=10, median_s=0.5))
    found = findings_of(base, gateway(n=10, median_s=2.0), latency_regression_factor=3.0)
    assert "median page latency 2.00 s" in found["baseline-latency-regression"]
    assert "4.0x, beyond the 3x factor" in found["baseline-latency-regression"]
    assert not findings_of(base, gateway(n=10, median_s=1.4))
    # milliseconds jitter by large factors: 3 ms -> 40 ms is not a regression, nor 20 ms -> 0.5 s (the nightly's
    # own fuzzing loading the target), but 20 ms -> 1.5 s is
    assert not findings_of(baseline(gateway(n=10, median_s=0.003)), gateway(n=10, median_s=0.04))
    assert not findings_of(baseline(gateway(n=10, median_s=0.02)), gateway(n=10, median_s=0.5))
    assert findings_of(baseline(gateway(n=10, median_s=0.02)), gateway(n=10, median_s=1.5))


def test_a_gateway_missing_from_the_baseline_is_new_not_a_failure() -> None:
    assert compare(baseline(gateway("a")), gateway("b"), now=NOW) == []
    assert "not in the baseline" in changes(baseline(gateway("a")), gateway("b"))[0]


# -- the file --------------------------------------------------------------------------------------


def test_round_trip_keeps_ids_required_latency_and_first_seen(tmp_path: Path) -> None:
    g = GatewaySnapshot(slug="g", status=200, complete=True, rows=3, ids=("a", "b"), required={"a": True},
                        latency=Latency(2, 0.1, 0.2), first_seen={"a": "2026-01-01T00:00:00Z"})
    path = save_baseline(baseline(g), tmp_path / "sub" / "b.json")
    loaded = load_baseline(path)
    assert loaded == baseline(g)
    assert json.loads(path.read_text())["gateways"]["g"]["ids"] == ["a", "b"]  # the ids, not a hash


def test_carry_first_seen_keeps_the_oldest_time_of_ids_still_listed() -> None:
    older = baseline(GatewaySnapshot(slug="g", status=200, complete=True, rows=2, ids=("a", "b"),
                                     first_seen={"a": "2026-01-01T00:00:00Z"}), taken_at="2026-06-01T00:00:00Z")
    newer = baseline(GatewaySnapshot(slug="g", status=200, complete=True, rows=2, ids=("a", "c")),
                     taken_at="2026-11-01T00:00:00Z")
    carried = carry_first_seen(newer, older)
    assert carried.first_seen("g", "a") == "2026-01-01T00:00:00Z"
    assert carried.first_seen("g", "c") == "2026-11-01T00:00:00Z"  # first seen now


@pytest.mark.parametrize(("content", "message"), [
    (None, "baseline file not found (take one with `make baseline"),
    ("{not json", ":1: not valid JSON"),
    ("[]", "a baseline is a JSON object"),
    ('{"format": 9}', "format 9 is not supported"),
    ('{"format": 1}', "taken_at: required key is missing"),
    ('{"format": 1, "taken_at": "yesterday", "gateways": {}}', "taken_at: 'yesterday' is not an ISO 8601 time"),
    ('{"format": 1, "taken_at": "2026-01-01T00:00:00Z", "gateways": {"g": {"rows": 1, "ids": [], "required": {}, '
     '"latency": {}}}}',
     "gateways.g.latency.requests: required key is missing"),
    ('{"format": 1, "taken_at": "2026-01-01T00:00:00Z", "gateways": {"g": {"rows": "3", "latency": '
     '{"requests": 1, "median_s": 0, "max_s": 0}}}}', "gateways.g.rows: expected int, got str"),
])
def test_load_errors_name_the_file_and_the_key(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError) as error:
        load_baseline(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_default_path_is_per_target() -> None:
    assert default_path(None) == Path("contracts/baselines/reference.json")
    assert default_path("https://staging.example.com/api") == Path("contracts/baselines/staging.example.com.json")
    assert default_path("http://127.0.0.1:8080") == Path("contracts/baselines/127.0.0.1-8080.json")


def test_old_enough_is_measured_from_now() -> None:
    recent = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = baseline(gateway("g", n=100), taken_at=recent)
    assert findings_of(base, gateway("g", model_ids=ids(100)[1:])) == {}


# -- session end: the snapshot comes from the run's recorded exchanges ----------------------------


def test_snapshot_reads_the_runs_cache_and_never_requests(tmp_path: Path) -> None:
    from gateway_contracts.contract import parse_contract
    from gateway_contracts.report import evidence

    contract = parse_contract("version: 1\ngateways:\n  a: {min_models: 1, required_models: [m/1]}\n"
                              "  b: {min_models: 1}\n", tmp_path / "c.yaml")
    rows = [{"id": "m/1", "source_gateway": "a"}, {"id": "m/2", "source_gateway": "a"}]
    body = {"data": rows, "total": 2, "offset": 0, "limit": 1000, "returned": 2, "has_more": False,
            "next_offset": None, "gateway": "a"}
    recorded = [
        Exchange("GET", "http://t/v1/models?gateway=a&limit=1000&offset=0", 200, "application/json",
                 json.dumps(body), 0.25),
        Exchange("GET", "http://t/health", 200, "application/json", '{"version": "9.9"}', 0.01),
    ]
    for i, exchange in enumerate(recorded):
        (tmp_path / f"{i}.json").write_text(json.dumps(exchange.to_dict()))
    store = evidence.offline_store("http://t", tmp_path, contract)
    assert store.walk("b").first.error == evidence.NOT_REQUESTED  # type: ignore[union-attr]
    snap = evidence.snapshot(store, contract, target="http://t", suite_version="0")
    assert list(snap.gateways) == ["a"]  # b was not walked in this run: left out, not fetched
    assert (snap.gateways["a"].ids, snap.gateways["a"].required) == (("m/1", "m/2"), {"m/1": True})
    assert snap.target_version == "9.9"
    assert snap.gateways["a"].latency == Latency(requests=1, median_s=0.25, max_s=0.25)
