"""An IAM user whose access key can touch only one bucket (for hosts without a cloud identity).

The droplet has no AWS role, so the service and the deploy agent use this key; the policy
grants object access in this bucket and listing it, nothing else in the account.
"""

from __future__ import annotations

import pulumi
from pulumi_aws import iam

from infra.components.aws.common import policy_document

OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation"]


def bucket_policy(bucket_arn: str) -> str:
    return policy_document(
        {"Sid": "Objects", "Effect": "Allow", "Action": OBJECT_ACTIONS, "Resource": f"{bucket_arn}/*"},
        {"Sid": "Bucket", "Effect": "Allow", "Action": BUCKET_ACTIONS, "Resource": bucket_arn},
    )


class BucketUser(pulumi.ComponentResource):
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]

    def __init__(self, name: str, bucket_arn: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:BucketUser", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        user = iam.User(name, name=name, opts=child)
        iam.UserPolicy(
            name, user=user.name, policy=pulumi.Output.from_input(bucket_arn).apply(bucket_policy), opts=child
        )
        key = iam.AccessKey(name, user=user.name, opts=child)
        self.access_key_id = key.id
        self.secret_access_key = pulumi.Output.secret(key.secret)
        self.register_outputs({"access_key_id": self.access_key_id})
