"""Adopting the suite from another repository (docs/use-in-your-repository.md): the package ships the suite and
its settings, `gateway-contracts init` writes a contract that loads and holds, the GitHub Action validates, and
(slow) the action's own steps install and run the command in a fresh virtualenv outside the checkout."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from setuptools import find_packages

from gateway_contracts import cli, dialects, starter
from gateway_contracts.contract import load_contract
from gateway_contracts.dialects import gatewayz
from gateway_contracts.dialects import openai as openai_dialect
from gateway_contracts.dialects import starter_rules as rules
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.tolerances import DEFAULTS
from gateway_testbed.reference.server import EmbeddedGateway
from tests.self.suite_process import scrubbed_env

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SUITE = ROOT / "src" / "gateway_contracts" / "_suite"
ACTION = ROOT / "action.yml"
GUIDE = ROOT / "docs" / "use-in-your-repository.md"
VALIDATOR = Path(sys.executable).parent / "check-jsonschema"
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
SCRIPT = Path(sys.executable).parent / "gateway-contracts"
SECRET = "gwc-test-secret-never-written-9f3c"


# -- what the package ships --------------------------------------------------------------------------


def test_the_shipped_pytest_settings_are_the_checkouts() -> None:
    shipped = tomllib.loads((SUITE / cli.SUITE_CONFIG).read_text())["pytest"]
    own = {k: v for k, v in PYPROJECT["tool"]["pytest"].items() if k != "testpaths"}
    assert shipped == own, "src/gateway_contracts/_suite/pytest.toml differs from pyproject's [tool.pytest]"


def test_every_package_under_src_is_shipped() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert set(find_packages(str(ROOT / "src"))) - listed == set(), "add it to [tool.setuptools] packages"


def test_the_shipped_suite_maps_the_checkouts_folders() -> None:
    dirs = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert dirs["gateway_contracts._suite.tests"] == "tests"
    assert {"gateway_contracts._suite.tests.contract", "gateway_contracts._suite.tests.fuzz"} <= set(
        PYPROJECT["tool"]["setuptools"]["packages"])
    assert not any(p.endswith(".self") for p in PYPROJECT["tool"]["setuptools"]["packages"])  # never tests/self
    shipped = PYPROJECT["tool"]["setuptools"]["package-data"]["gateway_contracts._suite.contracts"]
    assert all((ROOT / "contracts" / name).is_file() for name in shipped)
    assert {d.init_document for d in dialects.REGISTERED} - {None} <= set(shipped)
    default = load_contract(ROOT / "contracts" / "gateways.yaml")  # and every file the shipped default names
    assert default.openapi is not None
    assert default.reference is not None
    assert {default.openapi.name, Path(default.reference.source).name} <= set(shipped)


SELF_TEST_TOOLING = ("tests/self", "tests.self", "kill_matrix.yaml")  # what only the self-tests read or import


def _reads_self_tests(source: str) -> list[str]:
    """String constants of a module (docstrings and comments aside) that name the self-tests' files or modules."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and any(name in node.value for name in SELF_TEST_TOOLING)]


def test_a_module_that_reads_the_self_tests_is_recognised() -> None:
    """The wheel check below would pass vacuously if its detector saw nothing: it sees a path and a module name."""
    assert _reads_self_tests('"""Reads tests/self/ in a docstring only."""\nX = 1  # tests/self in a comment\n') == []
    assert _reads_self_tests('MATRIX = Path("tests/self/kill_matrix.yaml")\n') == ["tests/self/kill_matrix.yaml"]
    assert _reads_self_tests('import importlib\nm = importlib.import_module("tests.self.killmatrix")\n')


