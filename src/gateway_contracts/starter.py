"""`gateway-contracts init`: a starter contract written from what a live target serves today.

It reads the registry (`/v1/gateways`, Gatewayz) or the one model list (`GET /v1/models`, OpenAI), walks each
catalog once through the suite's own client (the same pager, page size and rate budget as a run), and writes a
contract a team can review and commit. Every number in it is derived from an observed count by one rule, stated
in the file's header; the observation date is written too. It never writes the key (it only sends it), and it
refuses a target that answers nothing it can use (exit 7, one line naming the URL).

The rules (kept here, printed in the file):
- floor (`min_models`, distinct ids) = 70 % of the observed distinct ids, rounded down; ceiling (`max_models`,
  rows) = 3x the observed rows, rounded up: a drop of a third, or a duplication blow-up, fails.
- a gateway the registry lists that served no model is kept with `min_models: 0` and no ceiling (its coverage,
  aliases and error handling are still checked); one whose catalog does not answer a usable walk is left out,
  with a comment saying what it answered.
- models that must not vanish: the first two ids a gateway listed that the aggregate (`all`) lists too.
- unknown context lengths (missing, null or 0): bounded only if the target serves context lengths at all; the
  bound is 25 %, raised per gateway to its observed share + 10 points (rounded up to 5 %) when that share is
  partial; a gateway where every row is unknown keeps 25 %: a whole catalog without context lengths is the
  signature of a broken normaliser (docs/real-backend-run.md, D1), so its gate fails until it is looked at.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway_contracts import exitcodes, plan
from gateway_contracts.contract import GATEWAYZ, OPENAI, WHOLE_LIST, ContractError, RegistrySpec, load_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.pages import Walk
from gateway_contracts.invariants.models import has_known_context
from gateway_contracts.invariants.openai_models import list_rows
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.pager import walk

PROG = "gateway-contracts init"
DEFAULT_OUTPUT = "gateway-contracts.yaml"
FLOOR_SHARE = 0.7
CEILING_FACTOR = 3
REQUIRED_PER_GATEWAY = 2
CONTEXT_BOUND = 0.25
CONTEXT_MARGIN = 0.10
MAX_LIMIT = 1000  # the API's largest page (the contract's pagination default)
MAX_PAGES = 200
RPS = 4.0  # MAX_RPS unset: the suite's default against a TARGET_URL, under the real API's 300/min limiter
# The consumer documents a starter contract names, shipped with the package (copied beside the contract).
DOCUMENTS = {GATEWAYZ: "gatewayz-api.openapi.json", OPENAI: "openai-models.openapi.json"}


class Refused(Exception):
    """The target answered nothing a contract can be written from; the message is one line."""


# -- observing (I/O through the suite's client) -----------------------------------------------------


@dataclass
class Catalog:
    name: str
    aliases: tuple[str, ...] = ()
    ids: list[Any] = field(default_factory=list)  # in served order, duplicates kept
    rows: list[Any] = field(default_factory=list)
    problem: str | None = None  # why no usable walk: the answer that stopped it

    @property
    def distinct(self) -> int:
        return len(set(self.ids))


def _walk(client: GatewayClient, gateway: str) -> Walk:
    def fetch(offset: int, limit: int) -> Exchange:
        request = plan.models_page(gateway, offset, limit)
        return client.get(request.path, request.query)

    return walk(fetch, limit=MAX_LIMIT, max_pages=MAX_PAGES)


def _catalog(client: GatewayClient, name: str, aliases: tuple[str, ...] = ()) -> Catalog:
    result = _walk(client, name)
    catalog = Catalog(name, aliases, ids=result.ids, rows=result.rows)
    first = result.first
    if first is None or first.status != 200 or not result.pages[0].usable:
        catalog.problem = first.describe() if first is not None else "no answer"
    elif not result.complete:
        catalog.problem = result.findings[0].message
    return catalog


def registry_entries(body: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(id, aliases) of each registry entry, in the registry's order; names used twice are kept once (a contract
    rejects a reused name)."""
    data = body.get("data") if isinstance(body, dict) else None
    seen: set[str] = {WHOLE_LIST}
    entries = []
    for entry in data if isinstance(data, list) else ():
        slug = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not slug.strip() or slug.lower() in seen:
            continue
        seen.add(slug.lower())
        aliases = []
        for alias in entry.get("aliases") or ():
            if isinstance(alias, str) and alias.strip() and alias.lower() not in seen:
                seen.add(alias.lower())
                aliases.append(alias)
        entries.append((slug, tuple(aliases)))
    return entries


