"""Section "Aliases": whether every alias serves exactly its gateway's catalog (record key `aliases`)."""

from __future__ import annotations

from typing import Any

from gateway_contracts.report.interface import ReportInput, Section, SessionEnd
from gateway_contracts.report.markup import e, yes_html


class Aliases(Section):
    name = "aliases"

    def collect(self, end: SessionEnd) -> list[dict[str, Any]]:
        facts = []
        for gateway in end.contract.gateways:
            canonical = end.walked(gateway.slug)
            for alias in gateway.aliases:
                aliased = end.walked(alias)
                if canonical is None or aliased is None:
                    continue
                mine, theirs = {str(i) for i in canonical.ids}, {str(i) for i in aliased.ids}
                facts.append({
                    "gateway": gateway.slug, "alias": alias,
                    "status": aliased.first.status if aliased.first else None,
                    "gateway_ids": len(mine), "alias_ids": len(theirs), "equal": mine == theirs,
                    "missing": sorted(mine - theirs)[:5], "missing_count": len(mine - theirs),
                    "extra": sorted(theirs - mine)[:5], "extra_count": len(theirs - mine),
                })
        return facts

    def view(self, facts: Any, report: ReportInput) -> list[dict[str, Any]]:
        return list(facts or [])  # shown even when empty: it says none were checked

    def html(self, view: list[dict[str, Any]]) -> str:
        out = ["<h2>Aliases</h2><p class=\"help\">Every alias must serve exactly its gateway's catalog.</p>"]
        if not view:
            return out[0] + '<p class="muted">No aliases in the contract (or none checked).</p>'
        out.append('<table><thead><tr><th>Gateway</th><th>Alias</th><th class="num">Gateway ids</th>'
                   '<th class="num">Alias ids</th><th>Same catalog</th><th>Difference</th></tr></thead><tbody>')
        for a in view:
            diff = "; ".join(filter(None, [
                f"{a['missing_count']:,} missing: {', '.join(a['missing'])}" if a["missing_count"] else "",
                f"{a['extra_count']:,} extra: {', '.join(a['extra'])}" if a["extra_count"] else ""]))
            out.append(f"<tr><td>{e(a['gateway'])}</td><td>{e(a['alias'])}</td><td class=\"num\">"
                       f"{a['gateway_ids']:,}</td><td class=\"num\">{a['alias_ids']:,}</td>"
                       f"<td>{yes_html(a['equal'])}</td><td class=\"mono\">{e(diff)}</td></tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def markdown(self, view: list[dict[str, Any]]) -> list[str]:
        out = ["", "### Aliases", ""]
        if not view:
            return [*out, "No aliases checked."]
        out += ["| Gateway | Alias | Gateway ids | Alias ids | Same catalog |", "|---|---|--:|--:|---|"]
        out += [f"| {a['gateway']} | {a['alias']} | {a['gateway_ids']:,} | {a['alias_ids']:,} | "
                f"{'yes' if a['equal'] else '**NO**'} |" for a in view]
        return out


SECTION = Aliases()
