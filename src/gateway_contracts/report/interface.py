"""The two small interfaces a report is built from: a report FORMAT and a report SECTION.

A format is one way a run is written down (HTML, Markdown, JUnit properties, Allure, the run record); a
section is one block of the sign-off report with facts of its own (required models, aliases, a scorecard...).
Each is one module implementing the class below plus one line in its registry: formats in
`report/formats.py`, sections in `report/sections/__init__.py`. Nothing else changes to add one.

Formats and sections share one view model (`report/view.py`): the run record, the JUnit cases and the run
history, read and judged once, so two formats can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # types only: the pytest side and the store are never imported by rendering
    import pytest

    from gateway_contracts.baseline import Snapshot
    from gateway_contracts.contract import Contract
    from gateway_contracts.data.exchange import Exchange
    from gateway_contracts.data.pages import Walk
    from gateway_contracts.report.junit import Case
    from gateway_contracts.report.view import View

HISTORY_RUNS = 30  # past runs against the same target that a trend shows
NOT_REQUESTED = "not requested in this run"  # the error of an exchange the run never sent (report/evidence.py)


def requested(exchange: Exchange | None) -> bool:
    """Whether the run sent this request (the offline store answers the others with NOT_REQUESTED)."""
    return exchange is not None and exchange.error != NOT_REQUESTED


@dataclass(frozen=True)
class Labels:
    """What a contract test is about, as every format labels it: the gateway it checks (Allure's feature), the
    contract (story), how bad a failure is (severity), and the release marks it carries."""

    feature: str
    story: str
    severity: str
    marks: str


class ReportFormat:
    """One way a run is written down. Every hook is optional: a format implements the ones it needs.

    - `label`: during collection, once per contract test (JUnit properties, Allure labels).
    - `enabled` / `finish`: at the end of a run that asked for it (`enabled`: an option it reads), once, on the
      xdist controller (or the single process), with the run record built (written or not); writes its
      file(s) and returns a summary line for the console, or None.
    - `render`: after the run (`python -m gateway_contracts.report`), the text of `filename` from the View.

    The format object is also registered as a pytest plugin (`report/recording.py`): a `pytest_*` method is a
    hook, for what a format needs beyond these (Allure shows a gateway parameter by its slug during the call).
    """

    name: str = ""
    filename: str | None = None  # the file `render` writes into the reports folder; None: it renders nothing

    def label(self, item: pytest.Item, labels: Labels) -> None:
        return None

    def enabled(self, config: pytest.Config) -> bool:
        return False

    def finish(self, record: Mapping[str, Any], config: pytest.Config) -> str | None:
        return None

    def render(self, view: View) -> str:
        raise NotImplementedError(f"report format {self.name} renders no file")


class Walks(Protocol):
    """What a section reads of the run's catalogs: `CatalogStore.walk` (named here, not imported: the report's
    renderers import this module and must not load the network client)."""

    def walk(self, slug: str) -> Walk: ...


@dataclass(frozen=True)
class SessionEnd:
    """What a section's `collect` reads, once, at the end of the run on the controller; it sends nothing (the
    store answers only from the run's recorded exchanges: `report/evidence.py`)."""

    contract: Contract
    store: Walks  # the run's CatalogStore, offline
    snapshot: Snapshot
    published: Mapping[str, Any] = field(default_factory=dict)  # this section's facts from tests: key -> value

    def walked(self, slug: str) -> Walk | None:
        """The catalog walk of `slug` as the run read it (every row, the pages' exchanges), or None when the run
        never requested it."""
        walk = self.store.walk(slug)
        return walk if requested(walk.first) else None


@dataclass(frozen=True)
class ReportInput:
    """What a section's `view` reads after the run: the run record, the JUnit cases, the run history."""

    record: Mapping[str, Any]
    cases: Sequence[Case] = ()
    history: Sequence[Mapping[str, Any]] = ()

    def history_of(self, key: str, runs: int = HISTORY_RUNS) -> list[tuple[str, Any]]:
        """(finished_at, value) of `key` in the last `runs` history lines against this record's target that
        have it (a section's `trend_point`s), oldest first."""
        target = self.record.get("target", {}).get("name")
        lines = [h for h in self.history if h.get("target") == target and h.get(key) is not None]
        return [(str(h.get("finished_at", "")), h[key]) for h in lines[-runs:]]


PLACES = ("after-gateways", "after-changes")  # where sections render: after the gateway table, or before fuzzing


class Section:
    """One block of the sign-off report with facts of its own. Its facts travel:

    tests and fixtures `publish` them (`report/facts.py`, the `report_fact` fixture; xdist workers send them to
    the controller) -> `collect` at the end of the run turns them (and/or the run's recorded catalogs) into
    JSON under `record[name]` (the run record) and `trend_point` into a short value under `name` in the history
    line -> `view` reads them back with the JUnit cases and history -> `html` and `markdown` lay the view out.

    `name` is the run record's and the history line's key (it must not be one of the record's own keys) and
    the topic tests publish under. `collect` returning None leaves the key out of the record; `view` returning
    None leaves the section out of the report.
    """

    name: str = ""
    place: str = "after-changes"  # one of PLACES
    css: str = ""  # style rules of its own for the HTML page (added once when it is shown; prefix its classes)

    def collect(self, end: SessionEnd) -> Any:
        """JSON-able facts for the run record; by default what tests published (None when nothing was)."""
        return dict(end.published) or None

    def trend_point(self, facts: Any) -> Any:
        """A short JSON value for this run's history line (read back with `ReportInput.history_of`); None: none."""
        return None

    def view(self, facts: Any, report: ReportInput) -> Any:
        """What `html` and `markdown` lay out, from the record's facts (None when the record has none)."""
        return facts

    def html(self, view: Any) -> str:
        """The section's HTML (an `<h2>` and its content); the report's CSS classes or its own `css`, inline SVG
        at most, no script, no URL: the page opens from file:// with no network."""
        raise NotImplementedError

    def markdown(self, view: Any) -> list[str]:
        """The section's Markdown lines, starting with a blank line and its `###` heading."""
        raise NotImplementedError
