"""One name, one thing, across both packages (the product and its test bed): no two modules share a basename
(`__init__` and `__main__` aside) and no two public classes share a name, so a name in a traceback, a grep or a
review comment points at one place."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("gateway_contracts", "gateway_testbed")
SHARED_BASENAMES = ("__init__.py", "__main__.py")  # a package's own, by Python's convention
# Duplicates that parallel branches of the same renaming work remove; each entry fails this test once the name
# is unique, so the merge that makes it unique deletes the entry.
MODULES_RENAMED_ELSEWHERE: dict[str, str] = {}
CLASSES_RENAMED_ELSEWHERE: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / "src" / package).rglob("*.py"))


def shared_module_names(modules: list[Path], root: Path) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in modules:
        if path.name not in SHARED_BASENAMES:
            by_name[path.name].append(path.relative_to(root).as_posix())
    return {name: paths for name, paths in by_name.items() if len(paths) > 1}


def shared_class_names(modules: list[Path], root: Path) -> dict[str, list[str]]:
    """Public classes (a leading underscore marks a module's own helper) defined in more than one module."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                by_name[node.name].append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return {name: places for name, places in by_name.items() if len(places) > 1}


def _without(shared: dict[str, list[str]], pending: dict[str, str], name: str) -> dict[str, list[str]]:
    stale = sorted(set(pending) - set(shared))
    assert stale == [], f"no longer duplicated: remove {stale} from {name}"
    return {key: places for key, places in shared.items() if key not in pending}


def test_module_basenames_are_distinct_across_both_packages() -> None:
    shared = shared_module_names(_modules(), ROOT / "src")
    assert _without(shared, MODULES_RENAMED_ELSEWHERE, "MODULES_RENAMED_ELSEWHERE") == {}


def test_public_class_names_are_distinct_across_both_packages() -> None:
    shared = shared_class_names(_modules(), ROOT / "src")
    assert _without(shared, CLASSES_RENAMED_ELSEWHERE, "CLASSES_RENAMED_ELSEWHERE") == {}


def test_the_checks_see_a_shared_name(tmp_path: Path) -> None:
    """Both checks would pass vacuously on a tree they cannot read: each finds a planted duplicate."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "known.py").write_text("class NotSent(Exception):\n    pass\n\nclass _Own:\n    pass\n")
        (tmp_path / folder / "__init__.py").write_text("")
    planted = sorted(tmp_path.rglob("*.py"))
    assert shared_module_names(planted, tmp_path) == {"known.py": ["a/known.py", "b/known.py"]}
    assert shared_class_names(planted, tmp_path) == {"NotSent": ["a/known.py:1", "b/known.py:1"]}
