"""The suite's test bed, beside the product (gateway_contracts), not in it: the reference gateway the suite runs
against offline (`reference`, a deterministic, fault-switchable test double of the Gatewayz API, not the API's
definition). The product reaches it through one seam, gateway_contracts.embedded; nothing here is imported by a
run against a real target. The self-test tooling that drives the product against it (the kill matrix, the suite
runner with its fork server) lives in tests/self/ and is not shipped.
"""
