"""Every kind of finding the suite reports: a stable code, the invariant name, a title.

Like schemathesis' failure codes (`ServerError.code == "ST101"`), a code never changes meaning and is never
reused, so a dashboard, a ticket or an incident note can cite `GC203` across renames of the wording. A
`Finding` names its kind by the invariant name (`Finding("envelope", ...)`) and the kind is looked up here.

Numbering: GC1xx pagination and the envelope, GC2xx whole-catalog, GC3xx model rows, GC4xx single responses
and routes, GC5xx fuzz-only checks, GC6xx baseline comparison, GC7xx the OpenAI dialect and SDK, GC8xx the
differential comparison of a candidate with production (COMPARE_URL), GC9xx the suite itself. A new kind takes the
next free code of its group; a retired one keeps its code out of use. `tests/self/unit/data/test_kinds.py`
reads the source and fails when an invariant name has no kind here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FindingKind:
    code: str  # stable: GC + three digits
    name: str  # the invariant name findings carry (`[name]` in the rendered failure)
    title: str  # what the kind checks, in a few words

    @property
    def registered(self) -> bool:
        return self.code != UNREGISTERED_CODE


UNREGISTERED_CODE = "GC000"

KINDS: tuple[FindingKind, ...] = (
    # pagination and the envelope
    FindingKind("GC101", "envelope", "Envelope arithmetic"),
    FindingKind("GC102", "pager", "Pagination walk stopped"),
    FindingKind("GC103", "page-size", "Page size"),
    FindingKind("GC104", "pages-disjoint", "Pages disjoint"),
    FindingKind("GC105", "pages-union", "Pages add up to the catalog"),
    FindingKind("GC106", "past-end", "Empty page past the end"),
    FindingKind("GC107", "same-page", "Same request, same page"),
    FindingKind("GC108", "cursor-ids", "Cursor page names its first and last ids"),
    FindingKind("GC109", "after-last", "Nothing after the last cursor"),
    # whole catalog
    FindingKind("GC201", "no-duplicate-ids", "No duplicate model ids"),
    FindingKind("GC202", "count-floor", "Model count floor"),
    FindingKind("GC203", "count-ceiling", "Model count ceiling"),
    FindingKind("GC204", "required-models", "Required models present"),
    FindingKind("GC205", "alias-equivalence", "Alias serves the same catalog"),
    FindingKind("GC206", "aggregate-contains", "Aggregate contains every gateway"),
    FindingKind("GC207", "aggregate-unique-pairs", "Aggregate rows unique per gateway"),
    FindingKind("GC208", "registry", "Gateway registry"),
    FindingKind("GC209", "case-insensitive", "Gateway slug case-insensitive"),
    FindingKind("GC210", "search-agreement", "Search agrees with the catalog"),
    FindingKind("GC211", "unique-agreement", "Unique mode agrees with the flat catalog"),
    FindingKind("GC212", "developer-agreement", "Developer route agrees with the catalog"),
    FindingKind("GC213", "route-alias", "Route aliases serve the same catalog"),
    # model rows
    FindingKind("GC301", "model-row", "Model row is an object"),
    FindingKind("GC302", "model-id-format", "Model id format"),
    FindingKind("GC303", "model-name", "Model display name"),
    FindingKind("GC304", "source-gateway", "Row from the requested gateway"),
    FindingKind("GC305", "model-schema", "Model field types"),
    FindingKind("GC306", "pricing", "Pricing values"),
    FindingKind("GC307", "pricing-coverage", "Pricing coverage"),
    FindingKind("GC308", "context-coverage", "Context length coverage"),
    FindingKind("GC309", "price-band", "Per-token price in a plausible band"),
    FindingKind("GC310", "completion-discount", "Completion not far cheaper than prompt"),
    FindingKind("GC311", "placeholder-values", "No placeholder context length or price"),
    FindingKind("GC312", "reference-mismatch", "Values agree with the reference catalog"),
    # single responses and routes
    FindingKind("GC401", "status", "Status and JSON body"),
    FindingKind("GC402", "invalid-input", "Invalid input rejected with a 4xx"),
    FindingKind("GC403", "chat-auth", "Chat requires a key"),
    FindingKind("GC404", "chat", "Chat completion"),
    FindingKind("GC405", "routes", "Consumer routes exist"),
    FindingKind("GC406", "latency", "Latency budget"),
    FindingKind("GC407", "spec-drift", "Live OpenAPI document drift"),
    FindingKind("GC408", "gateway-status", "Gateway status agrees with the catalogs"),
    FindingKind("GC409", "callable-share", "Listed models answer chat (callable share)"),
    FindingKind("GC410", "listed-not-callable", "A listed model chat does not answer"),
    # fuzz-only checks
    FindingKind("GC501", "error-body", "Error body shape"),
    FindingKind("GC502", "search", "Search results"),
    FindingKind("GC503", "developer", "Developer listing"),
    FindingKind("GC504", "provider-filter", "Provider filter"),
    FindingKind("GC505", "next-page", "Following next_offset"),
    # baseline comparison
    FindingKind("GC601", "baseline-gateway-gone", "Gateway gone since the baseline"),
    FindingKind("GC602", "baseline-count-drop", "Model count drop since the baseline"),
    FindingKind("GC603", "baseline-required-vanished", "Required model vanished since the baseline"),
    FindingKind("GC604", "baseline-long-lived-vanished", "Long-lived model vanished"),
    FindingKind("GC605", "baseline-latency-regression", "Latency regression since the baseline"),
    FindingKind("GC606", "baseline-growth-past-ceiling", "Growth past the ceiling since the baseline"),
    # the OpenAI models dialect and the OpenAI SDK as a consumer
    FindingKind("GC701", "openai-list", "OpenAI model list shape"),
    FindingKind("GC702", "openai-model-object", "OpenAI model object"),
    FindingKind("GC703", "openai-sdk", "OpenAI SDK call"),
    FindingKind("GC704", "openai-sdk-ids", "Models the OpenAI SDK sees"),
    # the differential comparison: the candidate (TARGET_URL) against production (COMPARE_URL), differential.py
    FindingKind("GC801", "compare-ids-removed", "Ids removed from production"),
    FindingKind("GC802", "compare-ids-added", "Ids added to production"),
    FindingKind("GC803", "compare-count", "Row count changed from production"),
    FindingKind("GC804", "compare-duplicates", "Duplicate rows grew from production"),
    FindingKind("GC805", "compare-price", "Price changed from production"),
    FindingKind("GC806", "compare-priced", "Priced and unpriced rows changed places"),
    FindingKind("GC807", "compare-context-zeroed", "Context length zeroed"),
    FindingKind("GC808", "compare-context-halved", "Context length halved"),
    FindingKind("GC809", "compare-context-changed", "Context length changed"),
    FindingKind("GC810", "compare-field-type", "Field changed type"),
    FindingKind("GC811", "compare-required-changed", "Required model's row changed"),
    FindingKind("GC812", "compare-registry-lost", "Gateway or alias gone from the registry"),
    FindingKind("GC813", "compare-registry-gained", "Gateway or alias new in the registry"),
    FindingKind("GC814", "compare-field-changed", "Field value changed from production"),
    # the suite itself
    FindingKind("GC901", "failure", "Failed without findings (a crash or a fuzz failure)"),
)

_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(name: str) -> FindingKind:
    """The kind registered for an invariant name. An unregistered name gets code GC000 instead of
    crashing the run: the self-test, not the gate, is where a missing registration fails."""
    return _BY_NAME.get(name) or FindingKind(UNREGISTERED_CODE, name, "unregistered finding kind")
