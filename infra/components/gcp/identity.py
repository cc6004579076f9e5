"""One service account per role (api, worker, migrate), so each gets only what it uses.

Grants are made by the resource being shared (a secret, the bucket, the database), each
scoped to that one resource; no account gets a project-wide or primitive role.
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import serviceaccount

from infra.components.gcp.common import children


class RoleIdentity(pulumi.ComponentResource):
    account: serviceaccount.Account
    email: pulumi.Output[str]
    member: pulumi.Output[str]

    def __init__(self, name: str, account_id: str, role: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:RoleIdentity", name, None, opts)
        self.role = role
        self.account = serviceaccount.Account(
            name,
            account_id=account_id,
            display_name=f"ai-service {role}",
            description=f"Runtime identity of the ai-service {role} role (least privilege)",
            opts=children(self, opts),
        )
        self.email = self.account.email
        self.member = self.account.member
        self.register_outputs({"email": self.email})
