"""What went wrong in a job, said safely: a fixed-vocabulary reason and whether waiting helps.

Driver messages carry data (psycopg errors quote values, SQLAlchemy appends statement
parameters, a PL/pgSQL RAISE may quote a row): none of that text is ever kept. A reason is
built from exception types, SQLSTATE codes and HTTP/S3 error codes only, so it can go to logs,
to the `error` column and to RQ's failure record.
"""

from __future__ import annotations

import traceback

import botocore.exceptions
import httpx
import pybreaker
import redis.exceptions
import sqlalchemy.exc
from rq.exceptions import AbandonedJobError

from .embeddings import EmbeddingUnavailable
from .storage import StorageUnavailable, missing

# A backing service is down or slow: the API answers 503 "retry later" for these.
DEPENDENCY_DOWN = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    StorageUnavailable,
    pybreaker.CircuitBreakerError,
)


class DependencyUnavailable(Exception):
    """A dependency failed or timed out: the job is retried (backoff, then the reconciler), never failed."""


class JobFailed(Exception):
    """The document cannot be indexed as it is: retrying will not help; the reason says what to do."""


# SQLSTATE classes that mean "the database could not serve now": connection, resources,
# operator intervention (shutdown, statement timeout), serialization/deadlock.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40", "58")
# S3 error codes that a later attempt can get past (throttling, server side, credentials/bucket
# being fixed by an operator).
_TRANSIENT_S3_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "NoSuchBucket",
    "ExpiredToken",
}


def classify(exc: BaseException) -> tuple[str, bool]:
    """(reason, transient) for any exception raised while processing a document."""
    if isinstance(exc, DependencyUnavailable):
        return str(exc), True
    if isinstance(exc, JobFailed):
        return str(exc), False
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        name = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        transient = (
            isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
            or exc.connection_invalidated
            or sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
        )
        detail = f"database error {name}" + (f" (SQLSTATE {sqlstate})" if sqlstate else "")
        return detail, transient
    if isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
        return f"database error {type(exc).__name__}", isinstance(exc, sqlalchemy.exc.TimeoutError)
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return f"redis unavailable ({type(exc).__name__})", True
    if isinstance(exc, botocore.exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "unknown"))
        if missing(exc):
            return "the uploaded file is missing from object storage; upload it again", False
        return f"object storage error {code}", code in _TRANSIENT_S3_CODES
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return f"object storage unavailable ({type(exc).__name__})", True
    if isinstance(exc, EmbeddingUnavailable):
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPStatusError):
            status = cause.response.status_code
            if status in (400, 413, 422):
                return f"the embedding provider refused this document (HTTP {status})", False
            return f"embedding provider unavailable (HTTP {status})", True
        return "embedding provider unavailable", True
    if isinstance(exc, AbandonedJobError):
        return "the worker processing this document stopped during every attempt (out of memory?)", False
    if isinstance(exc, StorageUnavailable | pybreaker.CircuitBreakerError):
        return "object storage unavailable", True
    if isinstance(exc, OSError | TimeoutError):
        return f"network error ({type(exc).__name__})", True
    return f"internal error ({type(exc).__name__}); the worker log has its location", False


def location(exc: BaseException) -> list[str]:
    """Where an exception was raised: file:line in function, without the message or any values."""
    return [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(exc.__traceback__)][
        -6:
    ]