def observe_gatewayz(client: GatewayClient) -> tuple[list[Catalog], Catalog | None]:
    registry = client.get(RegistrySpec().path)
    if registry.status is None:
        raise Refused(f"target unreachable: {client.base_url}: {registry.error}")
    entries = registry_entries(registry.json if registry.is_json else None)
    if not entries:
        raise Refused(f"nothing to write a contract from at {client.base_url}: {registry.describe()} lists no "
                      "gateway (not a Gatewayz API? try --dialect openai)")
    catalogs = [_catalog(client, slug, aliases) for slug, aliases in entries]
    aggregate = _catalog(client, WHOLE_LIST)
    if all(c.problem for c in catalogs) and aggregate.problem:
        raise Refused(f"nothing to write a contract from at {client.base_url}: no catalog answers a usable walk "
                      f"(e.g. {catalogs[0].problem})")
    return catalogs, aggregate


def observe_openai(client: GatewayClient) -> list[Any]:
    request = plan.model_list_request(keyed=client.has_key)
    listing = client.request("GET", request.path, params=request.query or None, authenticated=request.authenticated)
    if listing.status is None:
        raise Refused(f"target unreachable: {client.base_url}: {listing.error}")
    rows = list_rows(listing.json) if listing.status == 200 and listing.is_json else []
    if not rows:
        raise Refused(f"nothing to write a contract from at {client.base_url}: {listing.describe()} lists no model")
    return rows


# -- deriving (pure) --------------------------------------------------------------------------------


def floor_of(distinct: int) -> int:
    return math.floor(distinct * FLOOR_SHARE)


def ceiling_of(rows: int) -> int:
    return max(1, math.ceil(rows * CEILING_FACTOR))


def required_of(ids: Sequence[Any], everywhere: set[Any] | None, count: int = REQUIRED_PER_GATEWAY) -> list[str]:
    """The first `count` distinct string ids served, that the aggregate lists too (when it was read)."""
    picked: list[str] = []
    for model_id in ids:
        if isinstance(model_id, str) and model_id not in picked and (everywhere is None or model_id in everywhere):
            picked.append(model_id)
        if len(picked) == count:
            break
    return picked


def unknown_share(rows: Sequence[Any]) -> float | None:
    return sum(1 for r in rows if not has_known_context(r)) / len(rows) if rows else None


def context_bound(share: float | None) -> float | None:
    """The gateway's own bound when its partial share exceeds the default; None: the default applies."""
    if share is None or share <= CONTEXT_BOUND or share >= 1.0:
        return None
    return min(1.0, math.ceil(round((share + CONTEXT_MARGIN) * 20, 6)) / 20)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9._/+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: str) -> str:
    """A YAML scalar for a name the target chose: plain when unambiguous, else a JSON (= YAML) string."""
    return value if _PLAIN.match(value) and value.lower() not in _YAML_WORDS else json.dumps(value)


def _header(url: str, when: str, dialect: str) -> list[str]:
    return [
        f"# Starter contract written by `gateway-contracts init` from {url} ({dialect} dialect), observed {when}.",
        "# Review it, then commit it: it holds the target to what it served that day, by these rules:",
        f"#   min_models (distinct ids) = {FLOOR_SHARE:.0%} of the observed distinct ids, rounded down;",
        f"#   max_models (rows)         = {CEILING_FACTOR}x the observed rows, rounded up;",
        f"#   required_models           = the first {REQUIRED_PER_GATEWAY} ids each listed (that `all` lists too):",
        "#                               replace them with the models your product depends on;",
        "#   chat.models               = none: init sends no chat request; add the models your product chats with.",
        "# The counts observed are in the comments. docs/contract-file.md documents every key.",
    ]


