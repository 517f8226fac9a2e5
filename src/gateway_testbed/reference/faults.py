"""Named faults: each replays one incident of docs/incidents.md and changes only what it names.

A fault is a few small hooks grouped by what they act on, called at fixed points by the handlers through
`FaultPlan`:
  catalog=CatalogChange   the served catalog, reshaped once when the app is built: gateways' rows and aliases,
                          the parts of `all`, the /v1/gateways registry, the /v1/gateways/status entries
  request=RequestChange   a catalog request: answered instead of the handler (`intercept`, also on the status
                          route), what `gateway=` serves, the rows before paging, a search's answer, a page's size
  response=ResponseChange an answer the handler built: the /v1/models envelope, the developer body, the encoded
                          list or search response (`finish`)
  chat=ChatChange         /v1/chat/completions: an answer per model, auth off
  routes=RouteChange      the routes registered and the query bounds they validate
A fault names the gateways it needs (`needs`) and whether it changes fields only the full shape serves
(`full_only`): the sparse shape refuses it rather than serving it without effect.
Gateway-keyed request faults apply to the model-list routes (/v1/models, /models); transport faults
(flaky-*, rate-limit-no-retry-after) to every catalog route (list, search, developer).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.responses import Response

from . import http_responses as r
from .generator import ALIASES, EXTRA_GATEWAYS, FULL, SPARSE, UNFAULTABLE, GeneratedCatalog, build_gateway
from .rows import EMPTY, ConcatRows, PatchedRows, PickRows, Row, Rows, TableRows, head, mapped, repeated, rotated
from .served import OPTIONAL_ROW_FIELDS, PROMISED_ROW_FIELDS, SEARCHED, ServedCatalog, Target, matches_developer

ARCH_ROUTER = "katanemo/Arch-Router-1.5B"
CATALOG_ROUTES = frozenset({"list", "search", "developer"})
LIST = "list"
SEARCH = "search"
DEVELOPER = "developer"
STATUS = "status"


@dataclass
class Call:
    """One catalog request as the fault hooks see it."""

    route: str  # "list" (/v1/models, /models), "search", "developer" or "status" (/v1/gateways/status)
    url: str  # path and query: the key of the first-request-per-URL faults
    gateway: str  # the raw `gateway=` value ("" when the route has none)
    limit: int
    offset: int
    slow_seconds: float
    request_id: Callable[[], str]
    first_time: Callable[[str, str], bool]  # (fault name, key) -> True once per key
    nth: Callable[[str, str], int] = lambda fault, key: 0  # (fault name, key) -> earlier calls with that key
    developer: str = ""  # the developer route's normalised path value

    def names(self, slug: str) -> bool:
        """Does `gateway=` name this gateway, by slug or alias, in any case?"""
        key = self.gateway.lower()
        return self.route == LIST and (key == slug or ALIASES.get(key) == slug)


Reshape = Callable[[ServedCatalog], None]
Intercept = Callable[[Call], Awaitable[Response | None]]


@dataclass(frozen=True)
class CatalogChange:
    """Reshapes the served catalog once, when the app is built (a gateway's rows show in `all` too: it is built
    from them)."""

    gateways: Reshape | None = None  # the gateways' rows and aliases
    aggregate: Reshape | None = None  # the parts `gateway=all` is built from
    registry: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None  # the /v1/gateways entries
    status: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None  # the /v1/gateways/status entries


@dataclass(frozen=True)
class RequestChange:
    """Changes how a catalog request is answered, before its body is built."""

    intercept: Intercept | None = None  # answers instead of the handler (`call.route` says which route)
    resolve: Callable[[Call, Target | None, ServedCatalog], Target | None] | None = None  # what `gateway=` serves
    rows: Callable[[Call, Rows, ServedCatalog], Rows] | None = None  # a list, search or developer's rows, pre-paging
    search_answer: Callable[[Call, Rows], Response | None] | None = None  # answers a search, given its rows
    page_limit: Callable[[int, Target, int], int] | None = None  # (limit, target, total) -> rows a page serves
    ignores_provider: bool = False  # model lists serve every row whatever `provider` says


@dataclass(frozen=True)
class ResponseChange:
    """Rewrites a catalog answer the handler built."""

    envelope: Callable[[dict[str, Any], Call, Target], None] | None = None  # a /v1/models envelope, in place
    developer_body: Callable[[dict[str, Any], int], None] | None = None  # (body, rows returned), in place
    finish: Callable[[Call, Response], Response] | None = None  # the encoded list or search response


@dataclass(frozen=True)
class ChatChange:
    """Changes /v1/chat/completions."""

    answer: Callable[[str], Response | None] | None = None  # (model) -> answers after auth instead of the handler
    auth_off: bool = False  # no key, or any key, is accepted


@dataclass(frozen=True)
class RouteChange:
    """Changes which routes the app registers and the query bounds they validate."""

    removed: bool = False  # the model, search, developer and chat routes are not registered
    relax_limit: bool = False  # the list's limit accepts any int (the handler or a hook decides)
    relax_offset: bool = False  # the list's offset accepts negative ints
    relax_search: bool = False  # search's limit and offset accept any int


@dataclass(frozen=True)
class Fault:
    """One incident replayed: what it changes, grouped by what each change acts on."""

    name: str
    incident: str  # its code in docs/incidents.md
    description: str
    catalog: CatalogChange = CatalogChange()
    request: RequestChange = RequestChange()
    response: ResponseChange = ResponseChange()
    chat: ChatChange = ChatChange()
    routes: RouteChange = RouteChange()
    needs: frozenset[str] = frozenset()  # gateways the fault changes or names
    full_only: bool = False  # changes row or registry fields the sparse shape does not serve


# --- small building blocks ------------------------------------------------------------------------


def _answer(when: Callable[[Call], bool], respond: Callable[[Call], Response]) -> Intercept:
    async def intercept(call: Call) -> Response | None:
        return respond(call) if when(call) else None

    return intercept


async def _sleep(seconds: float) -> bool:
    """Sleep without blocking other requests; False if server shutdown cancelled the sleep.

    Swallowing that one cancellation lets a hung request end quietly at shutdown instead of
    logging a traceback for what is the fault working as intended.
    """
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        return False
    return True


def _sleep_then_continue(when: Callable[[Call], bool], seconds: Callable[[Call], float]) -> Intercept:
    async def intercept(call: Call) -> Response | None:
        if when(call) and not await _sleep(seconds(call)):
            return r.detail(503, "Service Unavailable")
        return None

    return intercept


def _hang(when: Callable[[Call], bool]) -> Intercept:
    async def intercept(call: Call) -> Response | None:
        if not when(call):
            return None
        await _sleep(3600)
        return r.detail(504, "Gateway Timeout")

    return intercept


def _first_request_fails(name: str, status: int, text: str, retry_after: str | None) -> Intercept:
    headers = {"Retry-After": retry_after} if retry_after else None

    async def intercept(call: Call) -> Response | None:
        if call.route in CATALOG_ROUTES and call.first_time(name, call.url):
            return r.detail(status, text, headers)
        return None

    return intercept


def _set_gateway(slug: str, change: Callable[[Rows], Rows]) -> Reshape:
    def reshape(served: ServedCatalog) -> None:
        served.gateways[slug] = change(served.gateways[slug])

    return reshape


def _patch(positions: Callable[[int], Iterable[int]], change: Callable[[Row], Row]) -> Callable[[Rows], Rows]:
    def apply(rows: Rows) -> Rows:
        return PatchedRows(rows, {i: change(rows.row(i)) for i in positions(len(rows)) if 0 <= i < len(rows)})

    return apply


def _recount(env: dict[str, Any]) -> None:
    """has_more / next_offset from the envelope's own total, offset and returned."""
    end = env["offset"] + env["returned"]
    env["has_more"] = end < env["total"]
    env["next_offset"] = end if env["has_more"] else None