def assert_ships_the_product_and_no_self_test_tooling(names: list[str], modules: dict[str, str]) -> None:
    """What the wheel holds (its file list, as an install's RECORD lists it): the two packages, the reference
    gateway and the shipped contract tests, and nothing of the self-tests (no file, no module naming them)."""
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"gateway_contracts", "gateway_testbed"}, tops
    assert "gateway_testbed/reference/server.py" in modules  # `gateway-contracts serve` and a run with no target
    assert "gateway_contracts/_suite/tests/contract/__init__.py" in modules  # the shipped contract tests
    assert [n for n in names if "/self/" in n or n.endswith(("killmatrix.py", "suite_process.py"))] == []
    reading = {name: found for name, source_text in modules.items() if (found := _reads_self_tests(source_text))}
    assert reading == {}, "shipped modules that read the self-tests' files"


def test_the_wheel_check_fails_on_self_test_tooling() -> None:
    """The installed-command test below checks the installed wheel with this; it must not pass vacuously."""
    shipped = {"gateway_contracts/_suite/tests/contract/__init__.py": "", "gateway_testbed/reference/server.py": ""}
    assert_ships_the_product_and_no_self_test_tooling([*shipped, "x.dist-info/RECORD"], shipped)
    with pytest.raises(AssertionError):
        assert_ships_the_product_and_no_self_test_tooling([*shipped, "gateway_testbed/killmatrix.py"], shipped)
    with pytest.raises(AssertionError):
        assert_ships_the_product_and_no_self_test_tooling(
            [*shipped], {**shipped, "gateway_testbed/x.py": 'M = "tests/self/kill_matrix.yaml"'})


def _installed_files(venv: Path) -> tuple[list[str], dict[str, str]]:
    """The installed distribution's files (its RECORD: the wheel's file list) and the text of its modules."""
    (record,) = venv.glob("lib/python*/site-packages/gateway_contracts-*.dist-info/RECORD")
    # Paths outside site-packages (`../../../bin/gateway-contracts`) are the console script, not the wheel's packages.
    names = [line.split(",")[0] for line in record.read_text().splitlines() if line and not line.startswith("..")]
    site = record.parent.parent
    return names, {name: (site / name).read_text() for name in names if name.endswith(".py")}


# -- the command outside a checkout (pure parts) ----------------------------------------------------


def test_installed_sessions_name_the_shipped_tests_and_settings(tmp_path: Path) -> None:
    args = cli.suite_args("gate", workers="2", suite=tmp_path, reports="out", extra=["-x"])
    assert args[4:6] == [str(tmp_path / "tests/contract"), str(tmp_path / "tests/fuzz")]
    assert args[-5:] == ["-c", str(tmp_path / "pytest.toml"), "--rootdir", str(tmp_path), "-x"]
    assert "--junitxml=out/junit-gate.xml" in args
    assert cli.suite_args("gate", workers="2")[4] == "tests/contract"  # a checkout: unchanged


@pytest.mark.parametrize(("argv", "env", "named"), [
    (["--target-url", "http://x", "-k", "a"], {}, ("http://x", None)),
    (["--target-url=http://x", "--contracts=c.yaml"], {}, ("http://x", "c.yaml")),
    ([], {"TARGET_URL": "http://y", "CONTRACTS": "d.yaml"}, ("http://y", "d.yaml")),
    (["--contracts", "e.yaml"], {"TARGET_URL": "http://y"}, ("http://y", "e.yaml")),
])
def test_the_target_and_contract_a_session_is_given(argv: list[str], env: dict[str, str],
                                                   named: tuple[str | None, str | None]) -> None:
    assert cli._named(argv, env) == named


