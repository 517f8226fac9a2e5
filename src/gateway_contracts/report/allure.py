"""The Allure format: labels on each contract test, the environment panel, and the post-processing of the Allure 3
single-file report.

During the run (allure-pytest writes the results): gateway as feature, contract as story, the severity marker,
a gateway parameter shown by its slug, no captured output; at the end, `environment.properties` (target,
versions, git sha, spec hash, known findings; every value through the key redactor).

After the run, `python -m gateway_contracts.report.allure` removes the Google Analytics script the generated
report embeds: the generated `index.html` loads gtag.js from googletagmanager.com and sends a page view when opened; a
report of a staging run must not call out. Removing both script blocks leaves the report working.

    python -m gateway_contracts.report.allure reports/allure-report/index.html
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.contract import Gateway
from gateway_contracts.report.interface import Labels, ReportFormat
from gateway_contracts.session.known_outcomes import OUTCOMES as KNOWN_OUTCOMES
from gateway_contracts.session.state import STATE

_LOADER = re.compile(r"\s*<script[^>]*\bsrc=\"https://www\.googletagmanager\.com/[^\"]*\"[^>]*>\s*</script>", re.I)
_CONFIG = re.compile(r"\s*<script[^>]*>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*?</script>", re.I | re.S)


def strip_analytics(html: str) -> tuple[str, int]:
    """The page without the analytics loader and its `gtag(...)` config block, and how many were removed."""
    html, loaders = _LOADER.subn("", html)
    html, configs = _CONFIG.subn("", html)
    return html, loaders + configs


class Allure(ReportFormat):
    """Registered as a pytest plugin too (report/recording.py): its `pytest_*` methods are hooks."""

    name = "allure"

    def enabled(self, config: pytest.Config) -> bool:
        return bool(getattr(config.option, "allure_report_dir", None))

    def pytest_configure(self, config: pytest.Config) -> None:
        if self.enabled(config):
            # allure-pytest attaches captured stdout and logs to every result, passing ones too: never here.
            config.option.attach_capture = False

    def label(self, item: pytest.Item, labels: Labels) -> None:
        if not item.config.pluginmanager.hasplugin("allure_pytest"):
            return
        have = {m.kwargs.get("label_type") for m in item.iter_markers("allure_label")}
        for label_type, value in (("feature", labels.feature), ("story", labels.story),
                                  ("severity", labels.severity)):
            if label_type not in have:  # a test's own allure mark wins
                item.add_marker(pytest.mark.allure_label(value, label_type=label_type))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        # Allure shows parameters by repr: a Gateway dataclass becomes a wall of text. Show its slug.
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("gateway"), Gateway) and item.config.pluginmanager.get_plugin("allure_listener"):
            import allure

            allure.dynamic.parameter("gateway", params["gateway"].slug)

    def finish(self, record: Mapping[str, Any], config: pytest.Config) -> str | None:
        state = config.stash[STATE]
        write_allure_environment(Path(config.option.allure_report_dir), {
            "target.url": state.target_url, "target.version": record["target"]["version"] or "unknown",
            "suite.version": record["suite_version"], "git.sha": record.get("git_sha") or "unknown",
            "spec.hash": record.get("spec_hash") or "unknown", "contract": str(state.contract.path),
            "run": record.get("run") or "", "gateways": config.option.gateways or "all",
            "baseline": config.getoption("baseline", None) or "none",
            # Allure's environment panel: the entries' outcomes (each seen one is also its test's xfail + issue link).
            **{f"known.{o.status.replace(' ', '_')}.{i}": o.entry.label
               for i, o in enumerate(config.stash.get(KNOWN_OUTCOMES, []))},
        }, redact=state.redact)
        return None


FORMAT = Allure()


def write_allure_environment(alluredir: Path, values: dict[str, Any], *, redact: Any) -> Path:
    """The report's metadata panel: target, versions, sha, spec hash. Values pass the key redactor."""
    alluredir.mkdir(parents=True, exist_ok=True)
    path = alluredir / "environment.properties"
    lines = [f"{key}={_escape(redact(str(value)))}" for key, value in values.items() if value not in (None, "")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _escape(value: str) -> str:
    # Java properties: backslash, newlines and leading spaces would change the meaning.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m gateway_contracts.report.allure REPORT.html", file=sys.stderr)
        return 2
    path = Path(args[0])
    html, removed = strip_analytics(path.read_text(encoding="utf-8"))
    path.write_text(html, encoding="utf-8")
    left = "googletagmanager" in html or "gtag(" in html
    print(f"allure: removed {removed} analytics script block(s) from {path}" + ("; SOME REMAIN" if left else ""))
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
