"""Small text helpers the report's pages and sections share: escaping and how a value or a yes/no reads."""

from __future__ import annotations

from html import escape
from typing import Any

NONE = "\u2013"  # an en dash: no value


def e(value: Any) -> str:
    """HTML-escaped text."""
    return escape(str(value))


def md(value: Any) -> str:
    """Text for one Markdown table cell: no pipe ends the cell, no newline ends the row."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def num(value: int | None) -> str:
    """A count with thousands separators, or the en dash for none."""
    return NONE if value is None else f"{value:,}"


def yes_html(value: bool | None, yes: str = "yes", no: str = "NO") -> str:
    if value is None:
        return '<span class="muted">not checked</span>'
    return f'<span class="k-ok">{yes}</span>' if value else f'<span class="k-bad">{no}</span>'


def yes_md(value: bool | None) -> str:
    return "not checked" if value is None else ("yes" if value else "**NO**")


def count(value: int | None) -> str:
    """A count the run recorded, or "unknown" when it did not (never a guess)."""
    return "unknown" if value is None else f"{value:,}"
