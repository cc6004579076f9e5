"""Lambda functions start from their rendered environment plus the Secrets Manager secret it names.

Secrets Manager and S3 are moto's server (one HTTP endpoint for every AWS API), reached through
boto3's own endpoint variables, so the app code runs unchanged; Postgres and Redis are real.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from tests.support.lambda_sandbox import LambdaError, LambdaSandbox, api_gateway_event

pytestmark = pytest.mark.system

HOST = "abc.execute-api.us-east-1.amazonaws.com"


def _secrets(s3_server):
    return boto3.client(
        "secretsmanager",
        endpoint_url=s3_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _create_secret(s3_server, value: str) -> str:
    name = f"ai-service-{uuid.uuid4().hex[:8]}"
    return _secrets(s3_server).create_secret(Name=name, SecretString=value)["ARN"]


def _function_env(s3_server, redis_server, secret_arn: str) -> dict[str, str]:
    """What the function's configuration holds (no secret), plus what the Lambda runtime sets."""
    import os

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/tmp",
        "APP_ENV": "production",
        "INLINE_JOBS": "true",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": HOST,
        "FORWARDED_ALLOW_IPS": "*",
        "EMBEDDING_DIM": "64",
        "S3_BUCKET": s3_server.create_bucket(),
        "S3_REGION": "us-east-1",
        "SECRETS_ARN": secret_arn,
        # the Lambda runtime: region and the execution role's credentials
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # where "AWS" is: moto's server for both APIs the function calls
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": s3_server.endpoint,
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint,
    }


def test_migrate_and_api_functions_run_from_env_plus_secret(postgres, redis_server, s3_server, tmp_path):
    database = postgres.create_database()
    secret = {
        "DATABASE_URL": postgres.app_url(database),
        "MIGRATE_DATABASE_URL": postgres.admin_url(database),
        "REDIS_URL": redis_server.url(redis_server.next_db()),
        "SECRET_KEY": uuid.uuid4().hex,
        "API_KEYS": "acme:key-0123456789abcdef",
    }
    # The migrate function needs no API_KEYS (it serves no requests) and runs first.
    migrate_arn = _create_secret(s3_server, json.dumps({k: v for k, v in secret.items() if k != "API_KEYS"}))
    env = _function_env(s3_server, redis_server, migrate_arn)
    with LambdaSandbox("ai_service.lambda_migrate.handler", env, tmp_path / "migrate.log") as migrate:
        assert migrate.invoke({}) == {"status": "migrated"}
        assert migrate.invoke({}) == {"status": "migrated"}  # idempotent, a warm sandbox

    api_arn = _create_secret(s3_server, json.dumps(secret))
    env = _function_env(s3_server, redis_server, api_arn)
    with LambdaSandbox("ai_service.lambda_handler.handler", env, tmp_path / "api.log") as api:
        ready = api.invoke(api_gateway_event("GET", "/health/ready", host=HOST))
        assert ready["statusCode"] == 200, ready["body"]
        # The secret is read once per sandbox: deleting it now changes nothing for this sandbox.
        _secrets(s3_server).delete_secret(SecretId=api_arn, ForceDeleteWithoutRecovery=True)
        upload = api.invoke(
            api_gateway_event(
                "POST",
                "/api/v1/documents",
                body=b'--bb\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                b"Content-Type: text/plain\r\n\r\nSecrets arrive at cold start.\r\n--bb--\r\n",
                headers={
                    "content-type": "multipart/form-data; boundary=bb",
                    "authorization": "Bearer key-0123456789abcdef",
                },
                host=HOST,
            )
        )
        assert upload["statusCode"] == 202, upload["body"]
        assert json.loads(upload["body"])["status"] == "indexed"
        anonymous = api.invoke(api_gateway_event("GET", "/api/v1/search", query="q=secrets", host=HOST))
        assert anonymous["statusCode"] == 401  # API_KEYS from the secret are enforced

    # A new sandbox (cold start) now fails: the secret is gone, and it says which setting to fix.
    with LambdaSandbox("ai_service.lambda_handler.handler", env, tmp_path / "api-2.log") as api:
        with pytest.raises(LambdaError, match=r"cold start failed: SECRETS_ARN: cannot read the secret"):
            api.invoke(api_gateway_event("GET", "/health", host=HOST))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgresql://not-json", "SECRETS_ARN: the secret must be a JSON object"),
        ('["DATABASE_URL"]', "SECRETS_ARN: the secret must be a JSON object"),
        ('{"EMBEDDING_DIM": 64}', "SECRETS_ARN: keys EMBEDDING_DIM are not env var names with string values"),
    ],
)
def test_a_malformed_secret_is_a_one_line_error(value, message, redis_server, s3_server, tmp_path):
    env = _function_env(s3_server, redis_server, _create_secret(s3_server, value))
    with LambdaSandbox("ai_service.lambda_migrate.handler", env, tmp_path / "migrate.log") as migrate:
        with pytest.raises(LambdaError, match=f"cold start failed: {message}"):
            migrate.invoke({})
