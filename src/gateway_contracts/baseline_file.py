"""The baseline's edges: its file (read and write JSON, errors naming the file) and the clock.

What a baseline means, and how a run compares with it, is `baseline.py` (pure).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from gateway_contracts.baseline import BaselineError, Snapshot, from_dict, to_dict

DEFAULT_DIR = Path("contracts/baselines")


def load_baseline(path: str | Path) -> Snapshot:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: baseline file not found (take one with `make baseline BASELINE={path}`)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise BaselineError(f"{path}{f':{line}' if line else ''}: not valid JSON: "
                            f"{getattr(exc, 'msg', exc)}") from None
    return from_dict(data, str(path))


def save_baseline(snapshot: Snapshot, path: str | Path) -> Path:
    """Write atomically (a reader never sees half a file); parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(to_dict(snapshot), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def default_path(target_url: str | None) -> Path:
    """contracts/baselines/<host>.json for a URL; reference.json for the embedded gateway."""
    if not target_url:
        return DEFAULT_DIR / "reference.json"
    parts = urlsplit(target_url)
    name = (parts.hostname or "target") + (f"-{parts.port}" if parts.port else "")
    return DEFAULT_DIR / f"{name}.json"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
