"""Object storage over the S3 API (AWS S3, Spaces, GCS interop, moto, other S3 servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import anyio
import anyio.to_thread
import boto3
import pybreaker
from botocore.config import Config
from botocore.exceptions import ClientError

from .settings import Settings
from .timeouts import Timeouts

DOCUMENTS_PREFIX = "documents/"
TMP_PREFIX = "tmp/"


def _config(settings: Settings, *, probe: bool) -> Config:
    timeouts = Timeouts.from_settings(settings)
    options: dict = {
        # Two attempts at most: a hung endpoint costs a request ~2x the read timeout, not minutes.
        "retries": {"max_attempts": 1 if probe else 2, "mode": "standard"},
        "connect_timeout": min(2.0, timeouts.connect) if probe else timeouts.connect,
        "read_timeout": min(2.0, timeouts.request) if probe else timeouts.request,
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

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if missing(exc):
                return False
            raise
        return True

    def documents_older_than(self, age: timedelta) -> list[str]:
        """Keys under documents/ last written more than `age` ago (the orphan sweep's candidates)."""
        cutoff = datetime.now(UTC) - age
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=DOCUMENTS_PREFIX):
            keys.extend(obj["Key"] for obj in page.get("Contents", []) if obj["LastModified"] < cutoff)
        return keys

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


def missing(exc: ClientError) -> bool:
    """The object (not the bucket or the endpoint) is not there."""
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


class StorageUnavailable(Exception):
    """Object storage is not answering (circuit open) or every slot for it is taken: answer 503 now."""


class StorageGate:
    """Object storage calls made by the API, off the event loop and off the shared thread pool.

    They run in their own bounded set of threads (UPLOAD_STORAGE_CONCURRENCY), so a hung S3 can
    hold at most that many requests; the threads serving search, status and readiness stay free.
    Beyond that, and while the circuit breaker is open (5 failures in a row; a trial call after
    `reset_timeout`), uploads and deletes answer 503 at once instead of queueing behind the hang.
    """

    def __init__(self, concurrency: int, *, reset_timeout: float, fail_max: int = 5):
        self.concurrency = concurrency
        self.reset_timeout = reset_timeout
        # Only "not answering" opens the circuit; an S3 error response (4xx) proves it answers.
        self.breaker = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout, exclude=[ClientError])
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # created inside the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.concurrency)
            self._threads = anyio.CapacityLimiter(self.concurrency)
        return self._limiter

    def check(self) -> None:
        """Refuse now, before anything is written, when every slot is taken. (An open circuit
        refuses in `run`: pybreaker decides there when a trial call is due.)"""
        if self.limiter.available_tokens < 1:
            raise StorageUnavailable("too many requests waiting for object storage")

    async def run(self, function, *args: Any) -> Any:
        try:
            self.limiter.acquire_nowait()  # never queue behind a hang: no slot, no wait
        except anyio.WouldBlock:
            raise StorageUnavailable("too many requests waiting for object storage") from None
        try:
            return await anyio.to_thread.run_sync(lambda: self.breaker.call(function, *args), limiter=self._threads)
        finally:
            self.limiter.release()
