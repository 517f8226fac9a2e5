"""Post-processing of the Allure 3 single-file report: remove the Google Analytics script it embeds.

The generated `index.html` loads gtag.js from googletagmanager.com and sends a page view when opened; a
report of a staging run must not call out. Removing both script blocks leaves the report working.

    python -m gateway_contracts.report.allure reports/allure-report/index.html
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_LOADER = re.compile(r"\s*<script[^>]*\bsrc=\"https://www\.googletagmanager\.com/[^\"]*\"[^>]*>\s*</script>", re.I)
_CONFIG = re.compile(r"\s*<script[^>]*>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*?</script>", re.I | re.S)


def strip_analytics(html: str) -> tuple[str, int]:
    """The page without the analytics loader and its `gtag(...)` config block, and how many were removed."""
    html, loaders = _LOADER.subn("", html)
    html, configs = _CONFIG.subn("", html)
    return html, loaders + configs


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
