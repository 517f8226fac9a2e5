"""Suite options: one parser per option, the same for the command line and the environment.

Each numeric or enumerated option is declared with `type=option_type(...)` and its environment variable as
its default: argparse converts a string default with the option's `type`, so `--max-rps -1` and
`MAX_RPS=-1` go through the same callable. A value that does not parse is not raised there (argparse would
print its usage and exit 4); it is kept as `Invalid`, and this plugin ends the run at configure time,
before any other plugin reads the options, with exit 6 and one line naming the option and its variable.

PYTEST_DONT_REWRITE: the main plugin imports this module before pytest loads it as a plugin (it has no asserts).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from gateway_contracts import exitcodes

TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Invalid:
    """An option value that did not parse: reported once, at configure time, as a configuration error."""

    option: str
    env: str
    raw: str
    expected: str

    def message(self) -> str:
        return f"invalid option: {self.option} / {self.env} = {self.raw!r}: expected {self.expected}"


def non_negative_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(raw)
    return value


def positive_float(raw: str) -> float:
    value = non_negative_float(raw)
    if value == 0:
        raise ValueError(raw)
    return value


def non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(raw)


def one_of(*choices: str) -> Callable[[str], str]:
    """A parser for an enumerated option: the value itself, if it is one of `choices`."""

    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(raw)
        return raw

    parse.__name__ = f"one of {', '.join(choices)}"  # what the one-line error says is expected
    return parse


def iso_date(raw: str) -> date:
    return date.fromisoformat(raw)  # ValueError when it is not YYYY-MM-DD


EXPECTED: dict[Callable[[str], Any], str] = {
    iso_date: "a date, YYYY-MM-DD",
    non_negative_float: "a number >= 0",
    positive_float: "a number > 0",
    non_negative_int: "a whole number >= 0",
    positive_int: "a whole number > 0",
    int: "a whole number",
    flag: f"one of {', '.join(TRUE)} or {', '.join(f for f in FALSE if f)}",
}


def option_type(option: str, env: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """The `type=` of an option: its parsed value, or `Invalid` naming the option and its variable."""

    def convert(raw: str) -> Any:
        try:
            return parse(raw.strip())
        except ValueError:
            return Invalid(option, env, raw, EXPECTED.get(parse, parse.__name__))

    convert.__name__ = parse.__name__  # what argparse would show
    return convert


def env_default(env: str) -> str | None:
    """An option's default from its environment variable (unset or blank: no value); converted by `type=`."""
    raw = os.environ.get(env, "")
    return raw if raw.strip() else None


def env_flag(option: str, env: str) -> bool | Invalid:
    """The default of an on/off option (`action="store_true"` takes no `type`): the variable, parsed by `flag`."""
    return option_type(option, env, flag)(os.environ.get(env, ""))


def first_invalid(values: dict[str, Any]) -> Invalid | None:
    return next((v for v in values.values() if isinstance(v, Invalid)), None)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # First of all configure hooks: the fuzz settings and the suite read these values right after.
    invalid = first_invalid(vars(config.option))
    if invalid is not None:
        pytest.exit(f"gateway-contracts: {invalid.message()}", returncode=exitcodes.INVALID_CONTRACT)
