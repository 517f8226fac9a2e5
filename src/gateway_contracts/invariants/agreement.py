"""Routes against the catalog they serve from: search, unique mode, the developer route and route aliases.

Each route has its own checks (its shape, its arithmetic); these hold it to the catalog the contracts walk, by the
API's own rules (gatewayz-backend `src/routes/catalog.py` at d4e0b0c6, docs/contract-file.md "Routes agree"):
- search (`search_models`) reads the same catalog as `GET /v1/models` and keeps a row whose id, name,
  description or provider contains `q`, any case: a search for a row's id finds the row, within its gateway and
  over all; a search within a gateway answers only that gateway's rows;
- unique mode (`get_cached_models("all", use_unique_models=True)`) is one row per model with the gateways that
  offer it (`providers`): each flat row is offered once, under one unique row, so per gateway the offers add up to
  the flat rows (a row without `providers` stands for its id alone: then the ids are the flat catalog's distinct
  ids); a unique id is a flat id or its last path segment (`transform_unique_model_to_api_format`);
- the developer route (`get_developer_models`) lists the rows of `all` whose id starts with `developer/` or whose
  `provider_slug` (lower-cased, leading `@` dropped) is the developer, any case; `total` counts them before paging;
- `/models` is the same handler as `/v1/models`, and `gateway` defaults to `all`.

Pure: the contract tests pass in what the store fetched. Which rows and developers are sampled is the plan's
(plan.py: deterministic and bounded, so the plan of requests counts them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.invariants.developer import normalize_developer

# -- the developer rule --------------------------------------------------------------------------------------------


def belongs_to_developer(row: Any, developer: str) -> bool:
    """The backend's rule (`get_developer_models`, the same as the `provider` filter): the id starts with
    `developer/`, or the `provider_slug`, lower-cased with leading `@`s dropped, is the developer; any case."""
    if not isinstance(row, dict):
        return False
    key = normalize_developer(developer).lower()
    model_id = row.get("id")
    slug = row.get("provider_slug")
    by_id = isinstance(model_id, str) and model_id.lower().startswith(key + "/")
    by_slug = isinstance(slug, str) and slug.lower().lstrip("@") == key
    return by_id or by_slug


# -- search --------------------------------------------------------------------------------------------------------


def search_rows(body: Any) -> tuple[list[Any], bool] | None:
    """A search answer's rows and whether they are every match (`meta.total` within the rows served from offset 0);
    None when the body is not a search answer (the search checks report that)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    rows = body["data"]
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    offset = meta.get("offset", 0) if isinstance(meta, dict) else 0
    complete = is_int(total) and offset == 0 and total <= len(rows)
    return rows, complete


def search_finds(body: Any, model_id: str, *, where: str, request: str | None = None) -> list[Finding]:
    """A search for a listed row's id finds it (the catalog lists `model_id`; the search contains it in the id).
    Judged only when the answer holds every match: a row past the first page is not missing."""
    parsed = search_rows(body)
    if parsed is None:
        return [Finding("search-agreement", f"searching {where} for {model_id!r}: the answer has no 'data' list",
                        request)]
    rows, complete = parsed
    if not complete or any(isinstance(r, dict) and r.get("id") == model_id for r in rows):
        return []
    return [Finding("search-agreement",
                    f"searching {where} for {model_id!r}, which its catalog lists, answered {len(rows)} rows without "
                    "it; expected search to read the catalog it serves", request, (repr(model_id),))]


def search_within_catalog(body: Any, catalog_ids: Collection[Any], *, gateway: str,
                          request: str | None = None) -> list[Finding]:
    """A search within a gateway answers only rows that gateway's catalog lists (by id)."""
    parsed = search_rows(body)
    if parsed is None:
        return []  # search_finds reports it
    strangers = [r.get("id") for r in parsed[0] if isinstance(r, dict) and r.get("id") not in catalog_ids]
    if not strangers:
        return []
    return [Finding("search-agreement",
                    f"a search within {gateway} answered {len(strangers)} row(s) its catalog does not list; expected "
                    "only the catalog's rows", request, sample(dict.fromkeys(strangers)))]


def search_finds_every_gateway(body: Any, model_id: str, serving: Mapping[str, Collection[str]], *,
                               request: str | None = None) -> list[Finding]:
    """A search over all for `model_id` finds it once per gateway whose catalog lists it. `serving`: each such
    gateway's slug -> the names its rows may give as `source_gateway` (slug, aliases), any case."""
    parsed = search_rows(body)
    if parsed is None:
        return [Finding("search-agreement", f"searching all gateways for {model_id!r}: the answer has no 'data' "
                        "list", request)]
    rows, complete = parsed
    if not complete:
        return []
    sources = {str(r.get("source_gateway")).lower() for r in rows if isinstance(r, dict) and r.get("id") == model_id}
    missing = [slug for slug, names in serving.items() if not sources & {n.lower() for n in names}]
    if not missing:
        return []
    return [Finding("search-agreement",
                    f"searching all gateways for {model_id!r} missed the rows of {', '.join(missing)}, whose catalogs "
                    f"list it (found it from {len(sources)} gateway(s)); expected a row per gateway that serves it",
                    request, sample(missing))]


# -- unique mode ---------------------------------------------------------------------------------------------------


def _offers(row: dict[str, Any]) -> list[str] | None:
    providers = row.get("providers")
    if not isinstance(providers, list):
        return None
    return [str(p.get("slug")).lower() for p in providers if isinstance(p, dict)]


