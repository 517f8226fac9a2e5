"""`python -m gateway_testbed.reference`: serve the reference gateway in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import anthropic_models
from .app import DEFAULT_SLOW_SECONDS
from .faults import FAULTS, validate_faults
from .generator import FULL, SHAPES, check_shape
from .server import LOCALHOST, serve

SHAPE_NAMES = (*SHAPES, anthropic_models.SHAPE)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateway_testbed.reference",
        description="Serve the Gatewayz reference gateway. The FAULTS environment variable (comma-separated) "
        "adds faults; REFERENCE_SHAPE sets the default shape; GATEWAY_API_KEY, when set, is the key chat accepts.",
    )
    parser.add_argument(
        "--shape",
        choices=SHAPE_NAMES,
        default=None,
        help="full: every field, the reference's own strict OpenAPI document, the 2025-10 gateways; sparse: only "
        "the fields a consumer may rely on, a FastAPI-style document, the 2026-08 registry "
        "(default: $REFERENCE_SHAPE or full); anthropic: Anthropic's model list, paged by cursor",
    )
    parser.add_argument("--host", default=LOCALHOST, help="bind address (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port, 0 for any free one (default %(default)s)"
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="enable a fault (repeatable)"
    )
    parser.add_argument("--list-faults", action="store_true", help="list fault names and exit")
    parser.add_argument(
        "--scale",
        action="append",
        default=[],
        metavar="GATEWAY=N",
        help="serve N generated models for a gateway, e.g. featherless=1000000 (repeatable)",
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=DEFAULT_SLOW_SECONDS,
        help="delay of the slow-gateway fault (default %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        metavar="N",
        help="allow N requests per minute per client IP, then 429 (default: off)",
    )
    return parser


def _scale(pairs: Sequence[str]) -> dict[str, int]:
    scale: dict[str, int] = {}
    for pair in pairs:
        gateway, sep, count = pair.partition("=")
        if not sep or not count.strip().isdigit():
            raise ValueError(f"--scale expects GATEWAY=N, got {pair!r}")
        scale[gateway.strip()] = int(count)
    return scale


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        width = max(len(name) for name in FAULTS)
        for fault in FAULTS.values():
            print(f"{fault.name:{width}} {fault.incident:12} {fault.description}")
        return 0
    requested = [*args.fault, *os.environ.get("FAULTS", "").split(",")]
    try:
        shape = args.shape or os.environ.get("REFERENCE_SHAPE", "").strip() or FULL
        if shape == anthropic_models.SHAPE:  # another API, with faults of its own
            faults = anthropic_models.validate_faults([f for f in requested if f.strip()])
        else:
            faults = validate_faults(requested)
            shape = check_shape(shape)
        scale = _scale(args.scale)
        if args.rate_limit is not None and args.rate_limit < 1:
            raise ValueError(f"--rate-limit must be at least 1, got {args.rate_limit}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    key = os.environ.get("GATEWAY_API_KEY")  # never printed
    try:
        serve(
            host=args.host,
            port=args.port,
            faults=faults,
            api_keys=(key,) if key else (),
            scale=scale,
            slow_seconds=args.slow_seconds,
            rate_limit_per_minute=args.rate_limit,
            shape=shape,
        )
    except ValueError as exc:  # e.g. an unknown gateway in --scale, a fault the shape cannot serve
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
