#!/usr/bin/env bash
# Render reports/allure-results as one self-contained HTML file with Allure Report 3 (npm `allure`,
# pinned in tools/allure), then remove the analytics script it embeds. Without Node.js this says how to
# get it and exits 0: the sign-off report (reports/signoff.html) does not need Allure.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${ALLURE_RESULTS:-reports/allure-results}
py=${PY:-.venv/bin/python}
tool=tools/allure
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "allure: Node.js/npm not found, so the Allure HTML report is skipped (reports/signoff.html is complete without it)."
  echo "allure: to get it, install Node.js 20 or later with npm (Debian/Ubuntu: sudo apt-get install nodejs npm;"
  echo "allure: elsewhere: https://nodejs.org/en/download), then run 'make report' again."
  exit 0
fi
if [ ! -d "$results" ]; then
  echo "allure: $results does not exist: run make gate, nightly or signoff first" >&2
  exit 2
fi
if [ ! -x "$tool/node_modules/.bin/allure" ]; then
  echo "allure: installing Allure Report 3 into $tool/node_modules (npm ci, versions from $tool/package-lock.json)"
  npm ci --prefix "$tool" --no-audit --no-fund --loglevel=error
fi
# singleFile, output folder and history file are set in allurerc.mjs (paths relative to the repository root).
"$tool/node_modules/.bin/allure" generate "$results" --config "$tool/allurerc.mjs" >/dev/null
PYTHONPATH=src "$py" -m gateway_contracts.report.allure reports/allure-report/index.html
echo "allure: reports/allure-report/index.html (one file; opens from file://)"
