"""Turn infra.tooling.policy rules into pulumi_policy policies (no PolicyPack here: building one starts the
analyzer)."""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
    proxy,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root holds infra/

from infra.tooling.policy.base import Level, ResourceRule, ResourceView, StackRule  # noqa: E402
from infra.tooling.policy.waivers import load_file, resource_waiver  # noqa: E402

UNKNOWN_VALUES = {proxy.UNKNOWN_STRING_VALUE, proxy.UNKNOWN_OBJECT_VALUE, proxy.UNKNOWN_ARRAY_VALUE}
LEVELS = {Level.MANDATORY: EnforcementLevel.MANDATORY, Level.ADVISORY: EnforcementLevel.ADVISORY}


def _view(resource) -> ResourceView:
    """The rule's view of a resource. During preview a reference to a resource not yet created is
    unknown: where the input depends on exactly one resource, it becomes that resource's URN (and
    each view lists its own URN among its ids), so guards still match what they guard."""
    opts = getattr(resource, "opts", None)
    props = dict(resource.props)
    for key, deps in (getattr(resource, "property_dependencies", None) or {}).items():
        if len(deps) == 1 and (props.get(key) is None or str(props.get(key)) in UNKNOWN_VALUES):
            props[key] = deps[0].urn
    return ResourceView(
        type=resource.resource_type,
        name=resource.name,
        props=props,
        protect=bool(getattr(opts, "protect", False)),
        ids=frozenset({resource.urn}) if getattr(resource, "urn", None) else frozenset(),
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
