"""Every client's timeouts, sized from one setting (DEPENDENCY_TIMEOUT_SECONDS).

A dependency that hangs must cost a request at most this budget, never a stalled process:
- connect: TCP connect / TLS handshake to Postgres, Redis, S3 (a hung host fails here fast)
- request: one S3 call's socket read, one Redis command, one SQL statement in the API
- statement_for_jobs: one SQL statement in a worker (bulk chunk inserts), bounded by the job timeout
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True)
class Timeouts:
    connect: float
    request: float
    statement_for_jobs: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        request = settings.dependency_timeout_seconds
        return cls(
            connect=min(2.0, request),
            request=request,
            statement_for_jobs=max(request, float(settings.job_timeout_seconds)),
        )

    @property
    def connect_whole_seconds(self) -> int:
        """libpq's connect_timeout is whole seconds (minimum 2 per its docs)."""
        return max(2, math.ceil(self.connect))
