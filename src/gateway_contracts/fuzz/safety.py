"""What the fuzzer may do to a shared target: which hosts, which methods. Pure functions.

Fuzzing sends thousands of odd requests. Against the embedded reference gateway that is free; against a
shared staging it must be a deliberate choice: the host has to be on an allow-list the user configures,
and only safe methods are sent unless more are allowed explicitly. The one exception is the chat call
path, which is fuzzed when an API key is available (it is the route the product depends on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY"})
CHAT_OPERATION = ("POST", "/v1/chat/completions")


class SafetyError(ValueError):
    """A fuzz setting is unusable (an unknown method name)."""


def split_list(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """`"a, b,,c"` -> ("a", "b", "c"); lists pass through stripped."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return tuple(item.strip() for item in items if item and item.strip())


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_allowed(url: str, allowed: Iterable[str]) -> bool:
    """The URL's host matches an entry: an exact hostname or a shell pattern (`*.staging.example.com`)."""
    host = host_of(url)
    return bool(host) and any(fnmatchcase(host, pattern.lower()) for pattern in allowed)


def refusal(url: str, allowed: Iterable[str]) -> str | None:
    """The one line explaining why `url` may not be fuzzed, or None when it may."""
    allowed = tuple(allowed)
    if host_allowed(url, allowed):
        return None
    host = host_of(url) or url
    listed = ", ".join(allowed) or "(empty)"
    return (
        f"refusing to fuzz {host}: it is not in the fuzz allow-list ({listed}); fuzzing sends thousands of "
        f"generated requests, so add the host deliberately: FUZZ_ALLOWED_HOSTS={','.join((*allowed, host))} "
        "(or --fuzz-allowed-hosts)"
    )


def parse_methods(raw: str | Iterable[str] | None) -> frozenset[str]:
    """Upper-cased method names; SafetyError for a name that is not an HTTP method."""
    methods = frozenset(m.upper() for m in split_list(raw))
    unknown = sorted(methods - KNOWN_METHODS)
    if unknown:
        raise SafetyError(f"unknown HTTP method(s) {', '.join(unknown)} in FUZZ_ALLOW_METHODS "
                          f"(known: {', '.join(sorted(KNOWN_METHODS))})")
    return methods


@dataclass(frozen=True)
class MethodPolicy:
    """Which operations the fuzzer calls: safe methods, explicitly allowed ones, and chat with a key."""

    allowed: frozenset[str] = frozenset()  # unsafe methods the user allowed (FUZZ_ALLOW_METHODS)

    def permitted(self) -> frozenset[str]:
        return SAFE_METHODS | self.allowed

    def skip_reason(self, method: str, path: str, *, has_key: bool) -> str | None:
        """Why an operation is not fuzzed here, or None when it is."""
        method = method.upper()
        if (method, path) == CHAT_OPERATION and method not in self.allowed:
            if has_key:
                return None
            return (f"{method} {path}: chat is fuzzed only with a key (GATEWAY_API_KEY); the embedded gateway "
                    "provisions one")
        if method in self.permitted():
            return None
        return (f"{method} {path}: {method} is not a safe method and is not fuzzed on a shared target "
                f"(FUZZ_ALLOW_METHODS={method} allows it)")

    def unexpected_methods(self) -> list[str]:
        """Methods the coverage phase may send to operations that do not declare them (405 probes)."""
        return sorted(m.lower() for m in self.permitted() - {"HEAD"})
