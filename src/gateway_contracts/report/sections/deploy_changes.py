"""Section "What changes with this deploy": the candidate against production (COMPARE_URL), catalog by catalog
(record key `changes`; report/changes_file.py writes the same to reports/changes.json).

The comparison's contract tests (tests/contract/test_deploy_changes.py) publish each catalog's comparison
(`differential.CatalogDiff.as_dict`) under `catalog/<name>`, the registry's under `registry`, and the production
fixture production's URL: this section gathers them into one document, in the contract's order, with the
tolerances the run held the candidate to. Per gateway the page shows what was removed, added and repriced (with
the factor), what else changed, and production's own noise apart. No COMPARE_URL: no facts, no section.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from gateway_contracts.differential import describe_factor
from gateway_contracts.report.interface import ReportInput, Section, SessionEnd
from gateway_contracts.report.markup import NONE, e, md

NAME = "changes"
FORMAT = 1
PRODUCTION_KEY, REGISTRY_KEY, CATALOG = "production", "registry", "catalog/"
SHOWN = 3  # ids named in a cell
REMOVED, ADDED, PRICE = "compare-ids-removed", "compare-ids-added", "compare-price"


def catalog_key(name: str) -> str:
    return CATALOG + name


class DeployChanges(Section):
    name = NAME
    place = "after-gateways"

    def collect(self, end: SessionEnd) -> dict[str, Any] | None:
        published = dict(end.published)
        if not published:
            return None  # no COMPARE_URL (or none of the comparison's tests ran)
        names = [g.slug for g in end.contract.gateways] + ([end.contract.aggregate.slug] if end.contract.aggregate
                                                           else [])
        catalogs = [published[catalog_key(n)] for n in names if catalog_key(n) in published]
        registry = published.get(REGISTRY_KEY)
        every = [c for entry in catalogs for c in entry["changes"]] + (registry["changes"] if registry else [])
        return {
            "format": FORMAT,
            "production": published.get(PRODUCTION_KEY),
            "tolerances": asdict(end.contract.compare),
            "failing": sum(1 for c in every if c["fails"]),
            "reported": sum(1 for c in every if not c["fails"]),
            "catalogs": catalogs,
            "registry": registry,
        }

    def trend_point(self, facts: Any) -> Any:
        return None if not facts else {"failing": facts["failing"], "reported": facts["reported"]}

    def view(self, facts: Any, report: ReportInput) -> dict[str, Any] | None:
        if not facts:
            return None
        rows = [_row(c) for c in facts["catalogs"]]
        registry = facts.get("registry") or {"changes": [], "noise": {"flapping": []}}
        return {"production": facts.get("production") or "production", "failing": facts["failing"],
                "reported": facts["reported"], "rows": rows,
                "registry": [(c["fails"], f"{c['code']} {c['message']}") for c in registry["changes"]],
                "registry_noise": registry["noise"]["flapping"]}

    def html(self, view: dict[str, Any]) -> str:
        out = [f"<h2>What changes with this deploy</h2><p class=\"help\">The candidate against production "
               f"<span class=\"mono\">{e(view['production'])}</span>, read twice: {view['failing']} failing "
               f"change(s), {view['reported']} reported. What differs between production's own two reads is "
               "noise, shown apart and never charged to the candidate.</p>",
               '<table><thead><tr><th>Catalog</th><th class="num">Production</th><th class="num">Candidate</th>'
               "<th>Removed</th><th>Added</th><th>Repriced</th><th>Other changes</th><th>Noise</th></tr></thead>"
               "<tbody>"]
        for r in view["rows"]:
            cells = [_cell_html(r[k]) for k in ("removed", "added", "repriced", "other")]
            noise = "<br>".join(e(n) for n in r["noise"]) or f'<span class="muted">{NONE}</span>'
            out.append(f"<tr><td>{e(r['name'])}</td><td class=\"num\">{r['production']}</td>"
                       f"<td class=\"num\">{r['candidate']}</td>{''.join(cells)}<td class=\"muted\">{noise}</td></tr>")
        out.append("</tbody></table>")
        if view["registry"] or view["registry_noise"]:
            fails_mark = '<span class="k-bad">FAILS</span> '
            items = [f"<li>{fails_mark if fails else ''}{e(text)}</li>" for fails, text in view["registry"]]
            if view["registry_noise"]:
                items.append(f"<li class=\"muted\">noise: in one production read only: "
                             f"{e(', '.join(view['registry_noise']))}</li>")
            out.append(f"<p>Registry:</p><ul>{''.join(items)}</ul>")
        return "".join(out)

    def markdown(self, view: dict[str, Any]) -> list[str]:
        out = ["", "### What changes with this deploy", "",
               f"The candidate against production `{view['production']}`, read twice: {view['failing']} failing "
               f"change(s), {view['reported']} reported; production's own noise apart, never charged.", "",
               "| Catalog | Production | Candidate | Removed | Added | Repriced | Other changes | Noise |",
               "|---|--:|--:|---|---|---|---|---|"]
        for r in view["rows"]:
            cells = " | ".join(_cell_md(r[k]) for k in ("removed", "added", "repriced", "other"))
            out.append(f"| {md(r['name'])} | {r['production']} | {r['candidate']} | {cells} | "
                       f"{md('; '.join(r['noise'])) or NONE} |")
        for fails, text in view["registry"]:
            out.append(f"\nRegistry: {'**FAILS** ' if fails else ''}{md(text)}")
        if view["registry_noise"]:
            out.append(f"\nRegistry noise (one production read only): {md(', '.join(view['registry_noise']))}")
        return out


def _row(catalog: dict[str, Any]) -> dict[str, Any]:
    """One catalog's line: sizes, then each column's changes as (fails, text)."""
    changes = catalog["changes"]

    def text(c: dict[str, Any]) -> tuple[bool, str]:
        ids = ", ".join(c["ids"][:SHOWN]) + (f" (+{c['count'] - SHOWN:,} more)" if c["count"] > SHOWN else "")
        if c["kind"] == PRICE:
            detail = c.get("detail") or {}
            factor = detail.get("factor")
            return c["fails"], f"{c['count']:,} {describe_factor(math.inf if factor is None else factor)}: {ids}"
        if c["kind"] in (REMOVED, ADDED):
            share = (c.get("detail") or {}).get("share")
            pct = f" ({share * 100:.1f} %)" if share is not None else ""
            return c["fails"], f"{c['count']:,}{pct}: {ids}"
        return c["fails"], f"{c['code']} {c['message'].split(': ', 1)[-1]}"

    noise = catalog["noise"]
    notes = ([f"{noise['flapping_count']:,} ids flapping"] if noise["flapping_count"] else []) + \
        ([f"volatile: {', '.join(noise['volatile_fields'])}"] if noise["volatile_fields"] else []) + \
        ([f"{noise['unstable_count']:,} fields moved"] if noise["unstable_count"] else []) + \
        (["order differs"] if noise["reordered"] else []) + \
        ([f"rows {noise['rows'][0]:,} then {noise['rows'][1]:,}"] if noise["rows"][0] != noise["rows"][1] else [])
    prod, cand = catalog["production"], catalog["candidate"]
    return {
        "name": catalog["name"],
        "production": f"{prod['unique']:,} ids / {prod['rows']:,} rows",
        "candidate": (f"{cand['unique']:,} ids / {cand['rows']:,} rows" if cand["status"] == 200
                      else f"HTTP {cand['status']}"),
        "removed": [text(c) for c in changes if c["kind"] == REMOVED],
        "added": [text(c) for c in changes if c["kind"] == ADDED],
        "repriced": [text(c) for c in changes if c["kind"] == PRICE],
        "other": [text(c) for c in changes if c["kind"] not in (REMOVED, ADDED, PRICE)],
        "noise": notes,
    }


def _cell_html(items: list[tuple[bool, str]]) -> str:
    if not items:
        return f'<td class="muted">{NONE}</td>'
    return "<td>" + "<br>".join(
        (f'<span class="k-bad">{e(t)}</span>' if fails else e(t)) for fails, t in items) + "</td>"


def _cell_md(items: list[tuple[bool, str]]) -> str:
    return "<br>".join(f"**{md(t)}**" if fails else md(t) for fails, t in items) or NONE


SECTION = DeployChanges()
