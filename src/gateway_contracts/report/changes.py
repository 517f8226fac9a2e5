"""What this deploy changes, for machines: the changes file (`reports/changes.json`) and the run record's `changes`.

Built once at the session's end (the controller, or the single process) from what the run recorded: the
candidate's walks from its exchange cache, production's two reads from theirs (production.py). Nothing is sent.
Per catalog: production's and the candidate's size, every change (kind, code, whether it fails, ids, numbers) and
production's own noise, apart; then the registry's. Never a key: URLs and messages only.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gateway_contracts import production as prod
from gateway_contracts.catalog import CatalogStore
from gateway_contracts.contract import Contract
from gateway_contracts.differential import side_of
from gateway_contracts.report.evidence import requested

FORMAT = 1
CHANGES_FILE = "changes.json"


def build(candidate: CatalogStore, production: prod.Production, contract: Contract, *,
          candidate_name: str) -> dict[str, Any]:
    """The document: every catalog the run walked, compared with production's reads of it."""
    catalogs = []
    for name, required, pairs in prod.catalogs_of(contract):
        walk = candidate.walk(name)
        if not requested(walk.first):
            continue  # not walked in this run (narrowed with -k): nothing to compare
        diff = production.compare(name, side_of(name, walk, pairs=pairs), contract, required, pairs=pairs)
        catalogs.append(diff.as_dict())
    registry: dict[str, Any] | None = None
    if prod.has_registry(contract) and requested(candidate.registry()):
        changes, flapping = production.compare_registry(candidate.registry())
        registry = {"changes": [c.as_dict() for c in changes], "noise": {"flapping": list(flapping)}}
    every = [c for entry in catalogs for c in entry["changes"]] + (registry["changes"] if registry else [])
    return {
        "format": FORMAT,
        "production": production.url,
        "candidate": candidate_name,
        "tolerances": asdict(contract.compare),
        "failing": sum(1 for c in every if c["fails"]),
        "reported": sum(1 for c in every if not c["fails"]),
        "catalogs": catalogs,
        "registry": registry,
    }


def summary_line(document: dict[str, Any], path: Path) -> str:
    noisy = [c["name"] for c in document["catalogs"] if _noisy(c["noise"])]
    noise = f"; production's own noise in {', '.join(noisy)} (not charged)" if noisy else ""
    return (f"gateway-contracts: compared with production {document['production']}: {document['failing']} failing "
            f"change(s), {document['reported']} reported{noise}; {path}")


def _noisy(noise: dict[str, Any]) -> bool:
    return bool(noise["flapping_count"] or noise["volatile_fields"] or noise["unstable_count"] or noise["reordered"]
                or noise["rows"][0] != noise["rows"][1])


def write(document: dict[str, Any], reports_dir: Path) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / CHANGES_FILE
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