def render_gatewayz(url: str, when: str, catalogs: Sequence[Catalog], aggregate: Catalog | None,
                    document: str | None) -> tuple[str, list[str]]:
    """The contract's text, and the notes init prints (gateways whose gate will fail on what it saw)."""
    notes: list[str] = []
    served = [c for c in catalogs if not c.problem]
    everywhere = set(aggregate.ids) if aggregate is not None and not aggregate.problem else None
    context_served = any(has_known_context(r) for c in served for r in c.rows)
    lines = [*_header(url, when, GATEWAYZ), "version: 1"]
    if document:
        lines += ["# The API as consumers may rely on it (shipped with gateway-contracts; the fuzz tests hold the",
                  "# target to it). Keep your own copy when your API promises more or less.",
                  f"openapi: {scalar(document)}"]
    lines += ["", "defaults:", "  latency_budget_s: 70              # per request"]
    if context_served:
        lines.append(f"  max_unknown_context_share: {CONTEXT_BOUND}  # context_length missing, null or 0")
    else:
        lines.append("  # max_unknown_context_share: not bounded: no row served a context_length")
    lines += ["", "gateways:"]
    for catalog in sorted(served, key=lambda c: (-c.distinct, c.name.lower())):
        rows = len(catalog.ids)
        lines.append(f"  {scalar(catalog.name)}:")
        if catalog.aliases:
            lines.append(f"    aliases: [{', '.join(scalar(a) for a in catalog.aliases)}]")
        if rows == 0:
            lines.append("    min_models: 0                # listed, served no model: raise it once it does")
            continue
        lines += bounds("    ", catalog.distinct, rows)
        required = required_of(catalog.ids, everywhere)
        if required:
            lines.append(f"    required_models: [{', '.join(scalar(r) for r in required)}]")
        share = unknown_share(catalog.rows) if context_served else None
        bound = context_bound(share)
        if bound is not None:
            lines.append(f"    max_unknown_context_share: {bound}  # observed {share:.0%} unknown")
        elif share is not None and share >= 1.0:
            lines.append(f"    # every row's context length is unknown: over the {CONTEXT_BOUND:.0%} bound")
            notes.append(f"{catalog.name}: every one of its {rows} rows has an unknown context length (missing, "
                         f"null or 0); its gate fails on max_unknown_context_share {CONTEXT_BOUND} until that is "
                         "fixed or the bound raised")
    left_out = [c for c in catalogs if c.problem]
    if left_out:
        lines += ["", "# Listed by the registry, left out: their catalog gave no usable walk when observed."]
        lines += [f"#   {c.name}: {c.problem}" for c in left_out]
        notes += [f"{c.name}: left out: {c.problem}" for c in left_out]
    if everywhere is not None and aggregate is not None:
        lines += ["", "aggregate:", f"  slug: {WHOLE_LIST}", *bounds("  ", aggregate.distinct, len(aggregate.ids))]
    elif aggregate is not None:
        lines += ["", f"# No aggregate: gateway={WHOLE_LIST} gave no usable walk ({aggregate.problem})."]
    lines += ["", "chat:", "  models: []                      # add the models your product chats with", ""]
    return "\n".join(lines), notes


def bounds(indent: str, distinct: int, rows: int) -> list[str]:
    """The floor and ceiling lines of an observed catalog, the observation in a comment."""
    return [f"{indent}min_models: {floor_of(distinct):<13}  # observed {distinct} distinct ids in {rows} rows",
            f"{indent}max_models: {ceiling_of(rows)}"]


def openai_groups(rows: Sequence[Any]) -> dict[str, tuple[str, str, list[Any]]]:
    """name -> (rule key, rule value, ids), largest first: by `owned_by` when every row has one, else by the id's
    prefix before '/' (ids without one: a `models` list group named `other`)."""
    keyed: dict[tuple[str, str], list[Any]] = {}
    by_owner = all(isinstance(r, dict) and isinstance(r.get("owned_by"), str) and r["owned_by"].strip() for r in rows)
    for row in rows:
        model_id = row.get("id") if isinstance(row, dict) else None
        if by_owner:
            rule = ("owned_by", row["owned_by"])
        elif isinstance(model_id, str) and "/" in model_id.strip("/"):
            rule = ("prefix", model_id.split("/", 1)[0] + "/")
        else:
            rule = ("models", "")
        keyed.setdefault(rule, []).append(model_id)
    groups: dict[str, tuple[str, str, list[Any]]] = {}
    for (kind, value), ids in sorted(keyed.items(), key=lambda item: (-len(item[1]), item[0])):
        name = "other" if kind == "models" else re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-") or "group"
        name = f"{name}-models" if name == WHOLE_LIST else name  # `all` is the whole list's name
        while name in groups:
            name += "-2"
        groups[name] = (kind, value, ids)
    return groups


