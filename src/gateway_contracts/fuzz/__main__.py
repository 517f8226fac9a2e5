"""`python -m gateway_contracts.fuzz write-spec|check-spec|drift`: the committed spec and its drift.

    write-spec [--output FILE]        regenerate contracts/openapi.json from the reference gateway
    check-spec [--spec FILE]          exit 1 when the committed spec differs from the reference gateway's
    drift LIVE [--spec FILE]          compare a live document (a file, or a URL's /openapi.json) with it
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx

from gateway_contracts.fuzz.drift import compare_specs
from gateway_contracts.fuzz.spec import COMMITTED_SPEC, read_spec, reference_spec, render


def _live(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        url = source if source.endswith(".json") else source.rstrip("/") + "/openapi.json"
        response = httpx.get(url, timeout=30.0)
        response.raise_for_status()
        return response.json()
    return json.loads(Path(source).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway_contracts.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write-spec", help="regenerate the committed spec from the reference gateway")
    write.add_argument("--output", type=Path, default=COMMITTED_SPEC)
    check = commands.add_parser("check-spec", help="is the committed spec the reference gateway's?")
    check.add_argument("--spec", type=Path, default=COMMITTED_SPEC)
    drift = commands.add_parser("drift", help="compare a live document with the committed spec")
    drift.add_argument("live", help="a JSON file, or a base URL (its /openapi.json is fetched)")
    drift.add_argument("--spec", type=Path, default=COMMITTED_SPEC)
    args = parser.parse_args(argv)

    if args.command == "write-spec":
        args.output.write_text(render(reference_spec()), encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    if args.command == "check-spec":
        if read_spec(args.spec) == reference_spec():
            print(f"{args.spec} is the reference gateway's spec")
            return 0
        print(f"{args.spec} differs from the reference gateway's spec: python -m gateway_contracts.fuzz write-spec")
        for item in compare_specs(read_spec(args.spec), reference_spec()):
            print(f"  {item.render()}")
        return 1
    drifts = compare_specs(read_spec(args.spec), _live(args.live))
    for item in drifts:
        print(item.render())
    print(f"{len(drifts)} differences between {args.spec} (committed) and {args.live} (live)")
    return 1 if drifts else 0


if __name__ == "__main__":
    sys.exit(main())
