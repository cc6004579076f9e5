"""Turn infra.policy rules into pulumi_policy policies (no PolicyPack here: building one starts the analyzer)."""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root holds infra/

from infra.policy.rules import Level, ResourceRule, ResourceView, StackRule  # noqa: E402
from infra.policy.waivers import load_file, resource_waiver  # noqa: E402

LEVELS = {Level.MANDATORY: EnforcementLevel.MANDATORY, Level.ADVISORY: EnforcementLevel.ADVISORY}


def _view(resource) -> ResourceView:
    opts = getattr(resource, "opts", None)
    return ResourceView(
        type=resource.resource_type,
        name=resource.name,
        props=dict(resource.props),
        protect=bool(getattr(opts, "protect", False)),
    )


def _waived(rule: str, view: ResourceView | None) -> bool:
    """Waived resources are exempt (a tag/label/annotation or policy/waivers.yaml gives the reason)."""
    return view is not None and resource_waiver(view.type, view.name, view.props, rule, load_file()) is not None


def resource_validator(rule: ResourceRule):
    def validate(args, report_violation) -> None:
        view = _view(args)
        if _waived(rule.name, view):
            return
        for message in rule.check(view):
            report_violation(message)

    return validate


def stack_validator(rule: StackRule):
    def validate(args, report_violation) -> None:
        views = [_view(r) for r in args.resources]
        urns = {r.name: r.urn for r in args.resources}
        by_name = {v.name: v for v in views}
        for name, message in rule.check(views):
            if not _waived(rule.name, by_name.get(name)):
                report_violation(message, urns.get(name))

    return validate


def to_policy(rule: ResourceRule | StackRule):
    if isinstance(rule, ResourceRule):
        return ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            enforcement_level=LEVELS[rule.level],
            validate=resource_validator(rule),
        )
    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        enforcement_level=LEVELS[rule.level],
        validate=stack_validator(rule),
    )
