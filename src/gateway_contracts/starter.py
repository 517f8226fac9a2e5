"""`gateway-contracts init`: a starter contract written from what a live target serves today.

The contract's dialect (`--dialect`, gateway_contracts.dialects) observes the target: Gatewayz's reads the
registry (`/v1/gateways`) and walks each catalog once through the suite's own client (the same pager, page size
and rate budget as a run); the openai dialect's reads the one model list (`GET /v1/models`). It writes a contract
a team can review and commit. Every number in it is derived from an observed count by one rule
(dialects/starter_rules.py), stated in the file's header; the observation date is written too. It never writes
the key (it only sends it), and it refuses a target that answers nothing it can use (exit 7, one line naming the
URL). A gateway the registry lists that served no model is kept with `min_models: 0` and no ceiling (its
coverage, aliases and error handling are still checked); one whose catalog does not answer a usable walk is left
out, with a comment saying what it answered.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from gateway_contracts import dialects, exitcodes
from gateway_contracts.contract import ContractError, load_contract, parse_contract
from gateway_contracts.contract_model import DEFAULT_CALLABLE_BUDGET
from gateway_contracts.dialects.starter_rules import Refused, callable_bound
from gateway_contracts.invariants.callable import Outcome, Share, classify
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.redaction import too_short_to_redact
from gateway_contracts.store import CatalogStore
from gateway_contracts.tolerances import DEFAULTS

PROG = "gateway-contracts init"
DEFAULT_OUTPUT = "gateway-contracts.yaml"
RPS = 4.0  # MAX_RPS unset: the suite's default against a TARGET_URL, under the real API's 300/min limiter


# -- the command ------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", default=os.environ.get("TARGET_URL") or None, metavar="URL",
                        help="base URL of the API to observe (env TARGET_URL)")
    parser.add_argument("--dialect", choices=dialects.names(), default=dialects.DEFAULT.name,
                        help="; ".join(f"{d.name}: {d.about}{' (default)' if d is dialects.DEFAULT else ''}"
                                       for d in dialects.REGISTERED))
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
    short = too_short_to_redact(key) if key is not None else None
    if short is not None:  # the observed catalogs would be rewritten, and so would the contract written from them
        _say(f"GATEWAY_API_KEY cannot be used: {short}")
        return exitcodes.INVALID_CONTRACT
    raw_rps = os.environ.get("MAX_RPS", "").strip()
    try:
        rps = float(raw_rps) if raw_rps else RPS
        if not math.isfinite(rps) or rps < 0:
            raise ValueError(raw_rps)
    except ValueError:
        _say(f"invalid option: MAX_RPS = {raw_rps!r}: expected a number >= 0")
        return exitcodes.INVALID_CONTRACT
    dialect = dialects.named(args.dialect) or dialects.DEFAULT  # argparse's choices are the registry's names
    client = GatewayClient(url, api_key=key, settings=ClientSettings(max_rps=rps), key_header=dialect.key_header,
                           headers=dialect.headers)
    when = now().date().isoformat()
    document = dialect.init_document
    try:
        text, notes = dialect.observe_and_render(client, url, when, document)
        text, more = observe_callable(client, text, now().date())
        notes = [*notes, *more]
    except Refused as exc:
        _say(client.redact(str(exc)))
        return exitcodes.TARGET_UNREACHABLE
    finally:
        client.close()
    text = client.redact(text + compare_block())  # nothing of the key, whatever the target echoed
    return _write(output, text, document, notes)


def compare_block() -> str:
    """The `compare:` block every starter contract gets (every dialect's): the differential gate's tolerances,
    at their defaults, so a team sees what a deploy may change before COMPARE_URL fails it."""
    t = DEFAULTS
    return (
        "\n# The differential gate (COMPARE_URL=<production>): what a deploy may change against production before the\n"
        "# gate fails; smaller changes are reported (reports/changes.json). docs/contract-file.md, `compare`.\n"
        "compare:\n"
        f"  max_removed_share: {t.max_removed_share:g}       # a catalog losing more of production's ids fails\n"
        f"  max_count_change_share: {t.max_count_change_share:g}  # rows served, or rows repeating an id, moving more\n"
        f"  price_fail_factor: {t.price_fail_factor:g}      # a price x or / this factor (a unit change) fails\n"
        f"  max_changed_share: {t.max_changed_share:g}       # rows losing their price or context length\n"
    )


def observe_callable(client: GatewayClient, text: str, day: date) -> tuple[str, list[str]]:
    """The starter contract's `callable:` block: with a key, each gateway's sample of listed models called once
    (the nightly's probe, through the same client: the catalogs come from its memory, already walked), and
    `min_share` from the lowest share observed (starter_rules.callable_bound); without one, a comment."""
    # Read as the run will read it; its OpenAPI document is the shipped one (copied beside the file later).
    contract = parse_contract(text, shipped_documents() / "observed.yaml")
    if not dialects.of(contract).chats(contract):
        return text, []  # an API without chat completions (the anthropic dialect): nothing to probe
    head = ["", "callable:                         # listed means callable: a sample of each catalog answers chat",
            f"  budget: {DEFAULT_CALLABLE_BUDGET:<24}# chat calls per nightly run and gateway"]
    if not client.has_key:
        block = [*head, "  # min_share: not observed (no GATEWAY_API_KEY): the default 1.0 applies", ""]
        return text + "\n".join(block), ["callable.min_share not observed: no GATEWAY_API_KEY, no chat call made"]
    store = CatalogStore(client, contract)
    shares = []
    for gateway in contract.gateways:
        calls = [classify(m, e, r.body) for m, r, e in store.probe_calls(gateway, day)]
        shares.append(Share(gateway.slug, tuple(calls), 1.0, day.isoformat()))
    bound = callable_bound([s.share for s in shares])
    seen = ", ".join(f"{s.gateway} {s.share:.0%} of {s.counted}" for s in shares if s.share is not None)
    if len(seen) > 300:  # a long registry: the lowest shares, the rest counted
        lowest = sorted((s for s in shares if s.share is not None), key=lambda s: (s.share, s.gateway))
        seen = ", ".join(f"{s.gateway} {s.share:.0%} of {s.counted}" for s in lowest[:5]) + \
            f" (lowest; {len(lowest)} gateways observed)"
    if bound is None:
        block = [*head, "  # min_share: not observed (no sampled model's answer counted): the default 1.0 applies", ""]
        return text + "\n".join(block), []
    lines = [*head, f"  min_share: {bound:<21}# observed {day.isoformat()}: {seen}", ""]
    notes = [f"{s.gateway}: {len(s.of(Outcome.FAILED))} of {s.counted} sampled listed models did not answer chat: "
             + ", ".join(f"{c.model} ({c.reason})" for c in s.of(Outcome.FAILED))
             for s in shares if s.of(Outcome.FAILED)]
    return text + "\n".join(lines), notes


def _write(output: Path, text: str, document: str | None, notes: Sequence[str]) -> int:
    output.parent.mkdir(parents=True, exist_ok=True)
    beside = output.parent / document if document else None
    copied = beside is not None and not beside.exists()
    if beside is not None and copied:
        shutil.copyfile(shipped_documents() / str(document), beside)
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
    count = len(contract.gateways)
    print(f"wrote {output}: {count} {dialects.of(contract).unit}{'' if count == 1 else 's'}"
          f"{', the aggregate' if contract.aggregate else ''}; "
          + (f"OpenAPI document {beside}{' (copied)' if copied else ' (kept)'}" if beside else "no OpenAPI document"))
    return 0
