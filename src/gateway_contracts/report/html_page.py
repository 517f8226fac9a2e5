"""The HTML report format: `signoff.html`, one self-contained page (inline CSS and SVG, system fonts, no script)
that opens from file:// with no network. Lays out the View, judges nothing.
"""

from __future__ import annotations

from gateway_contracts.known_findings import SEEN
from gateway_contracts.report.chart import panel
from gateway_contracts.report.interface import ReportFormat
from gateway_contracts.report.markup import count, e, num
from gateway_contracts.report.view import View

CSS = """
:root { --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#c62828; --bad-bg:#ffebe9; --warn:#9a6700; --warn-bg:#fff8c5;
  --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --head:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1240px; padding: 24px 32px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
h2 { font-size: 18px; margin: 34px 0 6px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.help { margin: 2px 0 10px; color: var(--muted); font-size: 13.5px; }
.verdict { border-radius: 8px; padding: 16px 20px; margin: 8px 0 18px; border: 2px solid; }
.verdict.pass { background: var(--ok-bg); border-color: var(--ok); }
.verdict.fail { background: var(--bad-bg); border-color: var(--bad); }
.verdict.incomplete { background: var(--warn-bg); border-color: var(--warn); }
.verdict.known { background: var(--ok-bg); border-color: var(--warn); } .verdict.known .big { color: var(--ok); }
details { margin: 4px 0 2px; font-size: 13px; } details summary { cursor: pointer; color: var(--muted); }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--head); padding: 8px; max-height: 420px;
  overflow: auto; font-size: 12px; }
.verdict .big { font-size: 30px; font-weight: 800; letter-spacing: .5px; }
.verdict.pass .big { color: var(--ok); } .verdict.fail .big { color: var(--bad); }
.verdict.incomplete .big { color: var(--warn); }
.verdict .why { font-size: 16px; margin-top: 4px; }
.verdict ul.reasons { margin: 6px 0 0; padding-left: 22px; font-size: 14.5px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0; font-size: 14px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.cautions { background: var(--warn-bg); border: 1px solid #d4a72c; border-radius: 6px; padding: 10px 14px 10px 32px;
  margin: 14px 0 0; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.agg td { border-top: 2px solid var(--line); font-weight: 600; }
.badge { display: inline-block; min-width: 52px; text-align: center; border-radius: 10px; padding: 0 8px;
  font-weight: 700; font-size: 12.5px; }
.b-OK { background: var(--ok-bg); color: var(--ok); }
.b-FAIL, .b-ERROR { background: var(--bad-bg); color: var(--bad); }
.b-NOT-RUN { background: var(--head); color: var(--muted); }
.b-KNOWN { background: var(--warn-bg); color: var(--warn); } td.where { min-width: 260px; }
.k-bad, .k-down.k-bad { color: var(--bad); font-weight: 600; } .k-ok { color: var(--muted); }
.k-down { color: var(--warn); } .k-up { color: var(--ok); } .k-same, .k-none { color: var(--muted); }
.detail { color: var(--bad); font-size: 13px; } .muted { color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 4px; margin: 10px 0;
  padding: 8px 12px; }
.finding h3 { margin: 0 0 6px; font-size: 15px; } .finding h3 code { font-size: 12.5px; color: var(--muted); }
.finding table td { border: 0; padding: 2px 8px 2px 0; } .finding table td:first-child { color: var(--muted);
  width: 130px; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px 14px; }
svg.trend { width: 100%; height: auto; display: block; background: #fff; border: 1px solid var(--line);
  border-radius: 4px; }
.t-title { font-weight: 700; font-size: 13px; fill: var(--ink); } .t-sub { font-size: 11px; fill: var(--muted); }
.t-axis { font-size: 10px; fill: var(--muted); } .t-grid { stroke: #eef1f4; stroke-width: 1; }
.t-floor { stroke: var(--bad); stroke-dasharray: 4 3; stroke-width: 1.2; }
.t-line { fill: none; stroke: #0969da; stroke-width: 2; } .t-dot { fill: #0969da; } .t-dot.t-bad { fill: var(--bad); }
.legend { font-size: 13px; color: var(--muted); margin: 4px 0 8px; }
.legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; vertical-align: -1px; }
footer { margin-top: 36px; font-size: 12.5px; color: var(--muted); }
@media print { body { max-width: none; } .finding, tr, svg { break-inside: avoid; } }
"""


