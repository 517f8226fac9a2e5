"""The module map (docs/architecture.md, wherever the README's link leads) lists every module of the two
packages (the product and its test bed), and nothing that is not there; the self-tests are laid out as the
map says; the README stays a front page that
links every docs page and recipe."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("gateway_contracts", "gateway_testbed")  # each has its root line `src/<package>/` in the map
# The map is found by its content, not by a fixed path, so moving it between docs keeps this test honest.
CANDIDATES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def module_map() -> Path:
    """The one Markdown file holding the module map; the README must link to it (a newcomer finds it)."""
    holders = [p for p in CANDIDATES if "\n" + tree_start(PACKAGES[0]) in p.read_text()]
    assert len(holders) == 1, f"expected one module map, found it in {[str(p.relative_to(ROOT)) for p in holders]}"
    found = holders[0]
    if found.name != "README.md":
        link = found.relative_to(ROOT).as_posix()
        assert f"]({link}" in (ROOT / "README.md").read_text(), f"README.md does not link to {link}"
    return found


def tree_start(package: str) -> str:
    return f"src/{package}/\n"  # a package's root line in the map, in a fenced block


def listed_modules(text: str, package: str) -> set[str]:
    """Paths (relative to the package) of the map's tree under src/<package>/: entries are lines whose first
    word ends in `.py` or `/`, two spaces of indent per level."""
    assert "\n" + tree_start(package) in text, f"the module map has no src/{package}/ tree"
    tree = text.split("\n" + tree_start(package), 1)[1].split("```", 1)[0]
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


@pytest.mark.parametrize("package", PACKAGES)
def test_the_module_map_lists_every_module_and_only_those(package: str) -> None:
    where, root = module_map(), ROOT / "src" / package
    modules = {p.relative_to(root).as_posix() for p in root.rglob("*.py") if p.name != "__init__.py"}
    listed = listed_modules(where.read_text(), package)
    assert modules - listed == set(), f"modules missing from the module map in {where.name}"
    assert listed - modules == set(), f"the module map in {where.name} lists modules that do not exist"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_fits_a_screen_and_reaches_every_doc_and_recipe_in_one_click() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150, "README.md is the front page: the manual belongs in docs/"
    docs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    assert [d for d in docs if f"]({d}" not in readme] == [], "docs pages the README does not link"
    recipes = re.findall(r"^## (.+)$", (ROOT / "docs" / "recipes.md").read_text(), re.MULTILINE)
    assert recipes, "docs/recipes.md has no recipes"
    missing = [r for r in recipes if f"](docs/recipes.md#{_anchor(r)})" not in readme]
    assert missing == [], "recipes the README does not link directly"



def test_the_seam_loads_without_the_test_bed() -> None:
    """gateway_contracts.embedded imports gateway_testbed only inside its functions, so a run against a real
    target never loads the test double or its web stack. (lint-imports says nothing else in the product imports
    gateway_testbed, fastapi, starlette or uvicorn.)"""
    code = ("import sys, gateway_contracts.embedded\n"
            "print(' '.join(sorted({n.split('.')[0] for n in sys.modules} & set(sys.argv[1:]))))\n")
    loaded = subprocess.run([sys.executable, "-c", code, "gateway_testbed", "fastapi", "starlette", "uvicorn"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert loaded == []


SELF_TESTS = ROOT / "tests" / "self"
SELF_TEST_KINDS = ("unit", "testbed", "e2e", "project")  # the layout docs/architecture.md describes


def test_self_tests_sit_in_their_kind_and_units_mirror_the_package() -> None:
    """A test file at tests/self/ itself, or a unit folder with no package folder of that name, is a layout
    that drifted: a newcomer looks for the tests of net/client.py in tests/self/unit/net/."""
    loose = sorted(p.name for p in SELF_TESTS.glob("test_*.py"))
    assert loose == [], f"self-tests outside {', '.join(SELF_TEST_KINDS)}/: {loose}"
    kinds = sorted(p.name for p in SELF_TESTS.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert kinds == sorted(SELF_TEST_KINDS), f"tests/self/ folders: {kinds}"
    unmirrored = sorted(d.relative_to(SELF_TESTS / "unit").as_posix()
                        for d in (SELF_TESTS / "unit").rglob("*") if d.is_dir() and d.name != "__pycache__"
                        and not (ROOT / "src" / "gateway_contracts" / d.relative_to(SELF_TESTS / "unit")).is_dir())
    assert unmirrored == [], f"unit test folders with no package folder of that name: {unmirrored}"
