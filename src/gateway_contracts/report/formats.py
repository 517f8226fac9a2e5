"""The report formats, one module each (`report/interface.py` says what a format implements).

Adding a format is its module and one line here: labelled tests, session-end files and rendered reports all
iterate this tuple (report/recording.py during the run, `python -m gateway_contracts.report` after it).
"""

from __future__ import annotations

from gateway_contracts.report import allure, changes_file, html_page, junit, markdown_page, runrecord
from gateway_contracts.report.interface import ReportFormat

FORMATS: tuple[ReportFormat, ...] = (
    junit.FORMAT,  # the properties on each contract test (the XML itself is pytest's --junitxml)
    allure.FORMAT,  # labels, the gateway parameter, environment.properties
    runrecord.FORMAT,  # reports/run-<name>.json and history.jsonl
    html_page.FORMAT,  # signoff.html
    markdown_page.FORMAT,  # signoff.md
    changes_file.FORMAT,  # changes.json: what this deploy changes against production (COMPARE_URL)
)
