"""Secret Manager: one secret per value, read by named identities through per-secret IAM.

Workloads reference the version resource's number (never "latest"), so a new value rolls
out as a new revision and a rollback returns to the value that revision was built with.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_gcp import secretmanager

from infra.components.gcp.common import children
from infra.components.gcp.identity import RoleIdentity
from infra.render.gcp.specs import SecretEnv, SecretFile


class StoredSecret(pulumi.ComponentResource):
    secret: secretmanager.Secret
    version: secretmanager.SecretVersion

    def __init__(
        self,
        name: str,
        secret_id: str,
        value: pulumi.Input[str],
        readers: Sequence[RoleIdentity],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ai-service:gcp:StoredSecret", name, None, opts)
        child = children(self, opts)
        self.secret = secretmanager.Secret(
            name, secret_id=secret_id, replication={"auto": {}}, labels={"app": "ai-service"}, opts=child
        )
        self.version = secretmanager.SecretVersion(
            name, secret=self.secret.id, secret_data=pulumi.Output.secret(value), opts=child
        )
        for reader in readers:
            secretmanager.SecretIamMember(
                f"{name}-{reader.role}",
                secret_id=self.secret.id,
                role="roles/secretmanager.secretAccessor",
                member=reader.member,
                opts=child,
            )
        self.register_outputs({"secret": self.secret.id, "version": self.version.version})

    def env(self, name: str) -> SecretEnv:
        return SecretEnv(name=name, secret=self.secret.secret_id, version=self.version.version)

    def file(self, volume: str, directory: str, filename: str) -> SecretFile:
        return SecretFile(volume, directory, filename, self.secret.secret_id, self.version.version)
