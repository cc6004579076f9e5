"""IAM roles with inline policies scoped to named resources."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_aws import iam

from infra.components.aws.common import assume_role_policy, policy_document


def role(
    name: str,
    service: str,
    statements: Sequence[pulumi.Input[dict]],
    opts: pulumi.ResourceOptions | None = None,
    description: str = "",
) -> iam.Role:
    """A role `service` may assume, with one inline policy of `statements` (none = no permissions)."""
    created = iam.Role(name, assume_role_policy=assume_role_policy(service), description=description, opts=opts)
    if statements:
        iam.RolePolicy(
            name, role=created.id, policy=pulumi.Output.all(*statements).apply(lambda s: policy_document(*s)), opts=opts
        )
    return created


def logs_statement(log_group_arns: list[pulumi.Input[str]]) -> pulumi.Output[dict]:
    return pulumi.Output.all(*log_group_arns).apply(
        lambda arns: {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{a}:*" for a in arns],
        }
    )


def ecr_pull_statements(repository_arn: pulumi.Input[str] | None) -> list[pulumi.Input[dict]]:
    """Pull from one repository; GetAuthorizationToken has no resource-level scope in IAM (AWS requires `*`)."""
    if repository_arn is None:
        return []
    return [
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        pulumi.Output.from_input(repository_arn).apply(
            lambda arn: {
                "Sid": "Pull",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": arn,
            }
        ),
    ]