@lru_cache(maxsize=1)
def _huge_note() -> str:
    return "This note pads the body. " * 2_500_000  # 62.5 MB


def _drift_types(row: Row) -> Row:
    """R22: context_length as a string, created as ISO, prices as JSON numbers."""
    drifted = dict(row)
    if row["context_length"] is not None:
        drifted["context_length"] = str(row["context_length"])
    drifted["created"] = datetime.fromtimestamp(row["created"], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if row["pricing"] is not None:
        drifted["pricing"] = {k: float(val) for k, val in row["pricing"].items()}
    return drifted


def _negative_prompt(row: Row) -> Row:
    return {
        **row,
        "pricing": {
            **(row["pricing"] or {"completion": "0", "request": "0", "image": "0"}),
            "prompt": "-0.000001",
        },
    }


def _without_id(model_id: str) -> Callable[[Rows], Rows]:
    def apply(rows: Rows) -> Rows:
        return PickRows(rows, [i for i, row in enumerate(rows.iter_rows()) if row["id"] != model_id])

    return apply


def _repr_rows() -> Rows:
    """R11: an SDK response object passed through str(), twice."""
    base = {
        "source_gateway": "cerebras",
        "provider_slug": "cerebras",
        "context_length": None,
        "pricing": None,
        "modality": "text->text",
        "created": 0,
        "is_active": True,
    }
    data = "('data', [Data(id='llama3.1-8b', object='model')])"
    return TableRows(
        [
            {
                "id": f"@cerebras/{data}",
                "name": "Data(id='llama3.1-8b', created=0, object='model', owned_by='Cerebras')",
                **base,
                "description": f"Cerebras hosted model: {data}",
            },
            {
                "id": "@cerebras/('object', 'list')",
                "name": "('Object', 'List')",
                **base,
                "description": "Cerebras hosted model: ('object', 'list')",
            },
        ]
    )


def _drop_alias(alias: str) -> Reshape:
    def reshape(served: ServedCatalog) -> None:
        served.aliases.pop(alias, None)

    return reshape


def _alias_view(alias: str, view: Callable[[Rows], Rows]) -> Reshape:
    def reshape(served: ServedCatalog) -> None:
        served.alias_views[alias] = view

    return reshape


def _inflate_total(env: dict[str, Any], call: Call, target: Target) -> None:
    if target.single:
        env["total"] += 7
        _recount(env)  # has_more then follows the false total


def _deny_more(env: dict[str, Any], call: Call, target: Target) -> None:
    env["has_more"] = False
    env["next_offset"] = None


def _stall(env: dict[str, Any], call: Call, target: Target) -> None:
    if env["has_more"]:
        env["next_offset"] = env["offset"]


def _pad_note(env: dict[str, Any], call: Call, target: Target) -> None:
    if call.names("xai"):
        env["note"] = _huge_note()


def _rename_data(env: dict[str, Any], call: Call, target: Target) -> None:
    renamed = {("models" if key == "data" else key): value for key, value in env.items()}
    env.clear()
    env.update(renamed)


def _truncate(call: Call, response: Response) -> Response:
    if not call.names("nebius"):
        return response
    body = bytes(response.body)
    return Response(body[: len(body) // 2], status_code=response.status_code, media_type=r.JSON)


def _add_aimo(served: ServedCatalog) -> None:
    spec = EXTRA_GATEWAYS["aimo"]
    served.add_gateway(spec.slug, build_gateway(spec), spec.aliases)


def _openrouter(served: ServedCatalog, label: str) -> Target:
    return Target(served.gateways["openrouter"], label, "openrouter")


def _internal_error(call: Call, **context: Any) -> Response:
    return r.error(
        500,
        "internal_error",
        "Internal server error",
        kind="internal_error",
        request_id=call.request_id(),
        context=context or {"limit": call.limit},
    )


_HTML_502 = r.cloudflare_page(502, "Bad gateway")


# --- fuzz-only faults: inputs no gate contract sends, or a field no gate contract reads ------------


def _query(call: Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.url).query, keep_blank_values=True)


def _empty_search_paged(call: Call) -> bool:
    """`q=` (present, empty) with `offset > 0`: the combination the search handler never expected."""
    return call.route == "search" and _query(call).get("q") == [""] and call.offset > 0


def _filters_conflict(call: Call) -> bool:
    """`provider=...` together with `unique_models=true` on a model list."""
    query = _query(call)
    unique = query.get("unique_models", ["false"])[-1].lower() in ("true", "1", "yes", "on", "t", "y")
    return call.route == LIST and "provider" in query and unique


def _conflict(call: Call) -> Response:
    return r.error(
        409,
        "conflicting_filters",
        "provider and unique_models cannot be combined",
        request_id=call.request_id(),
    )


def _counts_as_strings(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**entry, "model_count": str(entry["model_count"])} for entry in entries]


# --- live bugs of the 2026-08 backend (B7, B8) and the status counts ------------------------------


def _status_fails(call: Call) -> Response:
    """B7: the route imports from a module that does not exist, so every call raises."""
    return _internal_error(call, exception="ImportError")


def _search_rejection_as_500(call: Call, response: Response) -> Response:
    """B8: search's own 400 for an unknown gateway is caught by a broad handler and re-raised as a 500."""
    if call.route != SEARCH or response.status_code != 400:
        return response
    return _internal_error(call)


def _stale_featherless_count(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "model_count": 994} if e["id"] == "featherless" else e for e in entries]


