"""Pure pieces of the service: URL normalisation, settings validation, embedder, chunking, filenames."""

from __future__ import annotations

import math

import pytest
from ai_service.db import normalise_url
from ai_service.embeddings import HashingEmbedder
from ai_service.extract import Rejected, chunk_text, content_type_for, sanitize_filename
from ai_service.settings import ConfigError, Settings, check_startup, get_settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+psycopg://u:***@db:5432/app"),
        ("postgresql://u:p@db/app?sslmode=require", "postgresql+psycopg://u:***@db/app?sslmode=require"),
        (
            "postgresql://u@/app?host=/cloudsql/proj:region:inst",
            "postgresql+psycopg://u@/app?host=%2Fcloudsql%2Fproj%3Aregion%3Ainst",
        ),
    ],
)
def test_libpq_urls_use_psycopg3(url, expected):
    assert str(normalise_url(url)) == expected


def test_non_postgres_url_is_refused():
    with pytest.raises(ValueError, match="postgresql://"):
        normalise_url("mysql://u@h/db")


def test_production_refusals_are_one_line():
    base = {"app_env": "production", "api_keys": "t:k"}
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        check_startup(Settings(**base), needs_api_keys=True)
    with pytest.raises(ConfigError, match="placeholder"):
        check_startup(Settings(**base, secret_key="changeme"), needs_api_keys=True)
    check_startup(Settings(**base, secret_key="x" * 40), needs_api_keys=True)
    check_startup(Settings(app_env="development"), needs_api_keys=True)


def test_invalid_env_is_named(monkeypatch):
    monkeypatch.setenv("API_KEYS", "tenant-without-key")
    monkeypatch.setenv("REDIS_URL", "http://cache")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="API_KEYS: expected tenant:key") as exc:
            get_settings()
        assert "\n" not in str(exc.value)
    finally:
        get_settings.cache_clear()


def test_provider_follows_openai_key():
    assert Settings().embedding_provider == "local"
    assert Settings(openai_api_key="sk-x").embedding_provider == "openai"
    with pytest.raises(ValueError, match="needs OPENAI_API_KEY"):
        Settings(embedding_provider="openai")


def test_hashing_embedder_is_deterministic_and_normalised():
    embedder = HashingEmbedder(128)
    first, again, other = embedder.embed(["Lava flows", "lava FLOWS", "tax returns"])
    assert first == again and len(first) == 128
    assert math.isclose(sum(v * v for v in first), 1.0)
    assert sum(a * b for a, b in zip(first, other, strict=True)) < 0.5
    assert embedder.embed(["!!!"])[0] == [0.0] * 128  # no words: no direction


def test_chunks_overlap_and_cover_everything():
    words = [f"w{i}" for i in range(500)]
    chunks = chunk_text(" ".join(words), size=200, overlap=30)
    assert len(chunks) > 1
    assert set(" ".join(chunks).split()) == set(words)
    assert chunks[1].split()[0] in chunks[0].split()  # the next window starts inside the previous one
    assert chunk_text("") == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("a\x00b\x1f.md", "ab.md"),
        ("<script>.txt", "_script_.txt"),
    ],
)
def test_filenames(raw, clean):
    assert sanitize_filename(raw) == clean


@pytest.mark.parametrize("raw", ["", "..", "/", "\x00\x01", None])
def test_unusable_filenames(raw):
    with pytest.raises(Rejected) as exc:
        sanitize_filename(raw)
    assert exc.value.status == 400


def test_content_type_checks_the_bytes():
    assert content_type_for("a.pdf", b"%PDF-1.7 ...") == "application/pdf"
    with pytest.raises(Rejected):
        content_type_for("a.pdf", b"GIF89a")