def unique_agrees(unique_rows: Sequence[Any], flat_rows: Sequence[Any], *, unique_complete: bool = True,
                  flat_complete: bool = True, request: str | None = None) -> list[Finding]:
    """Every page of `unique_models=true` against the flat aggregate (`gateway=all`), by the API's rule: a unique
    row with `providers` offers the model once per gateway, so per gateway its offers count the flat rows; a row
    without them stands for its id, and then the unique ids are the flat catalog's distinct ids. Each unique id is
    a flat id or the last path segment of one. Judged on what was read whole: ids from elsewhere need the flat
    catalog complete; the counts, both."""
    rows = [r for r in unique_rows if isinstance(r, dict)]
    flat = [r for r in flat_rows if isinstance(r, dict)]
    flat_ids = {r.get("id") for r in flat if isinstance(r.get("id"), str)}
    known = flat_ids | {i.rsplit("/", 1)[-1] for i in flat_ids}
    findings = []
    foreign = [r.get("id") for r in rows if r.get("id") not in known] if flat_complete else []
    if foreign:
        findings.append(Finding("unique-agreement",
                                f"{len(foreign)} unique row(s) name an id the flat catalog does not serve (nor as a "
                                "last path segment); expected unique mode to deduplicate the same catalog",
                                request, sample(dict.fromkeys(foreign))))
    if not (unique_complete and flat_complete):
        return findings
    with_offers = [r for r in rows if _offers(r) is not None]
    if with_offers and len(with_offers) == len(rows):
        offered = Counter(slug for r in rows for slug in _offers(r) or ())
        served = Counter(str(r.get("source_gateway")).lower() for r in flat)
        differ = sorted(set(offered) | set(served), key=lambda g: (-served[g], g))
        differ = [g for g in differ if offered[g] != served[g]]
        if differ:
            findings.append(Finding(
                "unique-agreement",
                f"unique mode offers {sum(offered.values()):,} (model, gateway) pairs in {len(rows):,} rows, the flat "
                f"catalog serves {len(flat):,} rows; per gateway they differ for {len(differ)}: expected each flat "
                "row offered once", request, sample(f"{g}: {offered[g]} offered, {served[g]} served" for g in differ)))
    elif not with_offers:
        unique_ids = {r.get("id") for r in rows}
        missing = sorted(flat_ids - unique_ids)
        if missing:
            findings.append(Finding(
                "unique-agreement",
                f"unique mode lists {len(unique_ids):,} ids, the flat catalog {len(flat_ids):,}: {len(missing):,} "
                "flat ids are missing; expected every distinct id once", request, sample(missing)))
    return findings


# -- the developer route -------------------------------------------------------------------------------------------


def developer_body(body: Any) -> tuple[list[Any], int | None] | None:
    """A developer answer's rows and `total` (None when not served); None when it has no `models` list."""
    if not isinstance(body, dict) or not isinstance(body.get("models"), list):
        return None
    total = body.get("total")
    return body["models"], total if is_int(total) else None


def developer_agrees(listed: Sequence[Any], total: int | None, aggregate_rows: Sequence[Any], developer: str, *,
                     request: str | None = None) -> list[Finding]:
    """`/v1/models/{developer}` (every page of it) lists each of the aggregate's rows of that developer, by the
    API's rule, and its `total` counts them. More is not judged: the route reads the catalog before health gating,
    which `/v1/models` applies."""
    def pair(row: Any) -> tuple[Any, Any]:
        return row.get("id"), str(row.get("source_gateway")).lower()

    expected = [pair(r) for r in aggregate_rows if belongs_to_developer(r, developer)]
    got = {pair(r) for r in listed if isinstance(r, dict)}
    missing = [p for p in dict.fromkeys(expected) if p not in got]
    findings = []
    if missing:
        findings.append(Finding(
            "developer-agreement",
            f"/v1/models/{developer} lists {len(got)} rows; {len(missing)} of the {len(expected)} rows of `all` that "
            f"are {developer}'s are missing; expected every one", request,
            sample(f"{model_id}@{source}" for model_id, source in missing)))
    if total is not None and total < len(expected):
        findings.append(Finding(
            "developer-agreement",
            f"/v1/models/{developer} says total {total}, the catalog holds {len(expected)} of {developer}'s rows; "
            "expected total to count them", request))
    return findings


# -- route aliases -------------------------------------------------------------------------------------------------


def alias_page_agrees(body: Any, total: int | None, pairs: Collection[tuple[Any, Any]], *, alias: str, route: str,
                      request: str | None = None) -> list[Finding]:
    """A page served by `alias` of `route` (the same handler, or the default gateway) belongs to the same catalog:
    the same `total`, and each of its rows one of the catalog's (id, source_gateway) pairs. Membership, not
    position: the order of `all` may change between reads (D4)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return [Finding("route-alias", f"{alias} answered no catalog page where {route} serves one", request)]
    findings = []
    alias_total = body.get("total")
    if total is not None and alias_total != total:
        findings.append(Finding("route-alias", f"{alias} says total {alias_total!r}, {route} says {total}; expected "
                                "the same catalog", request))
    strangers = [f"{r.get('id')}@{r.get('source_gateway')}" for r in body["data"] if isinstance(r, dict)
                 and (r.get("id"), str(r.get("source_gateway")).lower()) not in pairs]
    if strangers:
        findings.append(Finding("route-alias", f"{alias} served {len(strangers)} row(s) that {route}'s catalog does "
                                "not list; expected the same catalog", request, sample(strangers)))
    return findings


def catalog_pairs(rows: Iterable[Any]) -> frozenset[tuple[Any, Any]]:
    """(id, source_gateway lower-cased) of each row: what `alias_page_agrees` compares."""
    return frozenset((r.get("id"), str(r.get("source_gateway")).lower()) for r in rows if isinstance(r, dict))