def test_installed_a_target_without_a_contract_is_one_line_and_exit_6(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(cli, "project_root", lambda cwd: None)
    monkeypatch.setattr(cli, "installed_suite", lambda: tmp_path / "suite")
    monkeypatch.setattr(cli, "_pytest", lambda args, root, env: ran.append(list(args)) or 0)
    monkeypatch.delenv("CONTRACTS", raising=False)
    monkeypatch.delenv("TARGET_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["gate", "--target-url", "http://127.0.0.1:9"]) == 6
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--contracts" in err
    assert "init" in err
    assert ran == []
    # With a contract, or with no target (the shipped reference contract), it runs from the working folder.
    assert cli.main(["gate", "--target-url", "http://127.0.0.1:9", "--contracts", "c.yaml"]) == 0
    assert cli.main(["gate", "--reports-dir", "out"]) == 0
    assert (tmp_path / "reports").is_dir()
    assert (tmp_path / "out").is_dir()
    assert ran[1][ran[1].index("-c") + 1] == str(tmp_path / "suite" / "pytest.toml")


# -- init: the starter contract ---------------------------------------------------------------------


def test_the_derivation_rules() -> None:
    assert (rules.floor_of(1204), rules.ceiling_of(1204)) == (842, 3612)
    assert (rules.floor_of(1), rules.ceiling_of(0)) == (0, 1)
    assert rules.required_of(["a", "a", 3, "b", "c"], None) == ["a", "b"]
    assert rules.required_of(["a", "b", "c"], {"c", "b"}) == ["b", "c"]  # only ids `all` lists too
    assert rules.context_bound(None) is None
    assert rules.context_bound(0.25) is None  # the default holds it
    assert rules.context_bound(0.56) == 0.7  # partial: observed + 10 points, up to 5 %
    assert rules.context_bound(1.0) is None  # every row unknown: the default, so the gate fails (D1)
    assert rules.callable_bound([1.0, None, 1.0]) == 0.9  # the lowest share observed, less 10 points
    assert rules.callable_bound([0.6, 1.0]) == 0.5
    assert rules.callable_bound([0.07]) == 0.0
    assert rules.callable_bound([None]) is None  # nothing counted: the default applies
    assert rules.callable_bound([0.6]) == 0.5  # one gateway's own bound: its share, less 10 points
    assert rules.callable_bound([0.77]) == 0.65  # rounded down to 5 %
    assert rules.scalar("openai/gpt-4o") == "openai/gpt-4o"
    assert rules.scalar("@deepinfra/x") == '"@deepinfra/x"'
    assert rules.scalar("yes") == '"yes"'
    assert gatewayz.registry_entries({"data": [{"id": "a", "aliases": ["b", "A", "b"]}, {"id": "B"}, {"id": "all"},
                                              {"id": 3}, {"id": "c", "aliases": None}]}) == [("a", ("b",)), ("c", ())]


def _catalog(name: str, ids: list[str], context: int = 8192, aliases: tuple[str, ...] = ()) -> gatewayz.Catalog:
    rows = [{"id": i, "context_length": context} for i in ids]
    return gatewayz.Catalog(name, aliases, ids=list(ids), rows=rows)


def test_the_written_contract_loads_with_every_kind_of_gateway(tmp_path: Path) -> None:
    catalogs = [
        _catalog("big", [f"m{i}" for i in range(10)], aliases=("large",)),
        _catalog("nocontext", ["n1", "n2"], context=0),
        _catalog("empty", []),
        gatewayz.Catalog("broken", problem="GET http://t/v1/models?gateway=broken -> 500 in 0.01 s"),
    ]
    aggregate = _catalog("all", [f"m{i}" for i in range(10)] + ["n1", "n2"])
    text, notes = gatewayz.render("http://t", "2026-12-02", catalogs, aggregate, dialects.GATEWAYZ.init_document)
    shutil.copy(ROOT / "contracts" / "gatewayz-api.openapi.json", tmp_path)
    (tmp_path / "c.yaml").write_text(text)
    contract = load_contract(tmp_path / "c.yaml")
    assert [g.slug for g in contract.gateways] == ["big", "nocontext", "empty"]
    big, nocontext, empty = contract.gateways
    assert (big.aliases, big.min_models, big.max_models, big.required_models) == (("large",), 7, 30, ("m0", "m1"))
    assert (empty.min_models, empty.max_models) == (0, None)
    assert nocontext.max_unknown_context_share == rules.CONTEXT_BOUND
    assert contract.aggregate is not None
    assert (contract.aggregate.min_models, contract.aggregate.max_models) == (8, 36)
    assert contract.chat_models == ()
    assert "observed 2026-12-02" in text
    assert "broken: GET http://t/v1/models?gateway=broken -> 500" in text
    assert any(n.startswith("nocontext: every one") for n in notes)
    assert any(n.startswith("broken") for n in notes)


def test_init_writes_value_bounds_its_target_passes(tmp_path: Path) -> None:
    from decimal import Decimal

    from gateway_contracts.invariants import values

    rows = [{"id": f"m{i}", "context_length": 131072 if i < 12 else 1000 * (i + 1),
             "pricing": {"prompt": "0.15" if i < 3 else f"{i + 1}e-7", "completion": f"{i + 2}e-7"}}
            for i in range(20)]  # 60 % at one context; 3 prices served per million; m0-m2 completions far cheaper
    catalog = gatewayz.Catalog("acme", ids=[r["id"] for r in rows], rows=rows)
    text, notes = gatewayz.render("http://t", "2026-12-02", [catalog], None, None)
    (tmp_path / "c.yaml").write_text(text)
    acme = load_contract(tmp_path / "c.yaml").gateway("acme").values
    assert acme.max_placeholder_context_share == 0.7  # observed 60 % + 10 points
    assert acme.max_placeholder_price_share == rules.PLACEHOLDER_BOUND
    assert acme.price_band_per_million == (0.001, 1000000.0)  # widened to the per-million prices served
    assert acme.max_completion_discount >= 750000
    assert any("acme: 3 prices outside the default band (above the band: likely per million tokens)" in n
               for n in notes)
    low, high = acme.price_band_per_million
    band = values.PriceBand(Decimal(str(low)), Decimal(str(high)))
    assert values.check_price_band(rows, band) == []
    assert values.check_completion_discount(rows, max_discount=Decimal(str(acme.max_completion_discount))) == []
    assert values.check_placeholders(rows, max_context_share=acme.max_placeholder_context_share,
                                     max_price_share=acme.max_placeholder_price_share) == []
    healthy = [{**r, "pricing": {"prompt": "1e-7", "completion": "2e-7"}, "context_length": 4096 * (1 + i % 5)}
               for i, r in enumerate(rows)]
    text, notes = gatewayz.render("http://t", "2026-12-02",
                                  [gatewayz.Catalog("acme", ids=[r["id"] for r in rows], rows=healthy)], None, None)
    assert "price_band_per_million: [" not in text  # the defaults hold: nothing widened
    assert "    max_placeholder_price_share" in text  # every row at one price pair: its own bound (1.0) ...
    assert any("acme: observed 100% of rows at ('0.0000001', '0.0000002')" in n for n in notes)  # ... and a note


def test_no_context_lengths_served_at_all_is_not_bounded(tmp_path: Path) -> None:
    text, _ = gatewayz.render("http://t", "2026-12-02", [_catalog("a", ["x"], context=0)], None, None)
    (tmp_path / "c.yaml").write_text(text)
    assert load_contract(tmp_path / "c.yaml").gateways[0].max_unknown_context_share == 1.0


def test_an_openai_list_is_grouped_by_owner_or_prefix(tmp_path: Path) -> None:
    owned = [{"id": "gpt-4o", "owned_by": "openai"}, {"id": "gpt-4o-mini", "owned_by": "openai"},
             {"id": "house", "owned_by": "acme"}]
    prefixed = [{"id": "openai/gpt-4o"}, {"id": "openai/gpt-4o-mini"}, {"id": "house-writer"}, {"id": "all/x"}]
    shutil.copy(ROOT / "contracts" / "openai-models.openapi.json", tmp_path)
    for rows, groups in [(owned, {"openai": "owned_by", "acme": "owned_by"}),
                         (prefixed, {"openai": "prefix", "all-models": "prefix", "other": "list"})]:
        text, _ = openai_dialect.render("http://t", "2026-12-02", rows, dialects.OPENAI.init_document)
        (tmp_path / "c.yaml").write_text(text)
        contract = load_contract(tmp_path / "c.yaml")
        assert {name: rule.kind for name, rule in openai_dialect.keys_of(contract).group_rules} == groups
        assert contract.aggregate is not None
        assert contract.aggregate.max_models == 3 * len(rows)


def _init(tmp_path: Path, url: str, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    starter.add_arguments(parser)
    return starter.run(parser.parse_args(["--target-url", url, "-o", str(tmp_path / "c.yaml"), *extra]))


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_RPS", "0")  # loopback: no rate budget
    monkeypatch.setenv("GATEWAY_API_KEY", SECRET)
    monkeypatch.delenv("KEYLESS", raising=False)


@pytest.mark.usefixtures("fast")
@pytest.mark.parametrize("shape", ["full", "sparse"])
def test_init_against_the_reference_gateway(tmp_path: Path, shape: str, capsys: pytest.CaptureFixture[str]) -> None:
    with EmbeddedGateway(shape=shape, api_keys={SECRET}) as gateway:
        assert _init(tmp_path, gateway.url) == 0
        registry = httpx.get(f"{gateway.url}/v1/gateways").json()["data"]
    text = (tmp_path / "c.yaml").read_text()
    contract = load_contract(tmp_path / "c.yaml")
    assert {g.slug for g in contract.gateways} == {e["id"] for e in registry}
    assert contract.openapi == tmp_path / "gatewayz-api.openapi.json"
    assert contract.aggregate is not None
    assert contract.aggregate.min_models > 0
    assert SECRET not in text + capsys.readouterr().out
    assert "\ncompare:\n" in text  # the differential gate's tolerances, written at their defaults
    assert contract.compare == DEFAULTS
    # With a key, init calls each catalog's sample as a nightly does: all answer, so each gateway's own bound and
    # the default are 100 % less 10.
    assert contract.callable_probe.min_share == 0.9
    assert "observed" in text.split("min_share:", 1)[1].splitlines()[0]
    assert {g.slug: g.min_callable_share for g in contract.gateways} == {g.slug: 0.9 for g in contract.gateways}
    assert text.count("\n    min_callable_share: 0.9  # observed ") == len(contract.gateways)
    if shape == "sparse":  # every row serves a positive context_length: bounded at the default
        assert all(g.max_unknown_context_share == rules.CONTEXT_BOUND for g in contract.gateways)
    else:
        hug = contract.gateway("huggingface")
        assert hug.aliases == ("hug",)
        assert hug.max_unknown_context_share > rules.CONTEXT_BOUND
    assert _init(tmp_path, "http://127.0.0.1:9") == 6  # the file exists: not overwritten without --force


@pytest.mark.usefixtures("fast")
def test_init_writes_each_gateway_s_bound_from_its_own_share(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A part of groq's listed models answer 502 (the kill matrix's chat-listed-502): groq gets a lower bound of
    its own, the other gateways keep theirs from their own shares, and the default is the lowest's rule."""
    parser = argparse.ArgumentParser()
    starter.add_arguments(parser)
    with EmbeddedGateway(faults=["chat-listed-502"], api_keys={SECRET}) as gateway:
        args = parser.parse_args(["--target-url", gateway.url, "-o", str(tmp_path / "c.yaml")])
        assert starter.run(args, now=lambda: datetime(2026, 12, 7, 9, tzinfo=UTC)) == 0  # the day's sample
    text = (tmp_path / "c.yaml").read_text()
    contract = load_contract(tmp_path / "c.yaml")
    groq = contract.gateway("groq").min_callable_share
    line = text.split("\n  groq:\n", 1)[1].split("    min_callable_share: ", 1)[1].splitlines()[0]
    assert line == "0.5  # observed 6 of 10 sampled answered chat (60%)"
    assert groq == rules.callable_bound([6 / 10]) == 0.5  # observed less 10 points, rounded down to 5 %
    assert {g.slug for g in contract.gateways if g.min_callable_share != 0.9} == {"groq"}
    assert contract.callable_probe.min_share == groq  # the default: the lowest observed, by the same rule
    assert "the lowest, groq" in text.split("min_share:", 1)[1].splitlines()[0]
    assert "note: groq:" in capsys.readouterr().err


def test_a_catalog_s_own_key_goes_at_the_end_of_its_entry_in_both_dialects(tmp_path: Path) -> None:
    catalogs = [_catalog("big", [f"m{i}" for i in range(10)], aliases=("large",)),
                _catalog("nocontext", ["n1", "n2"], context=0), _catalog("empty", [])]
    gz, _ = gatewayz.render("http://t", "2026-12-02", catalogs, None, None)
    rows = [{"id": "gpt-4o", "owned_by": "openai"}, {"id": "house", "owned_by": "acme"}]
    oa, _ = openai_dialect.render("http://t", "2026-12-02", rows, None)
    for text, block, own in [(gz, "gateways", {"big": 0.5, "nocontext": 0.85}), (oa, "groups", {"acme": 0.0})]:
        written = starter.with_catalog_keys(text, block, {k: f"min_callable_share: {v}  # observed"
                                                          for k, v in own.items()})
        (tmp_path / "c.yaml").write_text(written)
        contract = load_contract(tmp_path / "c.yaml")
        assert {g.slug: g.min_callable_share for g in contract.gateways} == \
            {g.slug: own.get(g.slug, 1.0) for g in contract.gateways}
        assert len(written.splitlines()) == len(text.splitlines()) + len(own)  # only those lines added
    # after the entry's last line, the comment inside it included
    written = starter.with_catalog_keys(gz, "gateways", {"nocontext": "min_callable_share: 0.85"})
    entry = written.split("\n  nocontext:\n", 1)[1].split("\n  empty:", 1)[0].splitlines()
    assert entry[-1] == "    min_callable_share: 0.85"
    assert entry[-2].startswith("    # every row's context length is unknown")


@pytest.mark.usefixtures("fast")
def test_init_without_a_key_makes_no_chat_call_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEYLESS", "1")
    with EmbeddedGateway(api_keys={SECRET}) as gateway:
        assert _init(tmp_path, gateway.url) == 0
        assert "/v1/chat/completions" not in gateway.stats()["by_path"]
    assert load_contract(tmp_path / "c.yaml").callable_probe.min_share == 1.0  # the default
    assert "min_share: not observed (no GATEWAY_API_KEY)" in (tmp_path / "c.yaml").read_text()
    assert "callable.min_share not observed" in capsys.readouterr().err


@pytest.mark.usefixtures("fast")
def test_init_refuses_a_target_with_nothing_useful(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _init(tmp_path, "http://127.0.0.1:9") == 7  # refused connection
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "http://127.0.0.1:9" in err
    assert _init(tmp_path, "") == 6
    assert not (tmp_path / "c.yaml").exists()
    nothing = httpx.MockTransport(lambda request: httpx.Response(404, json={"detail": "Not Found"}))
    client = GatewayClient("http://t", transport=nothing)
    with pytest.raises(starter.Refused, match="lists no gateway"):
        gatewayz.observe(client)
    with pytest.raises(starter.Refused, match="lists no model"):
        openai_dialect.observe(client)
    empty = httpx.MockTransport(lambda request: httpx.Response(
        200, json={"data": [{"id": "a"}]} if request.url.path == "/v1/gateways" else {"error": "down"}))
    with pytest.raises(starter.Refused, match="no catalog answers a usable walk"):
        gatewayz.observe(GatewayClient("http://t", transport=empty))


@pytest.mark.slow
def test_the_written_floors_and_ceilings_catch_a_lost_catalog_and_a_blow_up(tmp_path: Path) -> None:
    with EmbeddedGateway() as gateway:
        env = scrubbed_env({"MAX_RPS": "0"})
        result = subprocess.run([str(SCRIPT), "init", "--target-url", gateway.url, "-o", str(tmp_path / "c.yaml")],
                                env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
    base = [str(SCRIPT), "gate", "-n", "0", "--contracts", str(tmp_path / "c.yaml"), "-k", "test_count_within_bounds",
            "--reports-dir", str(tmp_path / "reports")]
    healthy = subprocess.run(base, cwd=ROOT, env=scrubbed_env(), capture_output=True, text=True, timeout=300,
                             check=False)
    assert healthy.returncode == 0, healthy.stdout[-2000:]
    faulty = subprocess.run([*base, "--reference-fault", "hf-cap-100", "--reference-fault", "featherless-blowup"],
                            cwd=ROOT, env=scrubbed_env(), capture_output=True, text=True, timeout=300, check=False)
    assert faulty.returncode == 1, faulty.stdout[-2000:]
    assert set(re.findall(r"FAILED \S+test_count_within_bounds\[(\w+)\]", faulty.stdout)) == {"huggingface",
                                                                                               "featherless"}


# -- the GitHub Action --------------------------------------------------------------------------------


def _validate(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    assert VALIDATOR.exists(), f"{VALIDATOR} missing: install the dev extra (pip install -e '.[dev]')"
    return subprocess.run([str(VALIDATOR), "--builtin-schema", schema, *map(str, files)],
                          env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=120, check=False)


def _action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text())


def _example_workflow() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S)
    workflows = [b for b in blocks if "jobs:" in b]
    assert len(workflows) == 1, "docs/use-in-your-repository.md shows one workflow"
    return workflows[0]


def test_the_action_is_valid_against_the_action_schema_offline(tmp_path: Path) -> None:
    result = _validate("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _action()
    del broken["runs"]["using"]  # the validator does reject a broken action
    (tmp_path / "action.yml").write_text(yaml.safe_dump(broken))
    assert _validate("vendor.github-actions", tmp_path / "action.yml").returncode == 1


def test_the_example_workflow_is_valid_and_uses_the_action(tmp_path: Path) -> None:
    (tmp_path / "contracts.yml").write_text(_example_workflow())
    result = _validate("vendor.github-workflows", tmp_path / "contracts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(_example_workflow())
    used = [s for job in workflow["jobs"].values() for s in job["steps"] if "gateway-contracts@" in s.get("uses", "")]
    assert len(used) == 1
    given = set(used[0]["with"])
    assert {k for k, v in _action()["inputs"].items() if v.get("required")} <= given <= set(_action()["inputs"])
    assert used[0]["with"]["api-key"] == "${{ secrets.GATEWAY_API_KEY }}"


def test_the_action_passes_the_key_by_environment_uploads_always_and_fails_with_the_status() -> None:
    action = _action()
    steps = action["runs"]["steps"]
    for step in steps:
        assert "inputs.api-key" not in step.get("run", ""), "the key only through env"
        assert "${{" not in step.get("run", ""), "inputs reach scripts through env, not by interpolation"
    suite = next(s for s in steps if s.get("id") == "suite")
    assert suite["env"]["GATEWAY_API_KEY"] == "${{ inputs.api-key }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert steps[-1]["run"].strip().endswith('exit "${STATUS:-1}"')
    assert set(action["inputs"]) >= {"target-url", "contracts", "suite", "api-key", "python-version"}


# -- the action's steps, for real, in a fresh virtualenv outside the checkout ------------------------


EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _render(value: Any, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m.group(1)], str(value))


def _source_copy(tmp_path: Path) -> Path:
    """The checkout's files (what `uses: OWNER/gateway-contracts@REF` checks out), without its virtualenv,
    reports and build leftovers: pip builds in the source folder, and this one must stay clean."""
    source = tmp_path / "action"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "reports", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "node_modules"))
    return source


def _virtualenv(tmp_path: Path) -> Path:
    """A new virtualenv that sees the project's dependencies (not the project: its editable finder is a .pth
    line of that site-packages, which a path added by .pth does not run) so no dependency is downloaded."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    import sysconfig

    (Path(purelib) / "gateway-contracts-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _run_step(step: dict[str, Any], context: dict[str, str], env: dict[str, str], cwd: Path,
              outputs: Path) -> subprocess.CompletedProcess[str]:
    outputs.write_text("")
    step_env = {**env, **{k: _render(v, context) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(outputs)}
    assert step["shell"] == "bash"
    # GitHub runs a composite step's bash as `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                          env=step_env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_installed_command_outside_the_checkout(tmp_path: Path) -> None:
    source, venv, work = _source_copy(tmp_path), _virtualenv(tmp_path), tmp_path / "work"
    work.mkdir()
    # The smoke fuzz profile: what is under test is the installed command and the action, not what fuzzing finds.
    env = scrubbed_env({"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "MAX_RPS": "0",
                        "VIRTUAL_ENV": str(venv), "FUZZ_GATE_PROFILE": "smoke"})
    env.pop("PYTHONPATH", None)
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({"target-url": "", "contracts": "contracts/gateways.yaml", "keyless": "true", "workers": "0"})
    context = {f"inputs.{k}": v for k, v in inputs.items()} | {"github.action_path": str(source)}
    outputs = tmp_path / "github_output"
    steps = action["runs"]["steps"]

    # setup-python: the virtualenv, first on PATH; then the action's install step as written.
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert inputs["python-version"].startswith("3.")
    install = _run_step(steps[1], context, env, work, outputs)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # The installed packages, not the checkout: the product and its test bed (the reference `serve` starts), and
    # none of the self-test tooling.
    probe = ("import importlib.util, gateway_contracts, gateway_testbed.reference; "
             "print(gateway_contracts.__file__, gateway_testbed.__file__, "
             "importlib.util.find_spec('gateway_testbed.killmatrix'), importlib.util.find_spec('tests'))")
    where = subprocess.run(["python", "-c", probe], cwd=work, env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    assert where[2:] == ["None", "None"], where
    assert all(w.startswith(str(venv)) for w in where[:2]), where
    # The wheel the action's pip built (one build for both checks): the product, no self-test tooling.
    assert_ships_the_product_and_no_self_test_tooling(*_installed_files(venv))

    # The embedded reference gateway, then a starter contract for it, from the working folder.
    server = subprocess.Popen(["gateway-contracts", "serve", "--port", "0"], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        url = match.group(0)
        init = subprocess.run(["gateway-contracts", "init", "--target-url", url, "-o", "contracts/gateways.yaml"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert init.returncode == 0, init.stderr
        assert (work / "contracts" / "gatewayz-api.openapi.json").is_file()

        # The action's run step and its final status step, as written, with this target and contract.
        context["inputs.target-url"] = url
        run = _run_step(steps[2], context, env, work, outputs)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        status = dict(line.split("=", 1) for line in outputs.read_text().split())
        assert status == {"status": "0"}, run.stdout[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
    junit = ET.parse(work / "reports" / "junit-gate.xml").getroot()
    suite_node = junit if junit.tag == "testsuite" else junit[0]
    assert int(suite_node.get("tests", 0)) > 100
    assert int(suite_node.get("failures", 0)) == 0
    record = json.loads((work / "reports" / "run-gate.json").read_text())
    assert url in json.dumps(record["target"])
    assert steps[3]["uses"].startswith("actions/upload-artifact@")
    assert (work / inputs["reports-dir"]).is_dir()
    context["steps.suite.outputs.status"] = status["status"]
    assert _run_step(steps[4], context, env, work, outputs).returncode == 0
    context["steps.suite.outputs.status"] = "1"
    assert _run_step(steps[4], context, env, work, outputs).returncode == 1  # the job fails with the suite
