"""The policy pack reports what the offline plan reports, through pulumi_policy's own argument types."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from infra.tooling.policy import ALL_RULES
from infra.tooling.policy.base import SSH_NOT_OPEN

ROOT = Path(__file__).resolve().parents[2]


def _adapters():
    spec = importlib.util.spec_from_file_location("policy_adapters", ROOT / "policy" / "adapters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(resource_type: str, props: dict, protect: bool = False) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(resource_type, props, f"urn:pulumi:s::p::{resource_type}::fw", "fw", opts, None)


def test_pack_reports_open_ssh_as_mandatory():
    policy = _adapters().to_policy(SSH_NOT_OPEN)
    assert isinstance(policy, ResourceValidationPolicy)
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    reported: list[str] = []
    open_fw = {"inboundRules": [{"protocol": "tcp", "portRange": "22", "sourceAddresses": ["0.0.0.0/0"]}]}
    policy.validate(_args("digitalocean:index/firewall:Firewall", open_fw), lambda m, urn=None: reported.append(m))
    assert reported == ["SSH (22) is open to the internet; restrict it to sshAllowedCidrs"]


def test_pack_accepts_ssh_from_listed_cidrs():
    policy = _adapters().to_policy(SSH_NOT_OPEN)
    reported: list[str] = []
    fw = {
        "inboundRules": [
            {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["203.0.113.0/24"]},
            {"protocol": "tcp", "portRange": "443", "sourceAddresses": ["0.0.0.0/0", "::/0"]},
        ]
    }
    policy.validate(_args("digitalocean:index/firewall:Firewall", fw), lambda m, urn=None: reported.append(m))
    assert reported == []


def test_every_rule_becomes_a_policy_with_a_unique_name():
    adapters = _adapters()
    policies = [adapters.to_policy(rule) for rule in ALL_RULES]
    names = [p.name for p in policies]
    assert len(names) == len(set(names)) == len(ALL_RULES)


def test_pack_entry_uses_every_rule():
    entry = (ROOT / "policy" / "__main__.py").read_text()
    assert "ALL_RULES" in entry and "PolicyPack(" in entry
