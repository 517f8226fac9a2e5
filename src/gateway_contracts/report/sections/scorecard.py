"""Section "Values scorecard": per gateway, what its catalog's values measure against the contract's bounds, with
a trend since the previous run and a heat map a release manager reads at a glance (record key `scorecard`).

Computed at the end of the run from the walks the contracts read (no new request); the reference mismatches are
what `test_values_match_reference` published (it holds the reference, file or URL), so the section never fetches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway_contracts.report import value_scores as scores
from gateway_contracts.report.interface import ReportInput, Section, SessionEnd
from gateway_contracts.report.markup import e
from gateway_contracts.report.sections import callable_share

NAME = "scorecard"


@dataclass(frozen=True)
class ScorecardView:
    card: list[scores.GatewayScore]
    moved: dict[tuple[str, str], float]
    since: str | None  # when the run compared with finished


class Scorecard(Section):
    name = NAME
    place = "after-gateways"
    css = (".sc-cell-bad { color: var(--bad, #b00020); font-weight: bold; } "
           ".sc-svg { overflow-x: auto; margin: 6px 0 10px; }")

    def collect(self, end: SessionEnd) -> Any:
        walked = {}
        for gateway in end.contract.gateways:
            walk = end.walked(gateway.slug)
            walked[gateway.slug] = walk.rows if walk is not None else None
        card = scores.scorecard(end.contract, walked)
        published = dict(end.published)
        card = [scores.with_reference(score, published.get(score.gateway)) for score in card]
        return scores.to_record(card) or None

    def trend_point(self, facts: Any) -> Any:
        return scores.trend_point(scores.from_record(facts)) or None

    def view(self, facts: Any, report: ReportInput) -> ScorecardView | None:
        card = scores.from_record(facts)
        if not card:
            return None
        # The callable share is the chat probe's section's fact (nightly, sign-off): the scorecard carries it.
        probed = report.record.get(callable_share.SECTION.name)
        if isinstance(probed, dict):
            card = [scores.with_callable(score, probed.get(score.gateway)) for score in card]
        finished = str(report.record.get("finished_at", ""))
        # Runs before this one (a report re-rendered later must not compare with runs that came after it).
        earlier = [(when, point) for when, point in report.history_of(NAME) if not finished or when < finished]
        moved = scores.trend(card, [point for _, point in earlier])
        return ScorecardView(card, moved, earlier[-1][0] if earlier else None)

    def html(self, view: ScorecardView) -> str:
        since = f" Arrows: change since the run of {e(view.since)}." if view.since else ""
        out = [f"<h2>Values scorecard</h2><p class=\"help\">Per gateway, what its catalog's values measure "
               f"against the contract's bounds: red over its bound, amber within 20 % of it, green well within, "
               f"grey not checked (hover a cell for its bound).{since}</p>",
               f'<div class="sc-svg">{scores.heatmap_svg(view.card, view.moved)}</div>',
               "<table><thead><tr><th>Gateway</th>"]
        out += [f'<th class="num">{e(heading)}</th>' for _, heading, _ in scores.MEASURES]
        out.append("</tr></thead><tbody>")
        for score in view.card:
            out.append(f"<tr><td>{e(score.gateway)}</td>")
            for key, _, _ in scores.MEASURES:
                m = _measure(score, key)
                cls = ' class="num sc-cell-bad"' if m.holds is False else ' class="num"'
                out.append(f"<td{cls}>{e(m.text())}<div class=\"muted\">{e(m.bound_text())}</div></td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def markdown(self, view: ScorecardView) -> list[str]:
        out = ["", "### Values scorecard", "",
               "Each cell: the value, its bound; **bold** is over its bound."
               + (f" Arrows: change since {view.since}." if view.since else ""), ""]
        out.append("| Gateway | " + " | ".join(heading for _, heading, _ in scores.MEASURES) + " |")
        out.append("|---|" + "---|" * len(scores.MEASURES))
        for score in view.card:
            cells = []
            for key, _, _ in scores.MEASURES:
                m = _measure(score, key)
                value = m.text() + scores.arrow(view.moved.get((score.gateway, key)))
                cells.append(f"**{value}** ({m.bound_text()})" if m.holds is False else f"{value} ({m.bound_text()})")
            out.append(f"| {score.gateway} | " + " | ".join(cells) + " |")
        return out


def _measure(score: scores.GatewayScore, key: str) -> scores.Measure:
    return next((m for m in score.measures if m.key == key), scores.Measure(key, None, None))


SECTION = Scorecard()