def _section_css(view: View) -> str:
    """The shown sections' own style rules, each once, after the page's."""
    return "".join(dict.fromkeys(section.css for section, _ in view.sections if section.css))


def render_html(view: View) -> str:
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Sign-off: {e(view.headline)}</title><style>{CSS}{_section_css(view)}</style></head><body>",
           "<h1>gateway-contracts · release sign-off report</h1>",
           f'<div class="verdict {view.verdict}"><div class="big">{e(view.headline)}</div>'
           f'<div class="why">{e(view.summary)}</div>'
           + ('<ul class="reasons">' + "".join(f"<li>{e(r)}</li>" for r in view.reasons) + "</ul>"
              if view.reasons else "") + "</div>",
           '<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in view.facts) + "</dl>"]
    if view.cautions:
        out.append('<ul class="cautions">' + "".join(f"<li>{e(c)}</li>" for c in view.cautions) + "</ul>")

    out.append("<h2>Gateways</h2><p class=\"help\">Total: rows served over the whole catalog walk; Unique: "
               "distinct ids; Duplicates: Total minus Unique. Status: whether every contract of the gateway holds. "
               "Floor: the contract's minimum of distinct models. Baseline → now: distinct ids in the baseline and in "
               "this run; red: beyond the tolerance (a failure), amber: a drop within it.</p>")
    out.append('<table><thead><tr><th>Gateway</th><th class="num">Total</th><th class="num">Unique</th>'
               '<th class="num">Duplicates</th><th>Status</th><th class="num">Floor</th><th>vs floor</th>'
               "<th>Baseline → now</th></tr></thead><tbody>")
    for g in view.gateways:
        agg = ' class="agg"' if g.label.endswith("(aggregate)") else ""
        total = num(g.total) + (f' <span class="muted">(envelope says {g.envelope_total:,})</span>'
                               if g.envelope_total is not None and g.envelope_total != g.total else "")
        dup_cls = "num k-bad" if g.duplicates else "num"
        detail = (f'<div class="{"muted" if g.status == "KNOWN" else "detail"}">{e(g.detail)}</div>'
                  if g.detail else "")
        checks = f' <span class="muted">{g.passed}/{g.checked} contracts</span>' if g.checked else ""
        out.append(f"<tr{agg}><td>{e(g.label)}</td><td class=\"num\">{total}</td><td class=\"num\">{num(g.unique)}"
                   f"</td><td class=\"{dup_cls}\">{num(g.duplicates)}</td>"
                   f'<td><span class="badge b-{g.status.replace(" ", "-")}">{e(g.status)}</span>{checks}{detail}</td>'
                   f'<td class="num">{num(g.floor)}</td><td class="k-{g.floor_kind}">{e(g.floor_note)}</td>'
                   f'<td class="k-{g.baseline_kind}">{e(g.baseline)}</td></tr>')
    out.append("</tbody></table>")

    out += [section.html(v) for section, v in view.sections_at("after-gateways")]

    out.append(f"<h2>Failing contracts ({len(view.failures)})</h2>")
    if not view.failures:
        out.append('<p class="muted">None: every contract that ran holds.</p>')
    for failure in view.failures:
        out.append(f'<div class="finding"><h3>{e(failure.gateway)} · {e(failure.contract)} '
                   f"<code>{e(failure.test_id)}</code></h3>")
        # Every distinct failure one entry: code and title, one line, the request; the bodies folded away.
        for item in failure.distinct:
            rows = [("Found", f"<b>{e(item.code)} {e(item.title)}</b>"), ("What", e(item.message))]
            if item.evidence:
                rows.append(("Evidence", f'<span class="mono">{e(item.evidence)}</span>'))
            if item.request:
                rows.append(("Request", f'<span class="mono">{e(item.request)}</span>'))
            if item.curl:
                rows.append(("Reproduce", f'<span class="mono">{e(item.curl)}</span>'))
            out.append("<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        if failure.text:
            out.append(f"<details><summary>Full failure text (response bodies)</summary><pre>{e(failure.text)}"
                       "</pre></details>")
        out.append("</div>")

    out.append(f"<h2>Known findings ({len(view.known)})</h2>")
    if view.known:
        out.append('<p class="help">Accepted in the contract file (<code>known_findings</code>), each with a ticket '
                   "and an expiry: seen, they do not fail the run; no longer seen, remove the entry (it fails under "
                   "--strict-known, the nightly and sign-off default); expired, they fail the run.</p>")
        out.append("<table><thead><tr><th>Code</th><th>Where</th><th>Ticket</th><th>Expires</th><th>Reason</th>"
                   "<th>This run</th></tr></thead><tbody>")
        for k in view.known:
            status = e(k.status) + (" (fails the run)" if k.fails else "")
            cls = "k-bad" if k.fails else ("k-down" if k.status != SEEN else "")
            seen = f'<div class="mono muted">{e(k.seen_as)}</div>' if k.seen_as else ""
            out.append(f"<tr><td><b>{e(k.code)}</b></td><td class=\"mono where\">{e(k.where)}</td>"
                       f"<td>{e(k.ticket)}</td><td>{e(k.expires)}</td><td>{e(k.reason)}</td>"
                       f"<td class=\"{cls}\">{status}{seen}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">None accepted: the contract file lists no known findings.</p>')

    if view.changes:
        out.append("<h2>Changes since the baseline (within tolerance: reported, not failed)</h2><ul>"
                   + "".join(f"<li>{e(c)}</li>" for c in view.changes) + "</ul>")

    out += [section.html(v) for section, v in view.sections_at("after-changes")]

    out.append("<h2>Fuzzing per operation</h2>")
    if view.fuzz:
        out.append('<p class="help">Cases: the requests each operation generated and how they ended, as the run '
                   "recorded them; unknown when it did not. Tests: pytest tests of the operation (skipped: not run)."
                   "</p>")
        out.append('<table><thead><tr><th>Operation</th><th class="num">Cases generated</th>'
                   '<th class="num">Passed</th><th class="num">Failed</th><th class="num">Tests (skipped)</th>'
                   "<th>First failure</th></tr></thead><tbody>")
        for f in view.fuzz:
            bad = ' class="num k-bad"' if f.bad else ' class="num"'
            out.append(f"<tr><td class=\"mono\">{e(f.operation)}</td><td class=\"num\">{count(f.generated)}</td>"
                       f"<td class=\"num\">{count(f.passed)}</td><td{bad}>{count(f.failed)}</td>"
                       f"<td class=\"num\">{f.tests} ({f.skipped})</td><td>{e(f.first_failure)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">No fuzz results in this run.</p>')

    out.append("<h2>Trend: distinct models per gateway over past runs</h2>")
    if view.trend:
        runs = len(view.trend[0][1])
        out.append(f'<p class="legend">The last {runs} run{"s" * (runs != 1)} against this target '
                   '(reports/history.jsonl). <span class="sw" style="background:#0969da"></span> every contract of '
                   'the gateway held &nbsp; <span class="sw" style="background:#c62828"></span> a contract of the '
                   'gateway broke in that run &nbsp; '
                   '<span style="color:#c62828">- - -</span> floor. Each panel has its own scale, from zero.</p>')
        out.append('<div class="grid">' + "".join(panel(slug, points, floor) for slug, points, floor in view.trend)
                   + "</div>")
    else:
        out.append('<p class="muted">No run history yet for this target.</p>')

    if view.skipped:
        out.append("<h2>Not checked</h2><table><thead><tr><th class=\"num\">Tests</th><th>Reason</th></tr></thead>"
                   "<tbody>" + "".join(f'<tr><td class="num">{n}</td><td>{e(r)}</td></tr>' for r, n in view.skipped)
                   + "</tbody></table>")
    out.append(f"<footer>Generated by gateway-contracts from {e(', '.join(view.sources))}. "
               "Evidence never contains the API key: it is filtered when recorded and again here.</footer>")
    out.append("</body></html>\n")
    return "".join(out)


class HtmlPage(ReportFormat):
    name = "html"
    filename = "signoff.html"

    def render(self, view: View) -> str:
        return render_html(view)


FORMAT = HtmlPage()
