"""The deployment file: model, loader with line-accurate errors, cross-field validation."""

from ccsec.deployment.load import load, loads
from ccsec.deployment.model import AgentNetwork, Deployment, Gateway, Host, Nat, Pki, Role, Site

__all__ = [
    "AgentNetwork",
    "Deployment",
    "Gateway",
    "Host",
    "Nat",
    "Pki",
    "Role",
    "Site",
    "load",
    "loads",
]
