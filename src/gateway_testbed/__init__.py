"""The suite's test bed, beside the product (gateway_contracts), not in it: the reference gateway the suite runs
against offline (`reference`, a deterministic, fault-switchable test double of the Gatewayz API, not the API's
definition), the kill matrix of faults the gate must catch (`killmatrix`), and running the suite in a subprocess
(`suite_process`: one runner for the kill matrix and the self-tests, with a fork server so that a run skips the
interpreter start and the imports). The product reaches it through one seam, gateway_contracts.embedded; nothing
here is imported by a run against a real target.
"""