def render_openai(url: str, when: str, rows: Sequence[Any], document: str | None) -> tuple[str, list[str]]:
    ids = [r.get("id") for r in rows if isinstance(r, dict)]
    lines = [*_header(url, when, OPENAI), "version: 1", "dialect: openai"]
    if document:
        lines += ["# The OpenAI models API and chat as consumers rely on them (shipped with gateway-contracts).",
                  f"openapi: {scalar(document)}"]
    lines += ["", "groups:"]
    for name, (rule, value, members) in openai_groups(rows).items():
        lines.append(f"  {scalar(name)}:")
        if rule == "models":
            lines.append(f"    models: [{', '.join(scalar(str(m)) for m in dict.fromkeys(members))}]")
        else:
            lines.append(f"    {rule}: {scalar(value)}")
        lines += bounds("    ", len(set(members)), len(members))
    lines += ["", "models:                          # the whole list", *bounds("  ", len(set(ids)), len(ids))]
    required = required_of(ids, None)
    if required:
        lines.append(f"  required_models: [{', '.join(scalar(r) for r in required)}]")
    lines += ["", "chat:", "  models: []                      # add the models your product chats with", ""]
    return "\n".join(lines), []


# -- the command ------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", default=os.environ.get("TARGET_URL") or None, metavar="URL",
                        help="base URL of the API to observe (env TARGET_URL)")
    parser.add_argument("--dialect", choices=(GATEWAYZ, OPENAI), default=GATEWAYZ,
                        help="gatewayz: the registry and paginated catalogs (default); openai: one GET /v1/models")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE",
                        help=f"contract file to write (default {DEFAULT_OUTPUT}); the consumer document is copied "
                        "beside it unless a file of that name is there")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def shipped_documents() -> Path:
    """The folder of the shipped OpenAPI documents: the installed suite's, else the checkout's (editable)."""
    here = Path(__file__).resolve().parent
    installed = here / "_suite" / "contracts"
    return installed if installed.is_dir() else here.parents[1] / "contracts"


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def run(args: argparse.Namespace, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    url = (args.target_url or "").strip().rstrip("/")
    if not url:
        _say("--target-url URL (or TARGET_URL) is required: the API to write a contract for")
        return exitcodes.INVALID_CONTRACT
    output = Path(args.output)
    if output.exists() and not args.force:
        _say(f"{output} exists: choose another -o FILE, or --force to overwrite it")
        return exitcodes.INVALID_CONTRACT
    keyless = os.environ.get("KEYLESS", "").strip().lower() in ("1", "true", "yes", "on")
    key = None if keyless else (os.environ.get("GATEWAY_API_KEY") or "").strip() or None
    raw_rps = os.environ.get("MAX_RPS", "").strip()
    try:
        rps = float(raw_rps) if raw_rps else RPS
        if not math.isfinite(rps) or rps < 0:
            raise ValueError(raw_rps)
    except ValueError:
        _say(f"invalid option: MAX_RPS = {raw_rps!r}: expected a number >= 0")
        return exitcodes.INVALID_CONTRACT
    client = GatewayClient(url, api_key=key, settings=ClientSettings(max_rps=rps))
    when = now().date().isoformat()
    document = DOCUMENTS[args.dialect]
    try:
        if args.dialect == OPENAI:
            text, notes = render_openai(url, when, observe_openai(client), document)
        else:
            catalogs, aggregate = observe_gatewayz(client)
            text, notes = render_gatewayz(url, when, catalogs, aggregate, document)
    except Refused as exc:
        _say(client.redact(str(exc)))
        return exitcodes.TARGET_UNREACHABLE
    finally:
        client.close()
    text = client.redact(text)  # nothing of the key, whatever the target echoed
    return _write(output, text, document, notes)


def _write(output: Path, text: str, document: str, notes: Sequence[str]) -> int:
    output.parent.mkdir(parents=True, exist_ok=True)
    beside = output.parent / document
    copied = not beside.exists()
    if copied:
        shutil.copyfile(shipped_documents() / document, beside)
    # Written whole or not at all, and only once the project's own loader accepts it.
    with tempfile.NamedTemporaryFile("w", dir=output.parent, suffix=".yaml", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    try:
        contract = load_contract(Path(tmp.name))
    except ContractError as exc:
        os.unlink(tmp.name)
        _say(f"the contract written does not load (a bug of init): {exc}")
        return exitcodes.INVALID_CONTRACT
    os.replace(tmp.name, output)
    for note in notes:
        _say(f"note: {note}")
    print(f"wrote {output}: {len(contract.gateways)} {'groups' if contract.dialect == OPENAI else 'gateways'}"
          f"{', the aggregate' if contract.aggregate else ''}; OpenAPI document {beside}"
          f"{' (copied)' if copied else ' (kept)'}")
    return 0
