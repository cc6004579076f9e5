"""Object storage over the S3 API (AWS S3, Spaces, GCS interop, moto, other S3 servers)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import anyio
import anyio.to_thread
import boto3
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
        # One PutObject (uploads are <= MAX_UPLOAD_BYTES): its timeouts are exactly the client's.
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

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
    Beyond that, and while the circuit is open (`fail_max` calls in a row failed to get an answer;
    for `reset_timeout` seconds, then one more failure reopens it), uploads and deletes answer 503
    at once instead of queueing behind the hang. (pybreaker serialises calls under one lock, which
    would turn N concurrent uploads into N consecutive timeouts: this is the few lines we need.)
    """

    def __init__(self, concurrency: int, *, reset_timeout: float, fail_max: int = 5):
        self.concurrency = concurrency
        self.reset_timeout = reset_timeout
        self.fail_max = fail_max
        self._failures = 0
        self._open_until = 0.0
        self._lock = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # created inside the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.concurrency)
            self._threads = anyio.CapacityLimiter(self.concurrency)
        return self._limiter

    def check(self) -> None:
        """Refuse now, before anything is written: the circuit is open or every slot is taken."""
        if time.monotonic() < self._open_until:
            raise StorageUnavailable("object storage is not answering")
        if self.limiter.available_tokens < 1:
            raise StorageUnavailable("too many requests waiting for object storage")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Reserve one storage slot for a whole request (taken before anything is written)."""
        self.check()
        try:
            self.limiter.acquire_nowait()  # never queue behind a hang: no slot, no wait
        except anyio.WouldBlock:
            raise StorageUnavailable("too many requests waiting for object storage") from None
        try:
            yield
        finally:
            self.limiter.release()

    async def call(self, function, *args: Any) -> Any:
        """One storage call, inside a slot."""
        if time.monotonic() < self._open_until:
            raise StorageUnavailable("object storage is not answering")
        return await anyio.to_thread.run_sync(self._call, function, args, limiter=self._threads)

    async def run(self, function, *args: Any) -> Any:
        async with self.slot():
            return await self.call(function, *args)

    def _call(self, function, args: tuple) -> Any:
        try:
            result = function(*args)
        except ClientError:
            self._record(answered=True)  # an error response proves storage answers
            raise
        except Exception:
            self._record(answered=False)
            raise
        self._record(answered=True)
        return result

    def _record(self, *, answered: bool) -> None:
        with self._lock:
            if answered:
                self._failures = 0
                return
            self._failures += 1
            if self._failures >= self.fail_max:
                self._open_until = time.monotonic() + self.reset_timeout
