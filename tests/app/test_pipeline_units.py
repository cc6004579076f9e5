"""The pipeline's pure parts: retry schedule, error classification and sanitising, text checks, settings."""

from __future__ import annotations

import io

import botocore.exceptions
import httpx
import psycopg
import pytest
import sqlalchemy.exc
from ai_service.embeddings import EmbeddingUnavailable
from ai_service.errors import classify
from ai_service.extract import Rejected, check_text
from ai_service.services import retry_intervals
from ai_service.settings import Settings

SECRET_TEXT = "patient record 4711 strictly confidential"


def test_retry_intervals_back_off_exponentially_with_jitter():
    settings = Settings(job_retries=6, job_retry_base_seconds=2, job_retry_max_seconds=20)
    schedules = [retry_intervals(settings) for _ in range(30)]
    for schedule in schedules:
        assert len(schedule) == 6
        for n, seconds in enumerate(schedule):
            nominal = min(20, 2 * 2**n)
            assert max(1, round(nominal * 0.5)) <= seconds <= round(nominal * 1.5)
    assert len({tuple(s) for s in schedules}) > 1  # jittered: jobs failing together come back apart


def _dbapi_error(message: str, cls=sqlalchemy.exc.DBAPIError, orig=None) -> Exception:
    orig = orig or psycopg.errors.RaiseException(message)
    return cls("INSERT INTO chunks VALUES (%(content)s)", {"content": SECRET_TEXT}, orig)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_dbapi_error(f"refused: {SECRET_TEXT}"), False),
        (
            _dbapi_error("server closed the connection", sqlalchemy.exc.OperationalError, psycopg.OperationalError()),
            True,
        ),
        (_dbapi_error("canceling statement", orig=psycopg.errors.QueryCanceled(SECRET_TEXT)), True),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3"), True),
        (botocore.exceptions.ClientError({"Error": {"Code": "NoSuchKey", "Message": SECRET_TEXT}}, "GetObject"), False),
        (botocore.exceptions.ClientError({"Error": {"Code": "SlowDown"}}, "GetObject"), True),
        (ValueError(SECRET_TEXT), False),
    ],
)
def test_classified_reasons_never_quote_the_error_text(error, transient):
    reason, is_transient = classify(error)
    assert is_transient is transient
    assert "4711" not in reason and "confidential" not in reason


def _embedding_error(status: int) -> EmbeddingUnavailable:
    request = httpx.Request("POST", "http://provider/embeddings")
    cause = httpx.HTTPStatusError("x", request=request, response=httpx.Response(status, request=request))
    try:
        raise EmbeddingUnavailable("embedding request failed") from cause
    except EmbeddingUnavailable as exc:
        return exc


def test_embedding_provider_refusal_is_permanent_outage_is_not():
    assert classify(_embedding_error(400)) == ("the embedding provider refused this document (HTTP 400)", False)
    assert classify(_embedding_error(503))[1] is True
    assert classify(_embedding_error(429))[1] is True


@pytest.mark.parametrize(
    "body", [b"ok \xff\xfe", b"x" * 70000 + b"\x00", "na\u00efve".encode()[:3], b"a" * 65535 + "\u00e9".encode()[:1]]
)
def test_text_that_is_not_utf8_or_has_nul_is_refused(body):
    with pytest.raises(Rejected) as caught:
        check_text(io.BytesIO(body))
    assert caught.value.status == 415


def test_text_split_across_read_blocks_is_accepted():
    check_text(io.BytesIO(b"a" * 65535 + "\u00e9 fine".encode()))  # a two-byte character across the block edge


def test_log_level_accepts_uvicorn_lower_case():
    assert Settings(log_level="info").log_level == "INFO"
    assert Settings(log_level=" warning ").log_level == "WARNING"
