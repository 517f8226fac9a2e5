"""What a release sign-off needs to have run, and what a run left out.

READY TO SIGN means every contract that matters for a release ran and held; green must never mean "not
checked". The release set, explicitly (each unmet rule is one INCOMPLETE reason, in this order):

- BASELINE: against a real target, a baseline was given. Floors alone miss a drop that stays above them
  (a gateway serving 1,100 of its 1,350 models: the hf-partial-load class); only the baseline sees it.
- BASELINE COVERAGE: no baseline contract skipped because its gateway is not in the baseline.
- KEYED: no keyed contract (chat with the API key) skipped, whether for a missing key or the keyless
  opt-out (KEYLESS=1): a keyless run has not checked chat.
- ALL GATEWAYS: the run was not narrowed with GATEWAYS.
- WHOLE SESSION: nor with -k, test files or node ids (the run record's `narrowed`).
- FUZZ: at least one fuzz test ran.
- COMPARISON COVERAGE: when the run compared the candidate with production (COMPARE_URL, the record's
  `changes`), no comparison contract skipped. Without COMPARE_URL they skip by design: a comparison with
  production is the deploy gate's question, not a sign-off's requirement (like a baseline against the embedded
  gateway).
- NO OTHER SKIPS: any other skipped contract is one of OPTIONAL, the skips that are a setting, not a gap.

Against the embedded reference gateway (a demonstration, not a deployment) a missing baseline is allowed.
Pure: reads the run record and the JUnit cases, sends nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway_contracts.report.junit import Case

# Skips by design: the strict registry check is opt-in (uncovered gateways are reported either way), a
# contract without an aggregate has no aggregate contracts to run, and the reference catalog is opt-in.
OPTIONAL_TESTS = frozenset({"test_registry_has_no_uncovered_gateways"})
OPTIONAL_REASONS = ("no aggregate in this contract", "the contract names no reference catalog")
# A keyed test is known by its JUnit property `marks` (written by report/junit.py); a JUnit file from
# before that property is recognised by its skip reason.
KEYED_REASON = re.compile(r"GATEWAY_API_KEY|KEYLESS|keyless", re.I)
_LOCATION = re.compile(r"^\S+:\d+: ")


@dataclass(frozen=True)
class Gap:
    """A release rule the run did not meet: a short title for the verdict line, and the whole story."""

    title: str
    detail: str

    @property
    def line(self) -> str:
        return f"{self.title}: {self.detail}"


def skip_reason(case: Case) -> str:
    """The skip message without pytest's `file:line: ` prefix."""
    return _LOCATION.sub("", case.message) or "no reason given"


def is_keyed(case: Case) -> bool:
    marks = case.prop("marks")
    if marks is not None:
        return "keyed" in marks.split()
    return bool(KEYED_REASON.search(case.message))


def is_baseline_contract(case: Case) -> bool:
    return case.function.endswith("matches_baseline")


def is_comparison_contract(case: Case) -> bool:
    """tests/contract/test_deploy_changes.py: the candidate against production (COMPARE_URL)."""
    return case.function.endswith("changes_with_deploy")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _grouped(cases: Sequence[Case]) -> str:
    return "; ".join(f"{n} x {reason}" for reason, n in Counter(skip_reason(c) for c in cases).most_common())


def missing_for_release(record: Mapping[str, Any], cases: Sequence[Case]) -> list[Gap]:
    """One gap per release rule this run did not meet; empty when every contract that matters ran."""
    reasons: list[Gap] = []
    real_target = not record["target"].get("embedded")
    skipped = [c for c in cases if c.outcome == "skipped"]
    contracts = [c for c in skipped if not c.is_fuzz]
    baseline_skips = [c for c in contracts if is_baseline_contract(c)]
    if real_target and not record.get("baseline"):
        reasons.append(Gap("no baseline comparison", "count drops that stay above the floors (the hf-partial-load "
                           "class) were not checked; run with BASELINE=contracts/baselines/<target>.json"))
    elif record.get("baseline") and baseline_skips:
        reasons.append(Gap(f"{_plural(len(baseline_skips), 'gateway')} not compared with the baseline",
                           _grouped(baseline_skips)))
    comparison_skips = [c for c in contracts if is_comparison_contract(c)]
    if record.get("changes") and comparison_skips:
        reasons.append(Gap(f"{_plural(len(comparison_skips), 'catalog')} not compared with production",
                           _grouped(comparison_skips)))
    keyed = [c for c in contracts if is_keyed(c)]
    if keyed:
        reasons.append(Gap(f"chat not checked with the API key ({_plural(len(keyed), 'keyed contract')} skipped)",
                           _grouped(keyed)))
    if record.get("gateways_selected"):
        reasons.append(Gap("only some gateways checked", f"GATEWAYS={record['gateways_selected']}"))
    if record.get("narrowed"):
        reasons.append(Gap("the run was narrowed", f"only {', '.join(record['narrowed'])} ran"))
    if not any(c.is_fuzz and c.outcome != "skipped" for c in cases):
        reasons.append(Gap("no fuzz test ran", "tests/fuzz was not part of this run, or every operation skipped"))
    other = [c for c in contracts if c not in keyed and not is_baseline_contract(c) and not is_comparison_contract(c)
             and c.function not in OPTIONAL_TESTS and not skip_reason(c).startswith(OPTIONAL_REASONS)]
    if other:
        reasons.append(Gap(f"{_plural(len(other), 'contract')} skipped", _grouped(other)))
    return reasons
