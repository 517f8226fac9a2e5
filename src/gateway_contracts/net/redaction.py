"""Redaction: every known secret in a text replaced by a fixed marker (used by the client, reports and fuzz)."""

from __future__ import annotations


class Redactor:
    """Replaces every known secret in a text by a fixed marker."""

    MARK = "***"

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __repr__(self) -> str:  # tracebacks with locals print reprs
        return f"Redactor({len(self._secrets)} secrets)"

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, self.MARK)
        return text
