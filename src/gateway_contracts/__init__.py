"""gateway-contracts: executable contracts for multi-gateway LLM model-catalog APIs."""

__version__ = "0.1.0"
