"""`gateway-contracts`: the suite's sessions as one command. The Makefile's targets call it, so the pytest
arguments of each session are defined here once and `make gate` and `gateway-contracts gate` cannot drift.

    gateway-contracts gate|nightly|fuzz|signoff|baseline [-n N] [pytest options] [-- pytest options]
    gateway-contracts report [--run NAME]
    gateway-contracts known --from-run NAME [--write] [--days N]
    gateway-contracts serve [--port PORT] [reference gateway options]
    gateway-contracts init --target-url URL [--dialect gatewayz|openai] [-o FILE]

In a checkout it runs the checkout's tests/ (from its root); installed anywhere else, the suite the package
ships (gateway_contracts._suite: the same files), from the working folder, whose ./reports gets the reports.
The suite variables (TARGET_URL, CONTRACTS, GATEWAYS, BASELINE, GATEWAY_API_KEY, ...) come from the environment,
as under make; every option the command does not know goes to pytest unchanged. The exit status is the suite's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from gateway_contracts import exitcodes
from gateway_contracts.fuzz.settings import SCHEMATHESIS_PLUGIN

PROG = "gateway-contracts"
REPORTS = "reports"
USAGE_ERROR = 4  # pytest's status for a usage error (docs/configuration.md)
DEFAULT_WORKERS = "2"
DEFAULT_PORT = "8080"
SUITES = {
    "gate": "pre-deploy gate: gate contracts and the gate fuzz profile",
    "nightly": "every contract plus deep fuzzing; compares with BASELINE when set",
    "fuzz": "the nightly fuzz profile alone (schemathesis, pagination walk, spec drift)",
    "signoff": "the nightly run, then reports/signoff.html and reports/signoff.md",
    "baseline": "snapshot the target into BASELINE (default contracts/baselines/<host>.json)",
}
OTHERS = {
    "report": "sign-off report of the latest run (--run NAME), then the Allure HTML when Node is present",
    "serve": "run the reference gateway in the foreground (--port, FAULTS)",
    "known": "known_findings entries for the failures of a run (--from-run NAME), to paste or --write",
    "init": "write a starter contract from a live target's observed catalogs (--target-url, -o)",
}
# The sessions whose default is --strict-known (a known finding no longer seen fails), like a strict xfail; the
# pre-deploy gate only reports it. STRICT_KNOWN=0 turns it off.
STRICT_KNOWN_SESSIONS = ("nightly", "signoff")


# -- the sessions (pure) ---------------------------------------------------------------------------


def run_args(run: str, reports: str = REPORTS) -> list[str]:
    """What every suite run writes: JUnit, Allure results (no captured output: it could hold a key) and the
    run record plus history line the sign-off report reads."""
    return [f"--junitxml={reports}/junit-{run}.xml", "--run-name", run, "--reports-dir", reports,
            f"--alluredir={reports}/allure-results", "--clean-alluredir", "--allure-no-capture"]


NIGHTLY_TESTS = ["tests/contract", "tests/fuzz", "-m", "not fuzz or nightly"]  # every contract, the deep fuzz profile


def suite_args(command: str, *, workers: str, baseline_out: str | None = None,
               extra: Sequence[str] = (), suite: Path | None = None, reports: str = REPORTS) -> list[str]:
    """The pytest arguments of a suite session; `extra` last, so a caller's options win. `suite`: the installed
    suite's folder (its tests/ named absolutely, its own pytest settings), None in a checkout."""
    tests = {
        "gate": ["tests/contract", "tests/fuzz", "-m", "gate"],
        "fuzz": ["tests/fuzz", "-m", "nightly"],
        "nightly": NIGHTLY_TESTS,
        "signoff": NIGHTLY_TESTS,
        "baseline": ["tests/contract"],
    }[command]
    if suite is not None:
        tests = [str(suite / t) if t.startswith("tests/") else t for t in tests]
    args = ["-p", "xdist", "-n", workers, *tests, *run_args(command, reports)]
    if workers != "0":
        # The xdist controller collects nothing: schemathesis' plugin (and the hypothesis it imports) only in the
        # workers, which load it themselves (fuzz/hooks.py); the controller starts them ~0.4 s sooner.
        args += ["-p", f"no:{SCHEMATHESIS_PLUGIN}"]
    if command == "baseline":
        args += ["--update-baseline", baseline_out or "auto"]
    if suite is not None:
        # No pyproject.toml here: the shipped settings, and the suite's folder as rootdir (same test ids as a
        # checkout's, and its conftest.py loads the plugin).
        args += ["-c", str(suite / SUITE_CONFIG), "--rootdir", str(suite)]
    return [*args, *extra]


