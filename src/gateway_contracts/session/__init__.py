"""The pytest run's session: its state, target, xdist bridge, flaky evidence, parametrization and summary.

`gateway_contracts.plugin` (the pytest entry point) registers the options and hooks and delegates here.
    state.py        SuiteState and the STATE stash key: what the other plugins read (the bottom of the pytest side)
    target.py       contract loading, client settings, target resolution (embedded gateway, key, preflight)
    xdist.py        the controller -> worker bridge: workers use the controller's target and cache
    flaky.py        which passed tests read an answer that needed a transport retry (FLAKY)
    parametrize.py  the test matrix from the contract file (pytest_generate_tests)
    summary.py      the run summary lines (requests, FLAKY, 429s, registry coverage)
    dialect.py      which contract tests apply (`needs` marks against the dialect's capabilities)
    known_outcomes.py  known findings in a run: all-known failures as xfails, entry outcomes, STRICT_KNOWN
    run_deadline.py the run deadline: tests skipped once it passed, exit 8
    target_health.py the breaker per test, exit 7 when the target never answered usably
"""
