"""Text -> vector. OpenAI when configured; otherwise a deterministic local hashing embedder.

The provider and width are fixed per deployment: vectors from different providers are not
comparable, so changing either needs `ai-service reindex`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from typing import Protocol

import httpx
import pybreaker
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from . import metrics
from .settings import Settings

_TOKEN = re.compile(r"\w+", re.UNICODE)


class Embedder(Protocol):
    provider: str
    dim: int

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class EmbeddingUnavailable(Exception):
    """The embedding provider failed or its circuit is open; the job is retried later."""


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class HashingEmbedder:
    """Feature hashing of word unigrams and bigrams into `dim` buckets, L2-normalised.

    Deterministic across processes and releases (blake2b, not Python's salted hash()).
    """

    provider = "local"

    def __init__(self, dim: int):
        self.dim = dim

    def _vector(self, text: str) -> list[float]:
        words = tokens(text)
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        vec = [0.0] * self.dim
        for feature in features:
            digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
            vec[digest % self.dim] += 1.0 if (digest >> 63) else -1.0
        norm = math.sqrt(sum(v * v for v in vec))
        return [v / norm for v in vec] if norm else vec

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and (
        exc.response.status_code == 429 or exc.response.status_code >= 500
    )


class OpenAIEmbedder:
    """OpenAI embeddings API over HTTP: bounded timeouts, retries with backoff, circuit breaker."""

    provider = "openai"
    batch_size = 64

    def __init__(self, settings: Settings):
        self.dim = settings.embedding_dim
        self.model = settings.openai_embedding_model
        self.client = httpx.Client(
            base_url=settings.openai_base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {settings.openai_api_key}"},
            timeout=httpx.Timeout(20.0, connect=3.0),
        )
        # After 5 consecutive failures stop calling for 30 s: fail fast instead of piling up retries.
        self.breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)

    @retry(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(multiplier=0.5, max=8),
        reraise=True,
    )
    def _request(self, batch: list[str]) -> list[list[float]]:
        response = self.client.post(
            "embeddings",
            json={"model": self.model, "input": batch, "dimensions": self.dim},
        )
        response.raise_for_status()
        data = sorted(response.json()["data"], key=lambda item: item["index"])
        vectors = [item["embedding"] for item in data]
        if len(vectors) != len(batch) or any(len(v) != self.dim for v in vectors):
            raise ValueError(f"embedding response does not match {len(batch)} inputs of {self.dim} dims")
        return vectors

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            try:
                out.extend(self.breaker.call(self._request, texts[start : start + self.batch_size]))
            except pybreaker.CircuitBreakerError as exc:
                raise EmbeddingUnavailable("embedding provider circuit open") from exc
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise EmbeddingUnavailable(f"embedding request failed: {type(exc).__name__}") from exc
        return out


class MeasuredEmbedder:
    """Counts and times every embed call for the ai_service_embedding_* metrics."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.provider = inner.provider
        self.dim = inner.dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            vectors = self.inner.embed(texts)
        except Exception:
            metrics.EMBEDDING_REQUESTS.labels(self.provider, "error").inc()
            raise
        finally:
            metrics.EMBEDDING_DURATION.labels(self.provider).observe(time.perf_counter() - started)
        metrics.EMBEDDING_REQUESTS.labels(self.provider, "success").inc()
        return vectors


def make_embedder(settings: Settings) -> Embedder:
    inner: Embedder = (
        OpenAIEmbedder(settings) if settings.embedding_provider == "openai" else HashingEmbedder(settings.embedding_dim)
    )
    return MeasuredEmbedder(inner)
