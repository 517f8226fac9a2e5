"""The section "What changes with this deploy" and the changes file: facts the comparison's tests publish ->
the run record's `changes` -> both pages, and reports/changes.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gateway_contracts.contract import load_contract
from gateway_contracts.differential import Side, compare_catalog, compare_registry
from gateway_contracts.report import changes_file
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.interface import ReportInput, SessionEnd
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.sections import SECTIONS
from gateway_contracts.report.sections.deploy_changes import NAME, PRODUCTION_KEY, REGISTRY_KEY, SECTION, catalog_key
from gateway_contracts.report.view import build_view, section_views
from tests.self.unit.report.test_report import COMPLETE, HISTORY, clean

ROOT = Path(__file__).resolve().parents[4]
CONTRACT = load_contract(ROOT / "contracts" / "gateways.yaml")


def rows(n: int, prompt: str = "0.0000005", prefix: str = "org/m-") -> tuple[dict[str, Any], ...]:
    return tuple({"id": f"{prefix}{i:03d}", "pricing": {"prompt": prompt}, "context_length": 8192} for i in range(n))


def side(name: str, data: tuple[dict[str, Any], ...]) -> Side:
    return Side(name, 200, data, tuple(r["id"] for r in data))


def published() -> dict[str, Any]:
    """What the comparison's tests publish for a deploy that reprices deepinfra per million and drops groq ids."""
    deepinfra = compare_catalog(side("deepinfra", rows(20)), side("deepinfra", rows(20)),
                                side("deepinfra", rows(20, "0.5")))
    groq = compare_catalog(side("groq", rows(20)), side("groq", rows(19)), side("groq", rows(10)))
    registry, flapping = compare_registry({"groq", "deepinfra"}, {"groq", "deepinfra"}, {"deepinfra"})
    return {PRODUCTION_KEY: "https://api.example.com", catalog_key("groq"): groq.as_dict(),
            catalog_key("deepinfra"): deepinfra.as_dict(),
            REGISTRY_KEY: {"changes": [c.as_dict() for c in registry], "noise": {"flapping": list(flapping)}}}


def collected() -> dict[str, Any]:
    facts = SECTION.collect(SessionEnd(CONTRACT, SimpleNamespace(), SimpleNamespace(), published()))  # type: ignore[arg-type]
    assert facts is not None
    return facts


def test_the_document_follows_the_contracts_order_and_counts_what_fails() -> None:
    facts = collected()
    assert [c["name"] for c in facts["catalogs"]] == ["deepinfra", "groq"]  # the contract's order, not publishing's
    assert facts["production"] == "https://api.example.com"
    assert facts["tolerances"]["price_fail_factor"] == 1000.0
    # deepinfra's price (fails); groq's removal (fails) and count (fails); the registry's loss (fails)
    assert (facts["failing"], facts["reported"]) == (4, 0)
    assert SECTION.trend_point(facts) == {"failing": 4, "reported": 0}
    assert SECTION.collect(SessionEnd(CONTRACT, SimpleNamespace(), SimpleNamespace(), {})) is None  # type: ignore[arg-type]


def test_both_pages_show_removed_and_repriced_with_the_factor_and_the_noise_apart() -> None:
    record = {**clean(), NAME: collected()}
    view = build_view(record, COMPLETE, HISTORY, [])
    view.sections = section_views(ReportInput(record, COMPLETE, HISTORY), SECTIONS)
    html, md = render_html(view), render_markdown(view)
    assert html.index("<h2>Gateways") < html.index("<h2>What changes with this deploy") < html.index(
        "<h2>Failing contracts")
    assert "20 x1,000,000 (a unit change: per-million): org/m-000, org/m-001, org/m-002 (+17 more)" in html
    assert "9 (47.4 %): org/m-010, org/m-011, org/m-012 (+6 more)" in md  # of the 19 both reads list; 1 flapped
    assert "1 ids flapping" in md
    assert "Registry: **FAILS** GC812" in md
    assert "### What changes with this deploy" in md
    without = section_views(ReportInput(clean(), COMPLETE, HISTORY), SECTIONS)
    assert NAME not in [s.name for s, _ in without]


def test_the_changes_file_is_the_records_document(tmp_path: Path) -> None:
    facts = collected()
    config = SimpleNamespace(option=SimpleNamespace(reports_dir=str(tmp_path)),
                             getoption=lambda name, default=None: "https://api.example.com")
    line = changes_file.FORMAT.finish({NAME: facts}, config)  # type: ignore[arg-type]
    assert json.loads((tmp_path / "changes.json").read_text()) == facts
    assert line == (f"gateway-contracts: compared with production https://api.example.com: 4 failing change(s), "
                    f"0 reported; production's own noise in groq (not charged); {tmp_path / 'changes.json'}")
    assert changes_file.FORMAT.enabled(config)  # type: ignore[arg-type]
    assert changes_file.FORMAT.finish({}, config) is None  # type: ignore[arg-type]
