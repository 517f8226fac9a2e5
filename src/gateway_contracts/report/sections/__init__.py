"""The sign-off report's sections with facts of their own, in the order they render (within their place).

Adding a section is one module in this package (a `Section` of `report/interface.py`, named `SECTION`) and one
line here; docs/recipes.md "Add a report section" says the rest.
"""

from __future__ import annotations

from gateway_contracts.report.interface import Section
from gateway_contracts.report.sections import aliases, callable_share, deploy_changes, required_models, scorecard

SECTIONS: tuple[Section, ...] = (
    aliases.SECTION,
    required_models.SECTION,
    scorecard.SECTION,
    deploy_changes.SECTION,
    callable_share.SECTION,
)
