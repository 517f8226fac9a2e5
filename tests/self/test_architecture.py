"""The README's architecture section lists every module of the package, and nothing that is not there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "gateway_contracts"


def listed_modules() -> set[str]:
    """Paths (relative to the package) of the README's tree under src/gateway_contracts/: entries are lines
    whose first word ends in `.py` or `/`, two spaces of indent per level."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    tree = section.split("src/gateway_contracts/\n", 1)[1].split("```", 1)[0]
    listed, folders = set(), []
    for line in tree.splitlines():
        match = re.match(r"( *)(\S+)", line)
        if not match or not match.group(2).endswith((".py", "/")):
            continue
        depth = len(match.group(1)) // 2 - 1
        if depth < 0:
            break  # back at the repository's top level (contracts/, tests/...)
        folders = folders[:depth]
        name = match.group(2)
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
        else:
            listed.add("/".join([*folders, name]))
    return listed


def test_the_readme_lists_every_module_and_only_those() -> None:
    modules = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    listed = listed_modules()
    assert modules - listed == set(), "modules missing from README 'Architecture'"
    assert listed - modules == set(), "README 'Architecture' lists modules that do not exist"
