"""What an invariant returns: findings that read as a bug report (expected, got, which request)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gateway_contracts.data.kinds import FindingKind, kind_of

SAMPLE = 5


@dataclass(frozen=True)
class Finding:
    invariant: str  # stable name, e.g. "no-duplicate-ids"
    message: str  # expected vs got, in one or two sentences
    request: str | None = None  # the exchange that shows it (`GET url -> status`), key never included
    evidence: tuple[str, ...] = field(default=())  # offending ids, offsets or fields (a sample)
    curl: str | None = None  # the request as a curl command, key as ***, when it has a body worth repeating

    @property
    def kind(self) -> FindingKind:
        """The registered kind (stable code, title), looked up by the invariant name."""
        return kind_of(self.invariant)

    @property
    def code(self) -> str:
        return self.kind.code

    def render(self) -> str:
        # The first line keeps the `[name] message` shape that report/junit.py parses back.
        lines = [f"[{self.invariant}] {self.message}", f"    kind: {self.code} {self.kind.title}"]
        if self.evidence:
            lines.append("    evidence: " + ", ".join(self.evidence))
        if self.request:
            lines.append(f"    request: {self.request}")
        if self.curl:
            lines.append(f"    reproduce: {self.curl}")
        return "\n".join(lines)


def sample(values: Iterable[object], limit: int = SAMPLE) -> tuple[str, ...]:
    """The first few values, as strings, plus a `(+N more)` marker so evidence stays short."""
    items = list(values)
    shown = tuple(repr(v) if isinstance(v, str) else str(v) for v in items[:limit])
    return shown + ((f"(+{len(items) - limit} more)",) if len(items) > limit else ())


def render_all(findings: Sequence[Finding], limit: int = 20) -> str:
    text = "\n".join(f.render() for f in findings[:limit])
    if len(findings) > limit:
        text += f"\n... and {len(findings) - limit} more findings"
    return text
