"""The embedded reference gateway: a deterministic, fault-switchable implementation of the Gatewayz API."""

from .app import REFERENCE_VERSION, create_app
from .faults import FAULTS, validate_faults
from .generator import GATEWAYS, build_catalog
from .server import EmbeddedGateway, serve

__all__ = [
    "FAULTS",
    "GATEWAYS",
    "REFERENCE_VERSION",
    "EmbeddedGateway",
    "build_catalog",
    "create_app",
    "serve",
    "validate_faults",
]
