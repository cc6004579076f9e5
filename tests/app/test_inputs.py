"""Hostile and broken input: the right 4xx, a JSON {"detail": ...}, and nothing stored anywhere."""

from __future__ import annotations

import json
import subprocess

import httpx
import psycopg
import pytest
from redis import Redis

from tests.fixtures.services import AI_SERVICE, ServiceRunner, build_service_env

pytestmark = pytest.mark.system
LIMIT = 4096
SECRET = "s3cr3t-production-key-0123456789"
KEY_A, KEY_B = "key-alpha-7f3a9c", "key-bravo-2b8e1d"


@pytest.fixture(scope="module")
def setup(redis_server, postgres, s3_server, tmp_path_factory):
    """One API for the whole module (starting one costs ~2 s)."""
    env = build_service_env(
        redis_server,
        postgres,
        s3_server,
        MAX_UPLOAD_BYTES=str(LIMIT),
        API_KEYS=f"alpha:{KEY_A},bravo:{KEY_B}",
        SECRET_KEY=SECRET,
    )
    runner = ServiceRunner(tmp_path_factory.mktemp("inputs"))
    api = runner.start("api", env)

    def state() -> tuple:
        with psycopg.connect(env["MIGRATE_DATABASE_URL"]) as conn:
            rows = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        queued = Redis.from_url(env["REDIS_URL"]).llen("rq:queue:document_processing")
        return rows, queued, tuple(s3_server.keys(env["S3_BUCKET"]))

    yield env, api, state
    runner.close()


def _upload(api, name, body, key=KEY_A, content_type="application/octet-stream"):
    return httpx.post(
        f"{api.url}/api/v1/documents",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": (name, body, content_type)},
    )


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("big.txt", b"x" * (LIMIT + 1), 413),
        ("huge.txt", b"x" * (LIMIT * 40), 413),  # over the body limit: refused while streaming
        ("empty.txt", b"", 400),
        ("tool.exe", b"MZ\x90\x00binary", 415),
        ("noext", b"plain words", 415),
        ("fake.pdf", b"not a pdf at all", 415),
        ("binary.txt", b"abc\x00\x01\x02", 415),
        ("late-nul.txt", b"words " * 300 + b"\x00", 415),  # past the 1 KiB sniffed up front
        ("latin1.md", "caf\u00e9 cr\u00e8me".encode("latin-1"), 415),
        ("cut.txt", "na\u00efve".encode()[:3], 415),  # a multi-byte character cut off at the end
        ("..", b"hello", 400),
        ("..\\..\\", b"hello", 400),
    ],
)
def test_rejected_upload_stores_nothing(setup, name, body, status):
    _, api, state = setup
    before = state()
    response = _upload(api, name, body)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str)
    assert state() == before


def test_chunked_oversize_body_is_refused_while_streaming(setup):
    _, api, state = setup
    before = state()
    boundary = "b0undary"

    def body():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'.encode()
        for _ in range(200):  # 200 x 1 KiB without Content-Length
            yield b"y" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    response = httpx.post(
        f"{api.url}/api/v1/documents",
        content=body(),
        headers={"Authorization": f"Bearer {KEY_A}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "detail" in response.json()
    assert state() == before


def test_missing_file_field(setup):
    _, api, state = setup
    before = state()
    response = httpx.post(
        f"{api.url}/api/v1/documents", headers={"Authorization": f"Bearer {KEY_A}"}, data={"other": "x"}
    )
    assert response.status_code == 422
    assert "detail" in response.json()
    assert state() == before


@pytest.mark.parametrize(
    ("raw_name", "stored"),
    [(b"../../etc/pass\x07wd.txt", "passwd.txt"), (b"..\\..\\boot\x1b[0m.ini.md", "boot[0m.ini.md")],
)
def test_hostile_filename_is_sanitized(setup, raw_name, stored):
    _, api, _ = setup
    # Raw multipart: clients like httpx would percent-escape the control characters for us.
    body = (
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="'
        + raw_name
        + b'"\r\nContent-Type: text/plain\r\n\r\nsome text\r\n--xx--\r\n'
    )
    response = httpx.post(
        f"{api.url}/api/v1/documents",
        content=body,
        headers={"Authorization": f"Bearer {KEY_A}", "Content-Type": "multipart/form-data; boundary=xx"},
    )
    assert response.status_code == 202, response.text
    doc = httpx.get(
        f"{api.url}/api/v1/documents/{response.json()['id']}", headers={"Authorization": f"Bearer {KEY_A}"}
    ).json()
    assert doc["filename"] == stored


def test_api_keys_scope_documents_to_the_tenant(setup):
    _, api, state = setup
    before = state()
    assert httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}).status_code == 401
    bad = httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json() == {"detail": "missing or invalid API key"}
    assert _upload(api, "a.txt", b"hello", key="nope").status_code == 401
    assert state() == before

    document_id = _upload(api, "mine.txt", b"alpha tenant text").json()["id"]
    url = f"{api.url}/api/v1/documents/{document_id}"
    assert httpx.get(url, headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {KEY_B}"}).status_code == 404
    assert httpx.delete(url, headers={"Authorization": f"Bearer {KEY_B}"}).status_code == 404
    assert httpx.get(url, headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 200


def test_bad_query_parameters(setup):
    _, api, _ = setup
    auth = {"Authorization": f"Bearer {KEY_A}"}
    for params in ({"q": ""}, {"q": "x", "k": "0"}, {"q": "x", "k": "500"}, {}):
        response = httpx.get(f"{api.url}/api/v1/search", params=params, headers=auth)
        assert response.status_code == 422, params
        assert "detail" in response.json()
    assert httpx.get(f"{api.url}/api/v1/documents/not-a-uuid", headers=auth).status_code == 422


def test_logs_are_json_lines_without_secrets_or_content(setup):
    env, api, _ = setup
    marker = "confidential-payload-91b2"
    _upload(api, "c.txt", f"{marker} text".encode())
    httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}, headers={"Authorization": f"Bearer {KEY_B}"})
    httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}, headers={"X-Request-ID": "req-123"})
    api.stop()
    lines = api.log_lines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [r for r in records if r["event"] == "request"]
    assert requests
    for record in requests:
        assert {
            "timestamp",
            "level",
            "event",
            "request_id",
            "route",
            "method",
            "status",
            "duration_ms",
            "logger",
        } <= record.keys()
    assert any(r["request_id"] == "req-123" and r["status"] == 401 and r["route"] == "/api/v1/search" for r in requests)
    text = "\n".join(lines)
    for secret in (marker, KEY_A, KEY_B, SECRET):
        assert secret not in text


