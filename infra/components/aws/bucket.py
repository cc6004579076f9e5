"""A private, encrypted, versioned S3 bucket with the service's lifecycle rules
(tmp/ expires, backups/ kept for their retention, old versions pruned)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_aws import s3

NONCURRENT_VERSION_DAYS = 30


@dataclass(frozen=True)
class BucketArgs:
    tmp_expiry_days: int
    backup_retention_days: int
    protect: bool


class Bucket(pulumi.ComponentResource):
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:Bucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = s3.Bucket(
            name, force_destroy=not args.protect, opts=pulumi.ResourceOptions(parent=self, protect=args.protect)
        )
        s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        s3.BucketOwnershipControls(
            name, bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "bucket_key_enabled": True}
            ],
            opts=child,
        )
        versioning = s3.BucketVersioning(
            name, bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        s3.BucketLifecycleConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-tmp",
                    "status": "Enabled",
                    "filter": {"prefix": "tmp/"},
                    "expiration": {"days": args.tmp_expiry_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                },
                {
                    "id": "expire-backups",
                    "status": "Enabled",
                    "filter": {"prefix": "backups/"},
                    "expiration": {"days": args.backup_retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": args.backup_retention_days},
                },
                {
                    "id": "prune-old-versions",
                    "status": "Enabled",
                    "filter": {"prefix": "documents/"},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
                },
                {
                    "id": "abort-incomplete-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
