"""Section "Listed means callable": per gateway, the share of the day's sample of listed models that answered the
smallest chat request, against the contract's bound, with each failing model (record key `callable`).

The facts are published by `test_listed_models_answer_chat` (tests/contract/test_listed_models.py): one per
gateway, `invariants.callable.Share.summary()`. A run without the probe (the gate, a keyless run) has none, and
the section says so only when the contract's gateways were probed at all: absent facts, absent section.
"""

from __future__ import annotations

from typing import Any

from gateway_contracts.report.interface import ReportInput, Section
from gateway_contracts.report.markup import e, md

TREND_RUNS = 7  # the shares of the last week of nightly runs (the sample rotates over a week)


def _pct(share: Any) -> str:
    return "not counted" if not isinstance(share, int | float) else f"{share:.0%}"


def _cover(days: Any) -> str:
    """How long the daily rotation takes to call the whole catalog, in words."""
    if days is None:
        return "never: the required models fill the budget"
    return "every night" if days == 1 else f"{days} nights"


def _failing(row: dict[str, Any]) -> list[str]:
    return [f"{f.get('model')} ({f.get('status')}{' ' + str(f['code']) if f.get('code') else ''})"
            for f in row.get("failed") or [] if isinstance(f, dict)]


class CallableShare(Section):
    name = "callable"
    place = "after-gateways"

    def trend_point(self, facts: Any) -> Any:
        """gateway -> share, for the next runs' trend."""
        if not isinstance(facts, dict):
            return None
        return {slug: row.get("share") for slug, row in facts.items() if isinstance(row, dict)} or None

    def view(self, facts: Any, report: ReportInput) -> list[dict[str, Any]] | None:
        if not isinstance(facts, dict) or not facts:
            return None
        this_run = report.record.get("finished_at")
        history = [(when, point) for when, point in report.history_of(self.name, runs=TREND_RUNS + 1)
                   if when != this_run][-TREND_RUNS:]  # the runs before this one, oldest first
        rows = []
        for slug, row in facts.items():
            if not isinstance(row, dict):
                continue
            share, bound = row.get("share"), row.get("bound")
            rows.append({
                "gateway": slug, "share": share, "bound": bound, "day": row.get("day", ""),
                "sampled": row.get("sampled", 0), "callable": row.get("callable", 0),
                "cover": _cover(row.get("cover_days")) if "cover_days" in row else "",
                "failing": _failing(row), "uncounted": len(row.get("uncounted") or []),
                "holds": share is None or not isinstance(bound, int | float) or share >= bound,
                "before": [point.get(slug) for _, point in history if isinstance(point, dict)],
            })
        return sorted(rows, key=lambda r: (r["holds"], r["share"] if r["share"] is not None else 2, r["gateway"]))

    def html(self, view: list[dict[str, Any]]) -> str:
        day = next((r["day"] for r in view if r["day"]), "")
        out = ["<h2>Listed means callable</h2><p class=\"help\">Of each gateway's listed models, the sample of "
               f"{e(day)} (rotating daily over the catalog) called with the smallest chat request: the share that "
               "answered, against the contract's bound (<code>callable.min_share</code>).</p>",
               '<table><thead><tr><th>Gateway</th><th class="num">Callable</th><th class="num">Bound</th>'
               '<th class="num">Answered</th><th>Failing models (status, code)</th><th>Whole catalog in</th>'
               "<th>Earlier runs, oldest first</th></tr></thead><tbody>"]
        for r in view:
            verdict = "k-ok" if r["holds"] else "k-bad"
            counted = r["callable"] + len(r["failing"])
            extra = f" ({r['uncounted']} not counted)" if r["uncounted"] else ""
            failing = e(", ".join(r["failing"])) or '<span class="muted">none</span>'
            before = e(" ".join(_pct(s) for s in r["before"])) or "&ndash;"
            out.append(f'<tr><td>{e(r["gateway"])}</td><td class="num"><span class="{verdict}">'
                       f'{_pct(r["share"])}</span></td><td class="num">{_pct(r["bound"])}</td>'
                       f'<td class="num">{r["callable"]} of {counted}{e(extra)}</td>'
                       f'<td class="mono">{failing}</td><td>{e(r["cover"])}</td><td class="mono">{before}</td></tr>')
        out.append("</tbody></table>")
        return "".join(out)

    def markdown(self, view: list[dict[str, Any]]) -> list[str]:
        day = next((r["day"] for r in view if r["day"]), "")
        out = ["", "### Listed means callable", "",
               f"The sample of {day} of each gateway's listed models, called with the smallest chat request.", "",
               "| Gateway | Callable | Bound | Answered | Failing models (status, code) |", "|---|--:|--:|--:|---|"]
        for r in view:
            share = _pct(r["share"]) if r["holds"] else f"**{_pct(r['share'])}**"
            out.append(f"| {md(r['gateway'])} | {share} | {_pct(r['bound'])} | {r['callable']} of "
                       f"{r['callable'] + len(r['failing'])} | {md(', '.join(r['failing'])) or 'none'} |")
        return out


SECTION = CallableShare()
