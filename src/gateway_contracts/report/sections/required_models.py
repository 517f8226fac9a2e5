"""Section "Required models": each model the business depends on, listed by its gateway and the aggregate
(record key `required`)."""

from __future__ import annotations

from typing import Any

from gateway_contracts.report.interface import ReportInput, Section, SessionEnd
from gateway_contracts.report.markup import e, yes_html, yes_md


class RequiredModels(Section):
    name = "required"

    def collect(self, end: SessionEnd) -> list[dict[str, Any]]:
        aggregate = end.walked(end.contract.aggregate.slug) if end.contract.aggregate else None
        in_aggregate = None if aggregate is None else {str(i) for i in aggregate.ids}
        facts = []
        for gateway in end.contract.gateways:
            walk = end.walked(gateway.slug)
            if walk is None:
                continue
            ids = {str(i) for i in walk.ids}
            for model in gateway.required_models:
                facts.append({
                    "model": model, "gateway": gateway.slug, "in_gateway": model in ids,
                    "in_aggregate": None if in_aggregate is None else model in in_aggregate,
                })
        return facts

    def view(self, facts: Any, report: ReportInput) -> list[dict[str, Any]]:
        return list(facts or [])  # shown even when empty: it says the contract has none

    def html(self, view: list[dict[str, Any]]) -> str:
        out = ["<h2>Required models</h2><p class=\"help\">Models the business depends on, by exact id.</p>"]
        if not view:
            return out[0] + '<p class="muted">No required models in the contract.</p>'
        out.append("<table><thead><tr><th>Model</th><th>Gateway</th><th>Listed by the gateway</th>"
                   "<th>Listed in the aggregate</th></tr></thead><tbody>")
        for r in view:
            out.append(f"<tr><td class=\"mono\">{e(r['model'])}</td><td>{e(r['gateway'])}</td>"
                       f"<td>{yes_html(r['in_gateway'])}</td><td>{yes_html(r['in_aggregate'])}</td></tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def markdown(self, view: list[dict[str, Any]]) -> list[str]:
        out = ["", "### Required models", ""]
        if not view:
            return [*out, "No required models in the contract."]
        out += ["| Model | Gateway | In gateway | In aggregate |", "|---|---|---|---|"]
        out += [f"| `{r['model']}` | {r['gateway']} | {yes_md(r['in_gateway'])} | {yes_md(r['in_aggregate'])} |"
                for r in view]
        return out


SECTION = RequiredModels()
