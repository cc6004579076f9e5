"""Object storage over the S3 API (AWS S3, Spaces, GCS interop, moto, other S3 servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import boto3
from botocore.config import Config

from .settings import Settings

DOCUMENTS_PREFIX = "documents/"
TMP_PREFIX = "tmp/"


def _config(settings: Settings, *, probe: bool) -> Config:
    options: dict = {
        "retries": {"max_attempts": 1 if probe else 3, "mode": "standard"},
        "connect_timeout": 2 if probe else 5,
        "read_timeout": 2 if probe else 30,
    }
    if settings.s3_endpoint_url:
        # Non-AWS S3 servers want path-style URLs and reject the checksums boto3 >= 1.36 sends by default.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return Config(**options)


class Storage:
    def __init__(self, settings: Settings, *, probe: bool = False):
        self.bucket = settings.s3_bucket
        self.client = boto3.client(
            "s3",
            region_name=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url or None,
            config=_config(settings, probe=probe),
        )

    def put(self, key: str, body: BinaryIO, content_type: str) -> None:
        self.client.upload_fileobj(body, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def expire_tmp(self, ttl: timedelta) -> int:
        """Delete tmp/ objects older than ttl (backs up the bucket lifecycle rule); returns how many."""
        cutoff = datetime.now(UTC) - ttl
        removed = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=TMP_PREFIX):
            stale = [{"Key": obj["Key"]} for obj in page.get("Contents", []) if obj["LastModified"] < cutoff]
            if stale:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": stale, "Quiet": True})
                removed += len(stale)
        return removed


def document_key(document_id: str) -> str:
    return f"{DOCUMENTS_PREFIX}{document_id}"