_HF = frozenset({"huggingface"})


# --- data-dependent faults: what the checks must still catch once they demand only what the API promises ---


def _served_fields(served: ServedCatalog, row: Row) -> Row:
    """A row as a fault adds it: the shape's fields, with the developer and description it can be judged by."""
    if served.shape == FULL:
        return row
    kept = (*PROMISED_ROW_FIELDS, *OPTIONAL_ROW_FIELDS, "provider_slug")
    return {key: row[key] for key in kept if row.get(key) is not None}


def _append_others(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """Developer listings get 3 rows of other developers (neither their id prefix nor their provider slug)."""
    if call.route != DEVELOPER:
        return rows
    others = [row for row in head(served.aggregate, 200).iter_rows() if not matches_developer(row, call.developer)]
    return ConcatRows([rows, TableRows([_served_fields(served, row) for row in others[:3]])])


def _short_total(body: dict[str, Any], returned: int) -> None:
    if returned:
        body["total"] = returned - 1


def _append_unmatched(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """Searches with a `q` get 3 rows (with a description) whose id, name, description and developer lack it."""
    needle = _query(call).get("q", [""])[-1].lower()
    if call.route != SEARCH or not needle:
        return rows
    fields = (*SEARCHED[SPARSE], "provider_slug")
    unrelated = [
        row for row in served.aggregate.iter_rows()
        if row.get("description") and not any(needle in str(row.get(f) or "").lower() for f in fields)
    ][:3]
    return ConcatRows([rows, TableRows([_served_fields(served, row) for row in unrelated])])


def _unique_requested(call: Call) -> bool:
    return _query(call).get("unique_models", ["false"])[-1].lower() in ("true", "1", "yes", "on", "t", "y")


def _repeat_every_tenth(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """`unique_models=true` lists serve every tenth row twice in a row (so any page of 2+ rows may hold both)."""
    if call.route != LIST or not _unique_requested(call):
        return rows
    return PickRows(rows, [i for k in range(len(rows)) for i in ((k, k) if k % 10 == 0 else (k,))])


# The provider caches search read before it read the catalog (R29): the four gateways of 2025-10.
_LEGACY_SEARCH_CACHES = frozenset({"openrouter", "featherless", "deepinfra", "together"})
UNIQUE_PAGE_CAP = 100


def _search_legacy_caches(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """R29: search answers from the legacy provider caches only: rows of any other gateway are never found."""
    if call.route != SEARCH:
        return rows
    return PickRows(rows, [i for i, row in enumerate(rows.iter_rows())
                           if row.get("source_gateway") in _LEGACY_SEARCH_CACHES])


def _unique_fallback(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """R30: unique mode of `all` falls back to one gateway's catalog (openrouter's ids) when its query fails."""
    if call.route != LIST or not _unique_requested(call) or call.gateway.lower() != "all":
        return rows

    def openrouters(row: Row) -> bool:
        providers = row.get("providers")
        if isinstance(providers, list):  # the sparse shape's unique rows
            return any(p.get("slug") == "openrouter" for p in providers)
        return row.get("source_gateway") == "openrouter"

    return PickRows(rows, [i for i, row in enumerate(rows.iter_rows()) if openrouters(row)])


def _developer_drops_last(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """`/v1/models/{developer}` reads a listing one row short: the developer's last row (and its count) missing."""
    if call.route != DEVELOPER or len(rows) == 0:
        return rows
    return PickRows(rows, list(range(len(rows) - 1)))


def _repeat_past_the_cap(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """D2 where one capped page does not show it: past the first 100 unique rows, every tenth is served twice."""
    if call.route != LIST or not _unique_requested(call):
        return rows
    return PickRows(rows, [i for k in range(len(rows))
                           for i in ((k, k) if k >= UNIQUE_PAGE_CAP and k % 10 == 0 else (k,))])


def _cap_unique_page(env: dict[str, Any], call: Call, target: Target) -> None:
    """Unique-mode pages hold at most 100 rows, whatever `limit` says; `has_more` and `next_offset` follow."""
    data = env.get("data")
    if not _unique_requested(call) or not isinstance(data, r.RawList) or len(data.items) <= UNIQUE_PAGE_CAP:
        return
    env["data"] = r.RawList(data.items[:UNIQUE_PAGE_CAP])
    env["returned"] = UNIQUE_PAGE_CAP
    env["has_more"] = call.offset + UNIQUE_PAGE_CAP < env["total"]
    env["next_offset"] = call.offset + UNIQUE_PAGE_CAP if env["has_more"] else None


def _rotate_per_read(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """`gateway=all`: the n-th read of a URL starts n rows later (wrapping), as a rebuilt catalog reorders."""
    if call.route != LIST or call.gateway.lower() != "all":
        return rows
    return rotated(rows, call.nth("unstable-order", call.url))


def _echo_other(env: dict[str, Any], call: Call, target: Target) -> None:
    if target.slug == "openrouter":
        env["gateway"] = "deepinfra"


def _undercount_groq(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "model_count": e["model_count"] - 3} if e["id"] == "groq" else e for e in entries]


def _null_description_500(call: Call, rows: Rows) -> Response | None:
    """D3: the text filter lower-cases every row's description, so a row whose description is null raises."""
    if not _query(call).get("q", [""])[-1]:
        return None
    if any(row.get("description") is None for row in rows.iter_rows()):
        return _internal_error(call, exception="AttributeError")
    return None


def _per_million(row: Row) -> Row:
    """Prices written per million tokens: "0.5" where the row had "0.0000005" (a unit, not a price, changed)."""
    pricing = row.get("pricing")
    if not isinstance(pricing, dict):
        return row
    return {**row, "pricing": {k: f"{float(v) * 1_000_000:.10g}" for k, v in pricing.items()}}


def _flap_per_read(call: Call, rows: Rows, served: ServedCatalog) -> Rows:
    """Model lists: every repeat of a URL leaves out another hundredth of the rows (the n-th repeat those at
    n - 1, n + 99, ...: health gating, a model whose upstream check failed this minute is not listed), so two reads
    of a catalog disagree on a few rows. The first read of a URL is whole."""
    if call.route != LIST:
        return rows
    repeat = call.nth("health-gated-flap", call.url)
    if repeat == 0:
        return rows
    return PickRows(rows, [i for i in range(len(rows)) if i % 100 != (repeat - 1) % 100])


RENAMED_FROM, RENAMED_TO = "huggingface", "hugging-face"


def _rename_in_registry(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "id": RENAMED_TO} if e["id"] == RENAMED_FROM else e for e in entries]


def _resolve_renamed(call: Call, target: Target | None, served: ServedCatalog) -> Target | None:
    return served.resolve(RENAMED_FROM) if call.gateway.lower() == RENAMED_TO else target


def _unknown_context(served: ServedCatalog) -> None:
    served.gateways["deepinfra"] = mapped(served.gateways["deepinfra"], lambda row: {**row, "context_length": 0})


def _rescale_prices(factor: Decimal) -> Callable[[Row], Row]:
    """Per-token prices (prompt, completion) multiplied by `factor`, written as the notation slip would: per
    million "0.15", twice normalised "1.5E-13"; free "0", request and image prices untouched."""
    def change(row: Row) -> Row:
        pricing = row["pricing"]
        if pricing is None:
            return row
        def written(value: Decimal) -> str:
            value = value.normalize()
            return format(value, "f") if factor > 1 else str(value)

        scaled = {k: (written(Decimal(v) * factor) if k in ("prompt", "completion") and Decimal(v) else v)
                  for k, v in pricing.items()}
        return {**row, "pricing": scaled}

    return change


def _doubled_price(row: Row) -> Row:
    pricing = row["pricing"] or {}
    return {**row, "pricing": {**pricing, "prompt": str(Decimal(pricing.get("prompt") or "0.000001") * 2)}}


# --- the registry ---------------------------------------------------------------------------------

_ALL_FAULTS: tuple[Fault, ...] = (
    Fault(
        "hf-rename-404",
        "R04",
        "HuggingFace (and hug) model lists and chat for Arch-Router answer 404",
        request=RequestChange(intercept=_answer(lambda c: c.names("huggingface"), lambda c: r.not_found())),
        chat=ChatChange(answer=lambda model: r.not_found() if model == ARCH_ROUTER else None),
        needs=_HF,
    ),
    Fault(
        "catalog-routes-missing",
        "R04/R07",
        "model, search, developer and chat routes are not registered (404, absent from /openapi.json)",
        routes=RouteChange(removed=True),
    ),
    Fault(
        "alias-broken",
        "R04/R15",
        "gateway=hug answers 400 unknown gateway",
        catalog=CatalogChange(gateways=_drop_alias("hug")),
        needs=_HF,
    ),
    Fault(
        "alias-diverges",
        "R15",
        "gateway=hug serves the HuggingFace catalog minus its last 50 models",
        catalog=CatalogChange(gateways=_alias_view("hug", lambda rows: head(rows, len(rows) - 50))),
        needs=_HF,
    ),
    Fault(
        "hf-cap-101",
        "R03",
        "HuggingFace upstream ignores limit and caps pages at 100: total 101",
        catalog=CatalogChange(gateways=_set_gateway("huggingface", lambda rows: head(rows, 101))),
        request=RequestChange(page_limit=lambda limit, target, total: 100 if target.slug == "huggingface" else limit),
        needs=_HF,
    ),
    Fault(
        "hf-cap-100",
        "R05",
        "HuggingFace serves only its first 100 models",
        catalog=CatalogChange(gateways=_set_gateway("huggingface", lambda rows: head(rows, 100))),
        needs=_HF,
    ),
    Fault(
        "hf-duplicate-block",
        "R01",
        "HuggingFace is its first 100 ids repeated to 1200 rows",
        catalog=CatalogChange(gateways=_set_gateway("huggingface", lambda rows: repeated(head(rows, 100), 12))),
        needs=_HF,
    ),
    Fault(
        "hf-partial-load",
        "B9",
        "HuggingFace serves only its first 1,050 of 1,204 models (-12.8 %): above its floor, "
        "so only a baseline comparison catches it",
        catalog=CatalogChange(gateways=_set_gateway("huggingface", lambda rows: head(rows, 1050))),
        needs=_HF,
    ),
    Fault(
        "featherless-blowup",
        "R02",
        "featherless catalog repeated 4 times",
        catalog=CatalogChange(gateways=_set_gateway("featherless", lambda rows: repeated(rows, 4))),
    ),
    Fault(
        "gateway-ignored",
        "R09",
        "every gateway value (all, aliases, unknown) serves openrouter's catalog",
        request=RequestChange(resolve=lambda call, target, served: _openrouter(served, call.gateway)),
    ),
    Fault(
        "unknown-gateway-data",
        "R09",
        "unknown gateway values answer 200 with openrouter's catalog",
        request=RequestChange(resolve=lambda call, target, served: target or _openrouter(served, call.gateway)),
    ),
    Fault(
        "all-missing-gateway",
        "R10",
        "gateway=all lacks every HuggingFace row",
        catalog=CatalogChange(aggregate=lambda s: s.aggregate_parts.remove(s.gateways["huggingface"])),
        needs=_HF,
    ),
    Fault(
        "python-repr-ids",
        "R11",
        "cerebras gets 2 extra rows whose id and name are Python reprs",
        catalog=CatalogChange(gateways=_set_gateway("cerebras", lambda rows: ConcatRows([rows, _repr_rows()]))),
    ),
    Fault(
        "required-model-missing",
        "R12",
        "katanemo/Arch-Router-1.5B missing from huggingface, hug and all",
        catalog=CatalogChange(gateways=_set_gateway("huggingface", _without_id(ARCH_ROUTER))),
        needs=_HF,
    ),
    Fault(
        "chat-502-html",
        "R13",
        "chat for katanemo/Arch-Router-1.5B answers 502 with a Cloudflare HTML page",
        chat=ChatChange(answer=lambda model: r.html(502, _HTML_502) if model == ARCH_ROUTER else None),
        needs=_HF,
    ),
    Fault(
        "source-gateway-leak",
        "R09/R15",
        "5 together rows say source_gateway openrouter",
        catalog=CatalogChange(
            gateways=_set_gateway(
                "together", _patch(lambda n: range(n - 5, n), lambda row: {**row, "source_gateway": "openrouter"})
            ),
        ),
    ),
    Fault(
        "silent-page-cap",
        "R16",
        "pages never exceed 500 rows; the envelope still echoes the limit",
        request=RequestChange(page_limit=lambda limit, target, total: min(limit, 500)),
    ),
    Fault(
        "limit-ignored",
        "R17",
        "single gateways return their whole catalog (from offset) whatever the limit",
        request=RequestChange(page_limit=lambda limit, target, total: total if target.single else limit),
    ),
    Fault(
        "total-mismatch",
        "B9",
        "single gateways report total 7 above the real count",
        response=ResponseChange(envelope=_inflate_total),
    ),
    Fault(
        "has-more-lies",
        "R16",
        "has_more is always false and next_offset null",
        response=ResponseChange(envelope=_deny_more),
    ),
    Fault(
        "next-offset-stalls",
        "B6",
        "next_offset repeats the request's offset whenever has_more is true",
        response=ResponseChange(envelope=_stall),
    ),
    Fault(
        "negative-offset-accepted",
        "B6",
        "offset < 0 returns the tail rows and a negative next_offset",
        routes=RouteChange(relax_offset=True),
    ),
    Fault(
        "limit-out-of-range-500",
        "B6",
        "limit 0 or above 1000 answers 500 instead of 422",
        request=RequestChange(
            intercept=_answer(lambda c: c.route == LIST and not 1 <= c.limit <= 1000, _internal_error),
        ),
        routes=RouteChange(relax_limit=True),
    ),
    Fault(
        "gateway-503",
        "R08",
        "deepinfra answers 503 Models data unavailable",
        request=RequestChange(
            intercept=_answer(lambda c: c.names("deepinfra"), lambda c: r.detail(503, "Models data unavailable")),
        ),
    ),
    Fault(
        "gateway-empty",
        "R27",
        "deepinfra answers 200 with no models",
        catalog=CatalogChange(gateways=_set_gateway("deepinfra", lambda rows: EMPTY)),
    ),
    Fault(
        "envelope-models-key",
        "R23",
        "the model list is under `models` instead of `data`",
        response=ResponseChange(envelope=_rename_data),
    ),
    Fault(
        "field-type-drift",
        "R22",
        "openrouter rows: context_length a string, created an ISO string, prices JSON numbers",
        catalog=CatalogChange(gateways=_set_gateway("openrouter", lambda rows: mapped(rows, _drift_types))),
        full_only=True,
    ),
    Fault(
        "negative-prices",
        "R20",
        "3 openrouter rows have a negative prompt price",
        catalog=CatalogChange(gateways=_set_gateway("openrouter", _patch(lambda n: (7, 77, 200), _negative_prompt))),
        full_only=True,
    ),
    Fault(
        "all-duplicate-rows",
        "R25",
        "gateway=all contains every groq row twice",
        catalog=CatalogChange(aggregate=lambda s: s.aggregate_parts.append(s.gateways["groq"])),
    ),
    Fault(
        "slow-gateway",
        "R18",
        "huggingface/hug model lists wait slow_seconds (default 6 s) before answering",
        request=RequestChange(
            intercept=_sleep_then_continue(lambda c: c.names("huggingface"), lambda c: c.slow_seconds),
        ),
        needs=_HF,
    ),
    Fault(
        "chat-auth-off",
        "R13",
        "chat answers 200 without a key or with any key",
        chat=ChatChange(auth_off=True),
    ),
    Fault(
        "registry-missing-gateway",
        "-",
        "/v1/gateways omits novita (still served)",
        catalog=CatalogChange(registry=lambda entries: [e for e in entries if e["id"] != "novita"]),
    ),
    Fault(
        "registry-extra-gateway",
        "-",
        "/v1/gateways lists an extra gateway aimo (alias aimo-network, 12 models), served and in all",
        catalog=CatalogChange(gateways=_add_aimo),
    ),
    Fault(
        "flaky-503",
        "reliability",
        "the first request of each catalog URL answers 503 with Retry-After: 1",
        request=RequestChange(intercept=_first_request_fails("flaky-503", 503, "Service Unavailable", "1")),
    ),
    Fault(
        "flaky-429",
        "reliability",
        "the first request of each catalog URL answers 429 with Retry-After: 1",
        request=RequestChange(intercept=_first_request_fails("flaky-429", 429, "Too Many Requests", "1")),
    ),
    Fault(
        "rate-limit-no-retry-after",
        "reliability",
        "the first request of each catalog URL answers 429 without Retry-After",
        request=RequestChange(
            intercept=_first_request_fails("rate-limit-no-retry-after", 429, "Too Many Requests", None),
        ),
    ),
    Fault(
        "html-error-page",
        "reliability",
        "gateway=chutes answers 502 with an HTML page",
        request=RequestChange(intercept=_answer(lambda c: c.names("chutes"), lambda c: r.html(502, _HTML_502))),
        needs=frozenset({"chutes"}),
    ),
    Fault(
        "truncated-json",
        "reliability",
        "gateway=nebius answers 200 with its JSON body cut in half",
        response=ResponseChange(finish=_truncate),
        needs=frozenset({"nebius"}),
    ),
    Fault(
        "huge-body",
        "reliability",
        "gateway=xai answers 200 with the note padded to about 60 MB",
        response=ResponseChange(envelope=_pad_note),
    ),
    Fault(
        "hang",
        "reliability",
        "gateway=groq never answers (sleeps an hour)",
        request=RequestChange(intercept=_hang(lambda c: c.names("groq"))),
    ),
    Fault(
        "search-500-on-combo",
        "B8",
        "/v1/models/search with q= (empty) and offset > 0 answers 500",
        request=RequestChange(intercept=_answer(_empty_search_paged, _internal_error)),
    ),
    Fault(
        "undocumented-status",
        "fuzz",
        "model lists with provider and unique_models=true answer 409, a status the spec does not document",
        request=RequestChange(intercept=_answer(_filters_conflict, _conflict)),
    ),
    Fault(
        "schema-break",
        "fuzz",
        "/v1/gateways reports every model_count as a string (\"1204\"), against its schema",
        catalog=CatalogChange(registry=_counts_as_strings),
        full_only=True,
    ),
)

_ALL_FAULTS += (
    Fault(
        "gateway-status-500",
        "B7",
        "/v1/gateways/status answers 500 on every call (the route fails with an ImportError)",
        request=RequestChange(intercept=_answer(lambda c: c.route == STATUS, _status_fails)),
    ),
    Fault(
        "search-unknown-gateway-500",
        "B8",
        "/v1/models/search with an unknown gateway answers 500 instead of 400 unknown_gateway",
        response=ResponseChange(finish=_search_rejection_as_500),
    ),
    Fault(
        "search-bounds-unchecked",
        "B6",
        "/v1/models/search takes limit 0, limit over 100 and a negative offset (200, Python slicing)",
        routes=RouteChange(relax_search=True),
    ),
    Fault(
        "gateway-status-stale-count",
        "B9",
        "/v1/gateways/status reports featherless with 994 models (a stale, page-capped count) while it serves 6,400",
        catalog=CatalogChange(status=_stale_featherless_count),
        needs=frozenset({"featherless"}),
    ),
)

_ALL_FAULTS += (
    Fault(
        "provider-filter-ignored",
        "data-checks",
        "model lists ignore `provider`: every row of the gateway, whoever its developer",
        request=RequestChange(ignores_provider=True),
        # A row is selected by its id prefix OR its provider_slug; sparse rows do not serve the slug, so neither a
        # consumer nor a check can tell a wrongly returned row from one selected by its unserved slug.
        full_only=True,
    ),
    Fault(
        "developer-total-short",
        "data-checks",
        "/v1/models/{developer} reports total one below the rows it returns",
        response=ResponseChange(developer_body=_short_total),
    ),
    Fault(
        "developer-other-rows",
        "data-checks",
        "/v1/models/{developer} also returns 3 rows of other developers (neither id prefix nor provider slug)",
        request=RequestChange(rows=_append_others),
    ),
    Fault(
        "search-unmatched-rows",
        "data-checks",
        "/v1/models/search with a q appends 3 rows whose id, name, description and developer all lack it",
        request=RequestChange(rows=_append_unmatched),
    ),
    Fault(
        "unique-duplicate-ids",
        "D2",
        "unique_models=true serves every tenth row twice",
        request=RequestChange(rows=_repeat_every_tenth),
    ),
    Fault(
        "unique-page-cap",
        "D2",
        "unique_models=true pages hold at most 100 rows (has_more and next_offset follow), and past the first 100 "
        "rows every tenth is served twice: the first page alone looks clean",
        request=RequestChange(rows=_repeat_past_the_cap),
        response=ResponseChange(envelope=_cap_unique_page),
    ),
    Fault(
        "unique-fallback",
        "R30",
        "unique_models=true on all serves a fallback: only the rows of ids openrouter serves",
        request=RequestChange(rows=_unique_fallback),
    ),
    Fault(
        "search-stale-subset",
        "R29",
        "/v1/models/search answers from the legacy provider caches (openrouter, featherless, deepinfra, together) "
        "only: any other gateway's rows are never found",
        request=RequestChange(rows=_search_legacy_caches),
    ),
    Fault(
        "developer-missing-rows",
        "-",
        "/v1/models/{developer} lists each developer's rows but the last (total counts what it lists)",
        request=RequestChange(rows=_developer_drops_last),
    ),
    Fault(
        "gateway-echo-other",
        "data-checks",
        "gateway=openrouter pages echo gateway deepinfra",
        response=ResponseChange(envelope=_echo_other),
    ),
    Fault(
        "status-undercount",
        "data-checks",
        "/v1/gateways/status reports groq with 3 models fewer than its catalog serves",
        catalog=CatalogChange(status=_undercount_groq),
    ),
    Fault(
        "context-unknown",
        "D1",
        "every deepinfra row serves context_length 0 (unknown), as the backend's normaliser did for whole providers",
        catalog=CatalogChange(gateways=_unknown_context),
    ),
    Fault(
        "prices-normalised-twice",
        "R20",
        "fireworks' per-token prices divided by a million once more (5E-13 a token), as the backend once shipped",
        catalog=CatalogChange(gateways=_set_gateway(
            "fireworks", lambda rows: mapped(rows, _rescale_prices(Decimal(10) ** -6)))),
        full_only=True,
    ),
    Fault(
        "context-placeholder",
        "values",
        "every google-vertex row serves context_length 128000, one placeholder for the whole gateway",
        catalog=CatalogChange(gateways=_set_gateway(
            "google-vertex", lambda rows: mapped(rows, lambda row: {**row, "context_length": 128000}))),
    ),
    Fault(
        "reference-mismatch",
        "values",
        "the first 10 openrouter rows serve twice their prompt price (contracts/reference-prices.json knows them)",
        catalog=CatalogChange(gateways=_set_gateway("openrouter", _patch(lambda n: range(10), _doubled_price))),
        full_only=True,
    ),
    Fault(
        "search-500-on-null-description",
        "D3",
        "/v1/models/search with a q answers 500 when a row it searches has no description (featherless, all)",
        request=RequestChange(search_answer=_null_description_500),
    ),
    Fault(
        "unstable-order",
        "D4",
        "gateway=all: each repeat of the same URL lists the rows one further along (wrapping)",
        request=RequestChange(rows=_rotate_per_read),
    ),
    # The differential gate's (COMPARE_URL): a deploy's changes that keep every count and floor.
    Fault(
        "prices-per-million",
        "differential",
        "deepinfra's prices are written per million tokens (\"0.5\" for \"0.0000005\"): the backend's double "
        "normalisation, every count intact",
        catalog=CatalogChange(gateways=_set_gateway("deepinfra", lambda rows: mapped(rows, _per_million))),
        full_only=True,
    ),
    Fault(
        "health-gated-flap",
        "differential",
        "model lists: each repeat of a URL leaves out another hundredth of the rows (health gating)",
        request=RequestChange(rows=_flap_per_read),
    ),
    Fault(
        "gateway-renamed",
        "differential",
        "huggingface is renamed hugging-face: the registry lists the new id, gateway=huggingface (and hug) answers "
        "404, gateway=hugging-face serves its catalog",
        catalog=CatalogChange(registry=_rename_in_registry),
        request=RequestChange(intercept=_answer(lambda c: c.names(RENAMED_FROM), lambda c: r.not_found()),
                              resolve=_resolve_renamed),
        needs=_HF,
    ),
)


def _upstream_down(model: str) -> bool:
    """About a third of groq's listed models: those whose id's CRC-32 is divisible by 3 (stable in every run)."""
    return model.startswith("groq/") and zlib.crc32(model.encode()) % 3 == 0


def _upstream_502(model: str) -> Response | None:
    if not _upstream_down(model):
        return None
    return r.error(502, "upstream_error", f"Upstream provider error for model '{model}'", kind="api_error",
                   request_id=f"req-upstream-{zlib.crc32(model.encode()):08x}", context={"model": model})


_ALL_FAULTS += (
    Fault(
        "chat-listed-502",
        "listed-not-callable",
        "chat for about a third of groq's listed models answers 502 upstream_error: listed, not callable",
        chat=ChatChange(answer=_upstream_502),
        needs=frozenset({"groq"}),
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL_FAULTS}


def validate_faults(names: Iterable[str]) -> tuple[str, ...]:
    """Distinct fault names in registry order; ValueError naming an unknown one and listing the valid."""
    wanted = [name.strip() for name in names if name.strip()]
    for name in wanted:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; valid faults: {', '.join(FAULTS)}")
    return tuple(name for name in FAULTS if name in wanted)


class FaultPlan:
    """The active faults, applied at the fixed points the handlers call (registry order)."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.names = validate_faults(names)
        self.faults = [FAULTS[name] for name in self.names]
        self._seen: dict[str, dict[str, int]] = {}

    def _hooks(self, group: str, hook: str) -> list[Any]:
        """The set hooks of one kind (`group`.`hook`, e.g. request.intercept), in registry order."""
        return [h for fault in self.faults if (h := getattr(getattr(fault, group), hook))]

    @property
    def removes_catalog_routes(self) -> bool:
        return bool(self._hooks("routes", "removed"))

    @property
    def chat_auth_off(self) -> bool:
        return bool(self._hooks("chat", "auth_off"))

    @property
    def relax_limit(self) -> bool:
        return bool(self._hooks("routes", "relax_limit"))

    @property
    def relax_offset(self) -> bool:
        return bool(self._hooks("routes", "relax_offset"))

    @property
    def relax_search(self) -> bool:
        return bool(self._hooks("routes", "relax_search"))

    @property
    def ignores_provider(self) -> bool:
        return bool(self._hooks("request", "ignores_provider"))

    def nth(self, fault: str, key: str) -> int:
        """How many calls with this key the fault saw before this one."""
        seen = self._seen.setdefault(fault, {})
        count = seen.get(key, 0)
        seen[key] = count + 1
        return count

    def first_time(self, fault: str, key: str) -> bool:
        return self.nth(fault, key) == 0

    def serve(self, catalog: GeneratedCatalog) -> ServedCatalog:
        """The catalog as served: faults applied, registry and status built, sparse rows projected.
        ValueError for a fault the catalog's shape cannot show."""
        self._check_shape(catalog)
        served = ServedCatalog.from_catalog(catalog)
        for reshape in self._hooks("catalog", "gateways"):
            reshape(served)
        served.aggregate_parts = list(served.gateways.values())
        for reshape in self._hooks("catalog", "aggregate"):
            reshape(served)
        registry = served.default_registry()
        for change in self._hooks("catalog", "registry"):
            registry = change(registry)
        served.registry = registry
        status = served.default_status()
        for change in self._hooks("catalog", "status"):
            status = change(status)
        served.status = status
        if catalog.shape == SPARSE:
            served.project()
        served.seal()
        return served

    def _check_shape(self, catalog: GeneratedCatalog) -> None:
        for fault in self.faults:
            missing = sorted(fault.needs - set(catalog.gateways))
            if missing:
                raise ValueError(f"fault {fault.name!r} needs gateway {', '.join(missing)}, which the "
                                 f"{catalog.shape} shape does not serve")
            outside = sorted(fault.needs & UNFAULTABLE[catalog.shape])
            if outside:
                raise ValueError(f"fault {fault.name!r} needs gateway {', '.join(outside)}, which the "
                                 f"{catalog.shape} shape serves only outside the contract it is held to")
            if fault.full_only and catalog.shape != FULL:
                raise ValueError(f"fault {fault.name!r} changes fields the {catalog.shape} shape does not serve")

    async def intercept(self, call: Call) -> Response | None:
        for intercept in self._hooks("request", "intercept"):
            answer = await intercept(call)
            if answer is not None:
                return answer
        return None

    def resolve(self, call: Call, served: ServedCatalog) -> Target | None:
        target = served.resolve(call.gateway)
        for resolve in self._hooks("request", "resolve"):
            target = resolve(call, target, served)
        return target

    def page_limit(self, limit: int, target: Target, total: int) -> int:
        for page_limit in self._hooks("request", "page_limit"):
            limit = page_limit(limit, target, total)
        return limit

    def rows(self, call: Call, rows: Rows, served: ServedCatalog) -> Rows:
        for change in self._hooks("request", "rows"):
            rows = change(call, rows, served)
        return rows

    def search_answer(self, call: Call, rows: Rows) -> Response | None:
        for search_answer in self._hooks("request", "search_answer"):
            answer = search_answer(call, rows)
            if answer is not None:
                return answer
        return None

    def envelope(self, env: dict[str, Any], call: Call, target: Target) -> None:
        for change in self._hooks("response", "envelope"):
            change(env, call, target)

    def developer_body(self, body: dict[str, Any], returned: int) -> None:
        for change in self._hooks("response", "developer_body"):
            change(body, returned)

    def finish(self, call: Call, response: Response) -> Response:
        for finish in self._hooks("response", "finish"):
            response = finish(call, response)
        return response

    def chat(self, model: str) -> Response | None:
        for chat in self._hooks("chat", "answer"):
            answer = chat(model)
            if answer is not None:
                return answer
        return None
