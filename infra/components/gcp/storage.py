"""The service's GCS bucket, used through its S3-compatible XML API with per-role HMAC keys.

Uniform bucket-level access, public access prevention enforced, versioning on, tmp/ and
backups/ expired by lifecycle rules. Each role's account gets objectAdmin on this bucket only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import storage

from infra.components.gcp.common import children
from infra.components.gcp.identity import RoleIdentity
from infra.components.sdk import sdk_input

S3_ENDPOINT = "https://storage.googleapis.com"
NONCURRENT_DAYS = 30  # overwritten/deleted object versions are kept this long


@dataclass(frozen=True)
class BucketArgs:
    bucket_name: str
    region: str
    tmp_expiry_days: int
    backup_retention_days: int
    protect: bool


def lifecycle_rules(args: BucketArgs) -> list[dict]:
    return [
        {"action": {"type": "Delete"}, "condition": {"age": args.tmp_expiry_days, "matches_prefixes": ["tmp/"]}},
        {
            "action": {"type": "Delete"},
            "condition": {"age": args.backup_retention_days, "matches_prefixes": ["backups/"]},
        },
        {
            "action": {"type": "Delete"},
            "condition": {"days_since_noncurrent_time": NONCURRENT_DAYS, "with_state": "ARCHIVED"},
        },
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 1}},
    ]


class ServiceBucket(pulumi.ComponentResource):
    bucket: storage.Bucket
    hmac_keys: dict[str, storage.HmacKey]

    def __init__(
        self, name: str, args: BucketArgs, users: Sequence[RoleIdentity], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("ai-service:gcp:ServiceBucket", name, None, opts)
        child = children(self, opts)
        self.bucket = storage.Bucket(
            name,
            name=args.bucket_name,
            location=args.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            soft_delete_policy={"retention_duration_seconds": 7 * 86400},
            lifecycle_rules=sdk_input(lifecycle_rules(args)),
            force_destroy=not args.protect,
            opts=children(self, opts, protect=args.protect),
        )
        self.hmac_keys = {}
        for user in users:
            storage.BucketIAMMember(
                f"{name}-{user.role}",
                bucket=self.bucket.name,
                role="roles/storage.objectAdmin",
                member=user.member,
                opts=child,
            )
            # S3 SDKs authenticate with an HMAC key that acts as this role's service account.
            self.hmac_keys[user.role] = storage.HmacKey(
                f"{name}-{user.role}", service_account_email=user.email, opts=child
            )
        self.register_outputs({"bucket": self.bucket.name})