def strict_known_args(command: str, environ: Mapping[str, str]) -> list[str]:
    """`--strict-known` for the nightly and the sign-off, unless STRICT_KNOWN says otherwise (it is then the
    suite's own option value, parsed and validated there)."""
    chosen = bool(environ.get("STRICT_KNOWN", "").strip())
    return ["--strict-known"] if command in STRICT_KNOWN_SESSIONS and not chosen else []


def suite_env(command: str, environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    # pytest caches assertion-rewritten modules as bytecode; without it every process and worker rewrites ~300.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if command == "baseline":
        env["BASELINE"] = ""  # BASELINE names the file to write: the snapshot run compares with nothing
    return env


# -- command line ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; given the `command` it will parse, it leaves out what only another command needs."""
    top = _Parser(prog=PROG, allow_abbrev=False,
                  description="Run the suite's sessions: the same pytest runs as the Makefile's targets.",
                  formatter_class=argparse.RawDescriptionHelpFormatter,
                  epilog="Options a suite command does not know, and everything after --, go to pytest.\n"
                  "Exit status: the suite's (0 every contract holds, 1 broken, 6 invalid configuration, "
                  "7 target unreachable or unusable, 8 run deadline passed).")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    for name, help_text in SUITES.items():
        sub = commands.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        sub.add_argument("-n", "--workers", default=DEFAULT_WORKERS, metavar="N",
                         help=f"xdist workers, or auto (default {DEFAULT_WORKERS})")
        if name == "baseline":
            sub.add_argument("--out", default=None, metavar="FILE",
                             help="file to write (default: env BASELINE, else contracts/baselines/<host>.json)")
        sub.add_argument("--reports-dir", default=os.environ.get("REPORTS_DIR") or REPORTS, metavar="DIR",
                         help=f"folder of the reports (env REPORTS_DIR; default {REPORTS}, in the working folder or "
                         "the checkout's root)")
    known = commands.add_parser("known", help=OTHERS["known"], description=OTHERS["known"], allow_abbrev=False)
    known.add_argument("--from-run", required=True, metavar="NAME", help="the run whose failures to accept (gate, "
                       "nightly, ...: reports/run-NAME.json or reports/junit-NAME.xml)")
    known.add_argument("--write", action="store_true", help="append the entries to the contract file (CONTRACTS), "
                       "keeping its comments, instead of printing them")
    known.add_argument("--days", type=int, default=30, metavar="N", help="days until the entries expire (default 30)")
    known.add_argument("--contracts", default=None, metavar="FILE",
                       help="the contract file (default: env CONTRACTS, else contracts/gateways.yaml)")
    report = commands.add_parser("report", help=OTHERS["report"], description=OTHERS["report"], allow_abbrev=False)
    report.add_argument("--run", default=None, metavar="NAME", help="the run to render (default: the latest)")
    report.add_argument("--reports-dir", default=os.environ.get("REPORTS_DIR") or REPORTS, metavar="DIR",
                        help=f"folder of the reports (env REPORTS_DIR; default {REPORTS})")
    commands.add_parser("serve", help=OTHERS["serve"], description=OTHERS["serve"], allow_abbrev=False,
                        add_help=False)  # --help is the reference gateway's own
    init = commands.add_parser("init", help=OTHERS["init"], description=OTHERS["init"], allow_abbrev=False)
    if command in (None, "init"):
        # Its options list the dialects: importing their registry (the contract model, httpx) cost every other
        # command ~0.25 s before its pytest could start.
        from gateway_contracts.starter import add_arguments

        add_arguments(init)
    return top


def command_word(argv: Sequence[str]) -> str | None:
    """The command `argv` names (its first word, when it is one), else None."""
    return argv[0] if argv and argv[0] in {*SUITES, *OTHERS} else None


SOURCE = Path(__file__).resolve().parents[2]  # the checkout of an editable install (src/gateway_contracts/..)


def project_root(cwd: Path, source: Path = SOURCE) -> Path | None:
    """The checkout whose tests/ the sessions run: the working directory, else the one this package was
    installed from in editable mode (`source`)."""
    for candidate in (cwd, source):
        if (candidate / "tests" / "contract").is_dir() and (candidate / "conftest.py").is_file():
            return candidate
    return None


SUITE_CONFIG = "pytest.toml"


def installed_suite() -> Path | None:
    """The suite this package ships (gateway_contracts._suite), when its tests are there: a regular install.
    (An editable install finds its checkout first, through `project_root`.)"""
    from gateway_contracts import _suite

    folder = Path(_suite.__file__).resolve().parent
    complete = (folder / "tests" / "contract").is_dir() and (folder / SUITE_CONFIG).is_file()
    return folder if complete else None


@dataclass(frozen=True)
class Where:
    """Where a session runs: pytest's working folder (reports land in it) and the installed suite, if that is
    what runs (None: a checkout's tests/, from its root)."""

    cwd: Path
    suite: Path | None = None


def locate(cwd: Path) -> Where | None:
    root = project_root(cwd)
    if root is not None:
        return Where(root)
    suite = installed_suite()
    return Where(cwd, suite) if suite is not None else None


def _named(args: Sequence[str], environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The target URL and contract file a session is given (pytest options or their variables)."""
    peek = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    peek.add_argument("--target-url", default=environ.get("TARGET_URL") or None)
    peek.add_argument("--contracts", default=environ.get("CONTRACTS") or None)
    known, _ = peek.parse_known_args(list(args))
    return known.target_url, known.contracts


def _wait(process: subprocess.Popen[bytes]) -> int:
    """The child's status. Ctrl-C reaches the child too (same process group): wait for it to stop cleanly
    (pytest stops the embedded gateway and reports 2) rather than kill it or interrupt it twice."""
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


# `python -m pytest`, except for the end: once pytest has returned its status (reports written, the embedded
# gateway stopped, the cache removed) the process leaves without the interpreter's teardown, which freed a run's
# objects one by one for ~1 s (1.3-1.5 s measured at load 8 on the 2-core box).
PYTEST_MAIN = ("import os, sys, pytest\n"
               "status = int(pytest.main())\n"
               "sys.stdout.flush(); sys.stderr.flush()\n"
               "os._exit(status)")


def _pytest(args: Sequence[str], root: Path, env: Mapping[str, str]) -> int:
    return _wait(subprocess.Popen([sys.executable, "-c", PYTEST_MAIN, *args], cwd=root, env=dict(env)))


def _report(root: Path, run: str | None, allure: bool, reports: str = REPORTS) -> int:
    from gateway_contracts.report.__main__ import main as render

    status = render(["--reports-dir", str(root / reports), *(["--run", run] if run else [])])
    script = root / "scripts" / "allure-report.sh"
    if status != 0 or not allure or not script.is_file():
        return status
    return _wait(subprocess.Popen(["bash", str(script)], cwd=root, env={**os.environ, "PY": sys.executable}))


def _known(root: Path, args: argparse.Namespace) -> int:
    from gateway_contracts.report.adopt import AdoptError, adopt

    contract = Path(args.contracts or os.environ.get("CONTRACTS") or "contracts/gateways.yaml")
    try:
        text, note = adopt(root / REPORTS, args.from_run, contract if contract.is_absolute() else root / contract,
                           days=args.days, write=args.write)
    except AdoptError as exc:
        print(f"{PROG}: known: {exc}", file=sys.stderr)
        return exitcodes.INVALID_CONTRACT
    if text and not args.write:
        print(text, end="")
    print(f"{PROG}: known: {note}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` is pytest's, verbatim (PYTEST_ARGS under make).
    mine, passthrough = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    cli = parser(command_word(mine))
    args, unknown = cli.parse_known_args(mine)
    if args.command == "serve":
        from gateway_contracts.embedded import serve

        return serve(["--port", DEFAULT_PORT, *unknown, *passthrough])  # a later --port wins
    if args.command in ("report", "known", "init") and (unknown or passthrough):
        cli.error(f"{args.command}: unrecognized arguments: {' '.join([*unknown, *passthrough])}")
    if args.command == "init":
        from gateway_contracts.starter import run as init

        return init(args)
    where = locate(Path.cwd())
    if where is None:
        print(f"{PROG}: no gateway-contracts checkout at {Path.cwd()} (tests/contract and conftest.py) and no "
              "installed suite: run it from the repository's root, or reinstall the package", file=sys.stderr)
        return exitcodes.INVALID_CONTRACT
    root = where.cwd
    reports = getattr(args, "reports_dir", REPORTS)
    if where.suite is not None and args.command in SUITES:
        target_url, contracts = _named([*unknown, *passthrough], os.environ)
        if target_url and not contracts:
            # The shipped contract describes the embedded reference gateway, not this target.
            print(f"{PROG}: --contracts FILE (or CONTRACTS) is required with --target-url {target_url} outside a "
                  f"checkout; write one with `{PROG} init --target-url {target_url}`", file=sys.stderr)
            return exitcodes.INVALID_CONTRACT
    (root / reports).mkdir(parents=True, exist_ok=True)
    if args.command == "report":
        return _report(root, args.run, allure=True, reports=reports)
    if args.command == "known":
        return _known(root, args)
    baseline_out = (args.out or os.environ.get("BASELINE") or None) if args.command == "baseline" else None
    strict = strict_known_args(args.command, os.environ)
    pytest_args = suite_args(args.command, workers=args.workers, baseline_out=baseline_out,
                             extra=[*strict, *unknown, *passthrough], suite=where.suite, reports=reports)
    status = _pytest(pytest_args, root, suite_env(args.command, os.environ))
    if args.command == "signoff":
        # The report is rendered whatever the verdict; the status stays the suite's (or 1 if no report).
        rendered = _report(root, "signoff", allure=False, reports=reports)
        if rendered != 0 and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