def test_rate_limit_answers_429_with_retry_after(service_env, start_api):
    api = start_api(service_env(RATE_LIMIT_PER_MINUTE="3"))
    statuses = [httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    limited = httpx.get(f"{api.url}/api/v1/search", params={"q": "x"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {"detail": "rate limit exceeded"}
    assert httpx.get(f"{api.url}/health").status_code == 200  # probes are never limited


def test_global_rate_limit(service_env, start_api):
    api = start_api(service_env(RATE_LIMIT_GLOBAL_PER_MINUTE="2"))
    statuses = [httpx.get(f"{api.url}/api/v1/search", params={"q": "x"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_production_security(service_env, start_api):
    env = service_env(
        APP_ENV="production",
        SECRET_KEY=SECRET,
        API_KEYS=f"alpha:{KEY_A}",
        ALLOWED_HOSTS="api.example.com",
        CORS_ORIGINS="https://app.example.com",
    )
    api = start_api(env)
    # Probes: any Host, plain HTTP, no redirect.
    probe = httpx.get(f"{api.url}/health", headers={"Host": "10.0.0.7"})
    assert probe.status_code == 200
    assert httpx.get(f"{api.url}/health/ready", headers={"Host": "10.0.0.7"}).status_code == 200
    assert probe.headers["x-content-type-options"] == "nosniff"
    assert probe.headers["x-frame-options"] == "DENY"
    assert "max-age" in probe.headers["strict-transport-security"]
    # Everything else: plain HTTP is redirected to HTTPS ...
    plain = httpx.get(f"{api.url}/api/v1/search?q=x", headers={"Host": "api.example.com"})
    assert plain.status_code in (307, 308)
    assert plain.headers["location"].startswith("https://api.example.com/")
    # ... unless a trusted proxy says the client used HTTPS.
    auth = {"Authorization": f"Bearer {KEY_A}", "Host": "api.example.com", "X-Forwarded-Proto": "https"}
    assert httpx.get(f"{api.url}/api/v1/search?q=x", headers=auth).status_code == 200
    assert httpx.get(f"{api.url}/api/v1/search?q=x", headers={**auth, "Host": "evil.example"}).status_code == 400
    preflight = httpx.options(
        f"{api.url}/api/v1/search",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Host": "api.example.com",
            "X-Forwarded-Proto": "https",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert httpx.get(f"{api.url}/docs", headers=auth).status_code == 404  # docs off in production


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "SECRET_KEY is required"),
        ({"SECRET_KEY": "changeme"}, "SECRET_KEY is a placeholder"),
        ({"SECRET_KEY": SECRET}, "API_KEYS is required"),
        ({"SECRET_KEY": SECRET, "API_KEYS": "no-colon"}, "API_KEYS: expected tenant:key"),
    ],
)
def test_production_refuses_to_start_without_secrets(service_env, overrides, message):
    env = {**service_env(migrated=False, APP_ENV="production"), **overrides}
    env.pop("SECRET_KEY", None) if not overrides else None
    result = subprocess.run([AI_SERVICE, "api"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
