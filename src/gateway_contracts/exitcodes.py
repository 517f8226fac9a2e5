"""Exit statuses of a suite run (documented in docs/configuration.md). pytest's own: 0 ok, 1 failures, 2-5 usage."""

OK = 0
CONTRACT_BROKEN = 1  # at least one contract failed: do not deploy
INVALID_CONTRACT = 6  # the contract file (or a suite option) is unusable: fix the configuration
TARGET_UNREACHABLE = 7  # no Gatewayz API answers at the target URL (refused, DNS, TLS, timeout, all 404)
RUN_DEADLINE = 8  # RUN_DEADLINE passed: the run stopped early, its reports hold what it had (no verdict)
