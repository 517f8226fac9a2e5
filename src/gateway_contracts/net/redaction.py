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


# Every answer is cleaned of the key before a check reads it or a report keeps it. A key this short also occurs in
# ordinary data ('x' in every 'xai' row, 'test' in model ids), so the cleaning would rewrite the catalogs into
# false failures; the LiteLLM quickstart's `sk-1234` (7) is still accepted.
MIN_SECRET_CHARS = 6


def too_short_to_redact(secret: str) -> str | None:
    """Why `secret` cannot be told apart from the data it would be cleaned out of, or None (never quotes it)."""
    if len(secret) >= MIN_SECRET_CHARS:
        return None
    return (f"it is {len(secret)} character{'s' if len(secret) != 1 else ''} long: every answer is cleaned of the "
            f"key before a check reads it or a report keeps it, and a key this short also occurs in ordinary data "
            f"(ids, slugs), which the cleaning would turn into false failures; use the real key (at least "
            f"{MIN_SECRET_CHARS} characters)")
