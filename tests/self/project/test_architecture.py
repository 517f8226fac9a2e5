"""The module map (docs/architecture.md, wherever the README's link leads) lists every module of the package,
and nothing that is not there; the self-tests are laid out as the map says; the README stays a front page that
links every docs page and recipe."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "gateway_contracts"
TREE_START = "src/gateway_contracts/\n"  # the map's root line, in a fenced block
# The map is found by its content, not by a fixed path, so moving it between docs keeps this test honest.
CANDIDATES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def module_map() -> Path:
    """The one Markdown file holding the module map; the README must link to it (a newcomer finds it)."""
    holders = [p for p in CANDIDATES if "\n" + TREE_START in p.read_text()]
    assert len(holders) == 1, f"expected one module map, found it in {[str(p.relative_to(ROOT)) for p in holders]}"
    found = holders[0]
    if found.name != "README.md":
        link = found.relative_to(ROOT).as_posix()
        assert f"]({link}" in (ROOT / "README.md").read_text(), f"README.md does not link to {link}"
    return found


def listed_modules(text: str) -> set[str]:
    """Paths (relative to the package) of the map's tree under src/gateway_contracts/: entries are lines
    whose first word ends in `.py` or `/`, two spaces of indent per level."""
    tree = text.split("\n" + TREE_START, 1)[1].split("```", 1)[0]
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


def test_the_module_map_lists_every_module_and_only_those() -> None:
    where = module_map()
    modules = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    listed = listed_modules(where.read_text())
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
                        and not (PACKAGE / d.relative_to(SELF_TESTS / "unit")).is_dir())
    assert unmirrored == [], f"unit test folders with no package folder of that name in src/gateway_contracts: {unmirrored}"
